"""Block bootstrap over days: confidence intervals that respect serial dependence.

Days (the sorted unique dates of a predictions frame) are resampled with replacement in circular
blocks of ``block_days`` consecutive dates until the resample is as long as the original, so
serial dependence within a block (overlapping labels, volatility regimes) is kept. A paired
comparison resamples both models with the *same* day indices, so the interval is for the
difference on the same rows. Intervals are percentile intervals of the resampled values.

A day drawn twice counts as two distinct days: the generic path relabels each drawn day
``f"{date}#{k}"`` (``k`` its position in the resample) before calling the metric, so per-day
metrics (ranking, information coefficients) see it twice instead of merging it into one day.

The three metrics compared in reports have a fast path through per-day sufficient statistics
(:class:`DayMetric`): :data:`macro_f1_of` and :data:`mcc_of` sum per-day confusion matrices over
the resampled days, :data:`rank_ic_of` averages per-day rank ICs. 500 resamples of 250 days take
milliseconds; any other callable of a frame goes through the generic path (one metric call per
resample) and gives the same numbers as the fast path would.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from stgnn.classes import N_CLASSES
from stgnn.training.metrics import _daily_ic, check_labels, check_predictions, per_class_rates

Metric = Callable[[pd.DataFrame], float]


def _day_codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique dates and each row's position among them."""
    if "date" not in frame.columns:
        raise ValueError(f"Expected a 'date' column, got columns {list(frame.columns)}.")
    if frame.empty:
        raise ValueError("Expected at least one prediction row, got 0.")
    dates, codes = np.unique(frame["date"].to_numpy(), return_inverse=True)
    return dates, codes.reshape(-1)


class DayMetric:
    """A metric of a predictions frame computed from per-day sufficient statistics.

    Parameters
    ----------
    name : str
    per_day : callable
        ``per_day(frame)`` -> np.ndarray of shape (n_days, ...), one entry per sorted unique date.
    combine : callable
        ``combine(stats)`` with ``stats`` of shape (n_resamples, n_days, ...) -> np.ndarray of shape
        (n_resamples,): the metric of each (resampled) stack of days.

    Calling the object on a frame gives the metric of the frame itself.
    """

    def __init__(self, name: str, per_day: Callable[[pd.DataFrame], np.ndarray],
                 combine: Callable[[np.ndarray], np.ndarray]):
        self.__name__ = name
        self.per_day = per_day
        self.combine = combine

    def __repr__(self) -> str:
        return f"DayMetric({self.__name__!r})"

    def __call__(self, frame: pd.DataFrame) -> float:
        return float(self.combine(self.per_day(frame)[None])[0])


def daily_confusions(frame: pd.DataFrame) -> np.ndarray:
    """Confusion matrices of ``label`` vs ``pred`` per sorted date, of shape (n_days, 3, 3)."""
    missing = [c for c in ("label", "pred") if c not in frame.columns]
    if missing:
        raise ValueError(f"Expected columns 'label' and 'pred', missing {missing}.")
    dates, codes = _day_codes(frame)
    y = check_labels(frame["label"].to_numpy(), name="label")
    p = check_labels(frame["pred"].to_numpy(), name="pred")
    k = N_CLASSES * N_CLASSES
    counts = np.bincount(k * codes + N_CLASSES * y + p, minlength=len(dates) * k)
    return counts.reshape(len(dates), N_CLASSES, N_CLASSES)


def daily_rank_ic(frame: pd.DataFrame) -> np.ndarray:
    """Spearman IC of ``p_up - p_down`` vs ``fwd_return`` per sorted date (NaN on days left out).

    Days are left out as in :func:`stgnn.training.metrics.daily_information_coefficients`.
    """
    check_predictions(frame)
    dates, _ = _day_codes(frame)
    return _daily_ic(frame)["rank_ic"].reindex(dates).to_numpy(dtype=np.float64)


def _macro_f1(cms: np.ndarray) -> np.ndarray:
    return per_class_rates(cms.sum(axis=1))["f1"].mean(axis=-1)


def _mcc(cms: np.ndarray) -> np.ndarray:
    """Gorodkin's multiclass MCC of each summed confusion matrix; 0.0 where undefined."""
    cm = cms.sum(axis=1).astype(np.float64)
    t_sum, p_sum = cm.sum(axis=2), cm.sum(axis=1)
    n = cm.sum(axis=(1, 2))
    cov_tp = np.trace(cm, axis1=1, axis2=2) * n - (t_sum * p_sum).sum(axis=1)
    cov_pp = n * n - (p_sum * p_sum).sum(axis=1)
    cov_tt = n * n - (t_sum * t_sum).sum(axis=1)
    den = cov_tt * cov_pp
    return np.divide(cov_tp, np.sqrt(np.where(den > 0, den, 1.0)), out=np.zeros(len(cm)), where=den > 0)


def _mean_ic(ics: np.ndarray) -> np.ndarray:
    kept = np.isfinite(ics)
    n = kept.sum(axis=1)
    total = np.where(kept, ics, 0.0).sum(axis=1)
    return np.divide(total, n, out=np.full(len(ics), np.nan), where=n > 0)


macro_f1_of = DayMetric("macro_f1", daily_confusions, _macro_f1)
"""Macro-F1 over Down, None, Up of ``pred`` (as ``classification_metrics(...)["macro_f1"]``)."""

mcc_of = DayMetric("mcc", daily_confusions, _mcc)
"""Multiclass Matthews correlation of ``pred`` (as ``classification_metrics(...)["mcc"]``)."""

rank_ic_of = DayMetric("rank_ic", daily_rank_ic, _mean_ic)
"""Mean daily rank IC of ``p_up - p_down`` (as ``information_coefficients(...)["rank_ic"]``)."""


def _check_settings(block_days: int, n_boot: int, alpha: float) -> None:
    if isinstance(block_days, bool) or not isinstance(block_days, (int, np.integer)) or block_days < 1:
        raise ValueError(f"Expected block_days an integer >= 1, got {block_days!r}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"Expected n_boot an integer >= 1, got {n_boot!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"Expected alpha in (0, 1), got {alpha}.")


def block_indices(n_days: int, *, block_days: int, n_boot: int, seed: int) -> np.ndarray:
    """Day positions of ``n_boot`` circular block resamples, of shape (n_boot, n_days).

    Each resample is ``ceil(n_days / block)`` blocks of ``block = min(block_days, n_days)``
    consecutive positions (wrapping past the end), each starting at a uniformly drawn day, cut to
    ``n_days``.

    Examples
    --------
    >>> block_indices(5, block_days=2, n_boot=1, seed=0).shape
    (1, 5)
    """
    if n_days < 1:
        raise ValueError(f"Expected n_days >= 1, got {n_days}.")
    _check_settings(block_days, n_boot, 0.05)
    rng = np.random.default_rng(seed)
    block = min(int(block_days), n_days)
    n_blocks = -(-n_days // block)
    starts = rng.integers(0, n_days, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)) % n_days
    return idx.reshape(n_boot, -1)[:, :n_days]


def resample_frame(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The rows of the days at ``positions`` (into the sorted unique dates), in that order.

    The k-th drawn day's rows get the date ``f"{date}#{k:05d}"``, so a day drawn twice is two days.
    """
    dates, codes = _day_codes(frame)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(dates))
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    positions = np.asarray(positions)
    n_rows = counts[positions]
    offset_in_day = np.arange(n_rows.sum()) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    rows = order[np.repeat(first[positions], n_rows) + offset_in_day]
    labels = np.array([f"{dates[d]}#{k:05d}" for k, d in enumerate(positions)], dtype=object)
    out = frame.iloc[rows].reset_index(drop=True)
    out["date"] = np.repeat(labels, n_rows)
    return out


def _resampled(frame: pd.DataFrame, metric: Metric, idx: np.ndarray) -> np.ndarray:
    """The metric of every resample (rows of ``idx``), of shape (n_boot,)."""
    if isinstance(metric, DayMetric):
        return np.asarray(metric.combine(metric.per_day(frame)[idx]), dtype=np.float64)
    return np.array([metric(resample_frame(frame, row)) for row in idx], dtype=np.float64)


def _interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    """Percentile interval over the finite values (a resample can make a metric undefined)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return float("nan"), float("nan")
    return float(np.quantile(finite, alpha / 2)), float(np.quantile(finite, 1 - alpha / 2))


def bootstrap_ci(frame: pd.DataFrame, metric: Metric, *, block_days: int = 20, n_boot: int = 500,
                 seed: int = 0, alpha: float = 0.05) -> dict:
    """Percentile block-bootstrap interval of one frame's metric.

    Parameters
    ----------
    frame : pd.DataFrame
        A predictions frame (columns as the metric needs; see :mod:`stgnn.training.metrics`).
    metric : callable
        ``metric(frame) -> float``; :data:`macro_f1_of`, :data:`mcc_of` and :data:`rank_ic_of`
        take the fast path.
    block_days, n_boot, seed, alpha
        Block length in days, resamples, rng seed and 1 - confidence.

    Returns
    -------
    dict
        ``value`` (the metric of ``frame``), ``lo``, ``hi``, ``n_boot``, ``block_days``.

    Examples
    --------
    >>> f = pd.DataFrame({"date": np.repeat(["d1", "d2", "d3"], 2), "ticker": ["A", "B"] * 3,
    ...                   "label": [0, 2, 1, 1, 2, 0], "pred": [0, 2, 1, 1, 2, 0]})
    >>> bootstrap_ci(f, macro_f1_of, n_boot=20)["lo"]
    1.0
    """
    _check_settings(block_days, n_boot, alpha)
    dates, _ = _day_codes(frame)
    idx = block_indices(len(dates), block_days=block_days, n_boot=n_boot, seed=seed)
    lo, hi = _interval(_resampled(frame, metric, idx), alpha)
    return {"value": float(metric(frame)), "lo": lo, "hi": hi, "n_boot": int(n_boot), "block_days": int(block_days)}


def _check_paired(frame_a: pd.DataFrame, frame_b: pd.DataFrame) -> None:
    """Refuse frames that are not on the same (date, ticker) rows with the same labels."""
    for name, f in (("frame_a", frame_a), ("frame_b", frame_b)):
        missing = [c for c in ("date", "ticker") if c not in f.columns]
        if missing:
            raise ValueError(f"Expected {name} with columns 'date' and 'ticker', missing {missing}.")
    if len(frame_a) != len(frame_b):
        raise ValueError(f"Expected both frames on the same rows, got {len(frame_a)} and {len(frame_b)} rows.")
    keys = ["date", "ticker"]
    cols = keys + (["label"] if "label" in frame_a.columns and "label" in frame_b.columns else [])
    a = frame_a[cols].sort_values(keys, kind="stable").to_numpy()
    b = frame_b[cols].sort_values(keys, kind="stable").to_numpy()
    differs = (a[:, :2] != b[:, :2]).any(axis=1)
    if differs.any():
        row = int(np.argmax(differs))
        raise ValueError(f"Expected both frames on the same (date, ticker) rows, got ({a[row, 0]}, {a[row, 1]}) "
                         f"against ({b[row, 0]}, {b[row, 1]}).")
    if len(cols) == 3 and (a[:, 2] != b[:, 2]).any():
        row = int(np.argmax(a[:, 2] != b[:, 2]))
        raise ValueError(f"Expected the same labels on the same rows, got {a[row, 2]} and {b[row, 2]} "
                         f"on ({a[row, 0]}, {a[row, 1]}).")


def paired_block_bootstrap(frame_a: pd.DataFrame, frame_b: pd.DataFrame, metric: Metric, *, block_days: int = 20,
                           n_boot: int = 500, seed: int = 0, alpha: float = 0.05) -> dict:
    """Interval of ``metric(a) - metric(b)`` with both frames resampled on the same days.

    Parameters
    ----------
    frame_a, frame_b : pd.DataFrame
        Predictions of two models on the same (date, ticker) rows (any row order) with the same
        labels.
    metric : callable
        ``metric(frame) -> float``; :data:`macro_f1_of`, :data:`mcc_of` and :data:`rank_ic_of`
        take the fast path.
    block_days : int, default 20
        Length of the circular blocks of consecutive days.
    n_boot : int, default 500
        Resamples.
    seed : int, default 0
        Seed of the resampled day indices (shared by both frames).
    alpha : float, default 0.05
        The interval is the ``alpha / 2`` and ``1 - alpha / 2`` quantiles of the resampled
        differences (resamples where the metric is undefined are left out).

    Returns
    -------
    dict
        ``diff`` (observed ``metric(a) - metric(b)``), ``lo``, ``hi``, ``n_boot``, ``block_days``.

    Raises
    ------
    ValueError
        If the frames are not on the same rows or labels, or a setting is out of range.

    Examples
    --------
    >>> f = pd.DataFrame({"date": np.repeat(["d1", "d2", "d3"], 2), "ticker": ["A", "B"] * 3,
    ...                   "label": [0, 2, 1, 1, 2, 0], "pred": [0, 2, 1, 1, 2, 0]})
    >>> paired_block_bootstrap(f, f, macro_f1_of, n_boot=20)["diff"]
    0.0
    """
    _check_settings(block_days, n_boot, alpha)
    _check_paired(frame_a, frame_b)
    dates, _ = _day_codes(frame_a)
    idx = block_indices(len(dates), block_days=block_days, n_boot=n_boot, seed=seed)
    diffs = _resampled(frame_a, metric, idx) - _resampled(frame_b, metric, idx)
    lo, hi = _interval(diffs, alpha)
    return {"diff": float(metric(frame_a) - metric(frame_b)), "lo": lo, "hi": hi, "n_boot": int(n_boot),
            "block_days": int(block_days)}
