"""Feature scaling fitted on training rows only (scikit-learn's StandardScaler or RobustScaler)."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import RobustScaler, StandardScaler

from stgnn.errors import ConfigError, NotFittedError

_KINDS = {"standard": StandardScaler, "robust": RobustScaler}


class FeatureScaler:
    """Scale each feature with statistics of the training (day, ticker) rows.

    Scaled values are clipped to ``+-clip`` so one crash day cannot saturate the network.

    Examples
    --------
    >>> x = np.arange(24, dtype=np.float32).reshape(4, 3, 2)
    >>> s = FeatureScaler().fit(x[:2])
    >>> s.transform(x).shape
    (4, 3, 2)
    """

    def __init__(self, *, kind: str = "standard", clip: float = 8.0):
        if kind not in _KINDS:
            raise ConfigError(f"Expected scaler 'standard' or 'robust', got {kind!r}.")
        self.kind = kind
        self.clip = clip

    def __repr__(self) -> str:
        return f"FeatureScaler(kind={self.kind!r}, clip={self.clip})"

    def fit(self, x_train: np.ndarray) -> FeatureScaler:
        """Fit on training rows of shape (n_days, n_tickers, n_features) or (n_rows, n_features)."""
        rows = x_train.reshape(-1, x_train.shape[-1])
        scaler = _KINDS[self.kind]().fit(rows)
        self.center_ = np.nan_to_num(getattr(scaler, "mean_", None) if self.kind == "standard" else scaler.center_)
        scale = np.asarray(scaler.scale_, dtype=np.float64)
        self.scale_ = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        if not hasattr(self, "scale_"):
            raise NotFittedError("FeatureScaler: call fit(train_rows) first.")
        if x.shape[-1] != len(self.scale_):
            raise ValueError(f"Expected {len(self.scale_)} features, got {x.shape[-1]}.")
        out = (x - self.center_) / self.scale_
        return np.clip(out, -self.clip, self.clip).astype(np.float32)

    def state(self) -> dict:
        """What an exported model needs to scale new data."""
        return {"kind": self.kind, "clip": self.clip, "center": self.center_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_state(cls, state: dict) -> FeatureScaler:
        scaler = cls(kind=state["kind"], clip=state["clip"])
        scaler.center_ = np.asarray(state["center"], dtype=np.float64)
        scaler.scale_ = np.asarray(state["scale"], dtype=np.float64)
        return scaler
