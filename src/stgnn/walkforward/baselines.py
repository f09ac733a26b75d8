"""Baselines on the same folds and rows as the STGNN, each fitted on the fold's training days only.

- ``majority``: training class frequencies as constant probabilities.
- ``momentum``: multinomial logistic regression on the trailing 20-day return alone.
- ``volatility``: the same on trailing 20-day volatility alone: it can time *that* a move comes,
  not its direction; on real prices it comes close to much richer models.
- ``logistic``: on all of the centre ticker's features that day (no graph).
- ``logistic_graph``: the same plus the mean features of its K graph neighbours (graph, linear).

Regressions are unweighted, so their probabilities stay calibrated: decision thresholds are tuned
on validation for every model alike. (The temporal-only STGNN is trained by the optimizer.)
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from stgnn.classes import N_CLASSES
from stgnn.data.dataset import PanelData
from stgnn.data.graph import Graph
from stgnn.errors import NotFittedError


class Majority:
    def fit(self, data: PanelData, train_days: np.ndarray, graph: Graph) -> Majority:
        y = data.labels.y[train_days]
        counts = np.bincount(y[y >= 0], minlength=N_CLASSES)
        self.proba_ = counts / counts.sum()
        return self

    def predict_proba(self, data: PanelData, days: np.ndarray) -> np.ndarray:
        if not hasattr(self, "proba_"):
            raise NotFittedError("Majority: call fit first.")
        return np.broadcast_to(self.proba_, (len(days), len(data.tickers), N_CLASSES)).copy()


class _Logistic:
    """Multinomial logistic regression on per-(day, ticker) rows; subclasses choose the columns."""

    max_train_rows = 200_000

    def __init__(self, *, seed: int = 0):
        self.seed = seed

    def _rows(self, data: PanelData, days: np.ndarray) -> np.ndarray:
        """Features of shape (n_days, n_tickers, n_columns)."""
        raise NotImplementedError

    def fit(self, data: PanelData, train_days: np.ndarray, graph: Graph):
        self.graph_ = graph
        x = self._rows(data, train_days)
        y = data.labels.y[train_days]
        keep = (y >= 0) & np.isfinite(x).all(axis=-1)
        x, y = x[keep], y[keep]
        if len(y) > self.max_train_rows:  # a seeded subsample keeps the fit to seconds
            pick = np.random.default_rng(self.seed).choice(len(y), self.max_train_rows, replace=False)
            x, y = x[pick], y[pick]
        self.scaler_ = StandardScaler().fit(x)
        self.model_ = LogisticRegression(max_iter=500).fit(self.scaler_.transform(x), y)
        return self

    def predict_proba(self, data: PanelData, days: np.ndarray) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"{type(self).__name__}: call fit first.")
        x = self._rows(data, days)
        flat = self.scaler_.transform(np.nan_to_num(x.reshape(-1, x.shape[-1])))
        proba = np.zeros((len(flat), N_CLASSES))
        proba[:, self.model_.classes_] = self.model_.predict_proba(flat)
        return proba.reshape(len(days), len(data.tickers), N_CLASSES)


class _OneFeature(_Logistic):
    feature = ""

    def _rows(self, data, days):
        return data.features.values[days][..., [data.features.names.index(self.feature)]].astype(np.float64)


class Momentum(_OneFeature):
    feature = "ret_20"


class Volatility(_OneFeature):
    feature = "vol_20"


class Logistic(_Logistic):
    def _rows(self, data, days):
        return data.features.values[days].astype(np.float64)


class LogisticGraph(_Logistic):
    def _rows(self, data, days):
        x = data.features.values[days].astype(np.float64)
        neighbours = x[:, self.graph_.neighbours].mean(axis=2)  # (n_days, N, F)
        return np.concatenate([x, neighbours], axis=-1)


BASELINES = {
    "majority": Majority,
    "momentum": Momentum,
    "volatility": Volatility,
    "logistic": Logistic,
    "logistic_graph": LogisticGraph,
}
