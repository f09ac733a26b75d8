"""Labels: the forward log return over ``h`` days, cut at +-theta into Down / None / Up."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stgnn.classes import DOWN, NONE, UP
from stgnn.config import LabelConfig
from stgnn.data.features import log_returns, trailing_volatility

UNKNOWN = -1
"""Label of a (date, ticker) whose forward return lies beyond the panel's last date."""


@dataclass(frozen=True)
class Labels:
    """Targets aligned with the panel.

    Attributes
    ----------
    y : np.ndarray of shape (n_days, n_tickers), int64
        Class per (date, ticker): Down=0, None=1, Up=2, or ``UNKNOWN`` (-1) where the forward
        return is not yet known (the last ``horizon`` days) or the threshold is undefined.
    fwd_return : np.ndarray of shape (n_days, n_tickers)
        ``log(close[t + h] / close[t])``; NaN where unknown.
    threshold : np.ndarray of shape (n_days, n_tickers)
        The theta used for each cell (constant unless ``vol_scaled``).
    """

    y: np.ndarray
    fwd_return: np.ndarray
    threshold: np.ndarray
    horizon: int

    def class_counts(self, rows: slice | np.ndarray = slice(None)) -> np.ndarray:
        """Counts of Down, None, Up over the known labels of some rows (days)."""
        y = self.y[rows]
        return np.bincount(y[y >= 0], minlength=3)


def forward_log_return(close: pd.DataFrame, horizon: int) -> np.ndarray:
    """``log(close[t + h] / close[t])``, NaN for the last ``h`` rows."""
    return log_returns(close.astype(np.float64), horizon).shift(-horizon).to_numpy()


def make_labels(close: pd.DataFrame, config: LabelConfig = LabelConfig()) -> Labels:
    """Classify each (date, ticker) by its forward log return.

    With ``vol_scaled``, theta at (t, i) is ``threshold * vol[t, i] / median(vol[:t+1, i])``:
    each ticker's trailing ``vol_window``-day volatility relative to its own history so far, so the
    threshold never uses the future and keeps the units of ``threshold``.

    Examples
    --------
    >>> close = pd.DataFrame({"A": [100.0, 103.0, 101.0, 101.5]})
    >>> make_labels(close, LabelConfig(horizon=1, threshold=0.018)).y[:, 0].tolist()
    [2, 0, 1, -1]
    """
    fwd = forward_log_return(close, config.horizon)
    if config.vol_scaled:
        vol = trailing_volatility(close, config.vol_window)
        threshold = (config.threshold * vol / vol.expanding().median()).to_numpy()
    else:
        threshold = np.full(fwd.shape, config.threshold)
    y = np.full(fwd.shape, UNKNOWN, dtype=np.int64)
    known = np.isfinite(fwd) & np.isfinite(threshold)
    y[known] = NONE
    y[known & (fwd < -threshold)] = DOWN
    y[known & (fwd > threshold)] = UP
    return Labels(y=y, fwd_return=fwd, threshold=threshold, horizon=config.horizon)
