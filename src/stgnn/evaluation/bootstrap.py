"""Block bootstrap over days: confidence intervals that respect serial dependence.

Days (the sorted unique dates of a predictions frame) are cut into non-overlapping blocks of
``block_days`` consecutive dates; a resample draws blocks with replacement and lays them end to
end until it is as long as the original, then is cut to that length. Serial dependence within a
block (overlapping labels, volatility regimes) is kept, and no block runs from the last day back
to the first: a circular scheme would join the end of the sample to its start, two stretches of
the market that have nothing to do with each other. Unlike the moving-block bootstrap, every day
is drawn equally often on average: moving blocks under-sample the first and last ``block - 1``
days, and on the bundled S&P 500 run those were volatile weeks (early 2016, early 2018) where
models score well, which pulled every resampled macro-F1 down and left the estimate at the top
of its own interval. A label over ``h`` days overlaps the labels of the next ``h - 1`` days, so
a block shorter than about ``2 h`` days cuts through that dependence and the interval comes out
too narrow; :func:`block_for_horizon` gives the block to use.

A paired comparison resamples both models with the *same* day indices, so the interval is for the
difference on the same rows. Intervals are percentile intervals of the resampled values.

A day drawn twice counts as two distinct days: the generic path relabels each drawn day
``f"{date}#{k}"`` (``k`` its position in the resample) before calling the metric, so per-day
metrics (ranking, information coefficients) see it twice instead of merging it into one day.

Five metrics have a fast path, any other callable of a frame goes through the generic path (one
metric call per resample) and gives the same numbers as the fast path would:

- :class:`DayMetric`, per-day sufficient statistics: :data:`macro_f1_of` and :data:`mcc_of` sum
  per-day confusion matrices over the resampled days, :data:`rank_ic_of` averages per-day rank ICs.
  500 resamples of 250 days take milliseconds.
- :class:`PairMetric`, an AUROC (:data:`move_auroc_of`, :data:`direction_auroc_of`). An AUROC is
  no sum over days, but a resample that draws day ``d`` ``c[d]`` times counts each pair (positive
  on day ``d``, negative on day ``e``) ``c[d] * c[e]`` times. With ``A[d, e]`` the pairs the score
  orders right (ties half), counted once, every resample's AUROC is the quadratic form
  ``c @ A @ c / ((c @ n_pos) * (c @ n_neg))``: 500 resamples of 500 tickers x 750 days take about
  a second instead of a sort of every resample's rows.

:func:`block_bootstrap` resamples the rows of an array the same way (a backtest's period returns).
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np
import pandas as pd
from scipy import sparse

from stgnn.classes import N_CLASSES
from stgnn.evaluation.metrics import (check_labels, check_predictions, check_probabilities, daily_ic_unchecked,
                                      day_codes, direction_question, matthews, move_question, per_class_rates,
                                      proba_of, score_metrics)

Metric = Callable[[pd.DataFrame], float]

SCHEME = "non-overlapping blocks of consecutive dates, drawn with replacement (no wrap-around)"
"""How :func:`block_indices` resamples, in words (``metrics.json`` records it)."""


def _day_codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~stgnn.evaluation.metrics.day_codes` of a frame checked to have dates."""
    if "date" not in frame.columns:
        raise ValueError(f"Expected a 'date' column, got columns {list(frame.columns)}.")
    if frame.empty:
        raise ValueError("Expected at least one prediction row, got 0.")
    return day_codes(frame)


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

    def resampled(self, frame: pd.DataFrame, idx: np.ndarray) -> np.ndarray:
        """The metric of each resample, ``idx`` of shape (n_resamples, n_days) day positions."""
        return np.asarray(self.combine(self.per_day(frame)[idx]), dtype=np.float64)


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
    """Spearman IC of ``p_up - p_down`` vs the labels' return (:func:`direction_return`) per sorted
    date (NaN on days left out).

    Days are left out as in :func:`stgnn.evaluation.metrics.daily_information_coefficients`.
    """
    check_predictions(frame)
    dates, _ = _day_codes(frame)
    return daily_ic_unchecked(frame)["rank_ic"].reindex(dates).to_numpy(dtype=np.float64)


def _macro_f1(cms: np.ndarray) -> np.ndarray:
    return per_class_rates(cms.sum(axis=1))["f1"].mean(axis=-1)


def _mcc(cms: np.ndarray) -> np.ndarray:
    return matthews(cms.sum(axis=1))


def _mean_ic(ics: np.ndarray) -> np.ndarray:
    kept = np.isfinite(ics)
    n = kept.sum(axis=1)
    total = np.where(kept, ics, 0.0).sum(axis=1)
    return np.divide(total, n, out=np.full(len(ics), np.nan), where=n > 0)


def _icir(ics: np.ndarray) -> np.ndarray:
    """Mean over sample standard deviation (ddof=1) of the finite daily ICs of each row; NaN with
    fewer than 2 days or no spread."""
    kept = np.isfinite(ics)
    n = kept.sum(axis=1)
    mean = _mean_ic(ics)
    squares = np.where(kept, ics - mean[:, None], 0.0) ** 2
    std = np.sqrt(np.divide(squares.sum(axis=1), n - 1, out=np.full(len(ics), np.nan), where=n > 1))
    return np.divide(mean, std, out=np.full(len(ics), np.nan), where=std > 0)


macro_f1_of = DayMetric("macro_f1", daily_confusions, _macro_f1)
"""Macro-F1 over Down, None, Up of ``pred`` (as ``classification_metrics(...)["macro_f1"]``)."""

mcc_of = DayMetric("mcc", daily_confusions, _mcc)
"""Multiclass Matthews correlation of ``pred`` (as ``classification_metrics(...)["mcc"]``)."""

rank_ic_of = DayMetric("rank_ic", daily_rank_ic, _mean_ic)
"""Mean daily rank IC of ``p_up - p_down`` (as ``information_coefficients(...)["rank_ic"]``)."""

icir_of = DayMetric("icir", daily_rank_ic, _icir)
"""Mean over spread of the daily rank IC (as ``information_coefficients(...)["icir"]``)."""

PAIR_CHUNK = 128
"""Rows per chunk of :func:`pair_counts`: pairs inside a chunk are counted one by one, across
chunks by a matrix product over ``n_rows / PAIR_CHUNK`` chunks (128 balances the two)."""


def pair_counts(target: np.ndarray, score: np.ndarray, day: np.ndarray, n_days: int) -> np.ndarray:
    """Pairs (positive on day ``d``, negative on day ``e``) that ``score`` orders right, of shape (n_days, n_days).

    A pair counts 1 when the positive scores higher and 1/2 on a tie, so ``A.sum() / (n_pos * n_neg)``
    is the AUROC of ``score`` for ``target``.

    Rows are sorted by score (negatives first among ties) and cut into chunks of
    :data:`PAIR_CHUNK`: a negative in an earlier chunk than a positive is below it, and those pairs
    are counted for all chunks at once by one product of per-chunk day histograms; pairs inside a
    chunk are counted one by one. Tied pairs, counted whole so far, are then taken half back. All
    counts are integers or halves, exact in float64.

    Parameters
    ----------
    target : np.ndarray of shape (n_rows,), bool
    score : np.ndarray of shape (n_rows,)
    day : np.ndarray of shape (n_rows,), int
        Each row's day, in ``[0, n_days)``.
    n_days : int

    Examples
    --------
    >>> pair_counts(np.array([True, False, True]), np.array([0.9, 0.5, 0.5]), np.array([0, 0, 1]), 2)
    array([[1. , 0. ],
           [0.5, 0. ]])
    """
    if not len(score):
        return np.zeros((n_days, n_days))
    order = np.lexsort((target, score))
    t, s, d = target[order], score[order], day[order]
    n_rows = len(s)
    n_chunks = -(-n_rows // PAIR_CHUNK)
    chunk = np.arange(n_rows) // PAIR_CHUNK

    def histogram(rows):
        cells = np.bincount(chunk[rows] * n_days + d[rows], minlength=n_chunks * n_days)
        return cells.reshape(n_chunks, n_days).astype(np.float64)

    pos, neg = histogram(t), histogram(~t)
    pairs = pos.T @ (np.cumsum(neg, axis=0) - neg)

    pad = n_chunks * PAIR_CHUNK - n_rows
    t_in, neg_in = (np.concatenate([m, np.zeros(pad, bool)]).reshape(n_chunks, -1) for m in (t, ~t))
    d_in = np.concatenate([d, np.zeros(pad, d.dtype)]).reshape(n_chunks, -1)
    below, above = np.triu_indices(PAIR_CHUNK, 1)
    step = max(1, 2**22 // len(below))  # chunks at a time: about 4M candidate pairs
    for first in range(0, n_chunks, step):
        part = slice(first, first + step)
        kept = neg_in[part][:, below] & t_in[part][:, above]
        cells = (d_in[part][:, above] * n_days + d_in[part][:, below])[kept]
        pairs += np.bincount(cells, minlength=n_days * n_days).reshape(n_days, n_days)

    group = np.cumsum(np.concatenate([[True], s[1:] != s[:-1]])) - 1
    shape = (int(group[-1]) + 1, n_days)
    by_group = [sparse.csr_array((np.ones(m.sum()), (group[m], d[m])), shape=shape) for m in (t, ~t)]
    return pairs - 0.5 * (by_group[0].T @ by_group[1]).toarray()


def _day_counts(idx: np.ndarray, n_days: int) -> np.ndarray:
    """How often each day is drawn in each resample, of shape (n_resamples, n_days)."""
    flat = (np.arange(len(idx))[:, None] * n_days + idx).reshape(-1)
    return np.bincount(flat, minlength=len(idx) * n_days).reshape(len(idx), n_days).astype(np.float64)


class PairMetric:
    """An AUROC of a predictions frame whose resamples all come from one :func:`pair_counts` table.

    Parameters
    ----------
    name : str
    binary : callable
        ``binary(frame)`` -> ``(rows, target, score)``: which rows take part (bool, n_rows), and
        their boolean target and score.
    of : callable
        ``of(frame) -> float``: the metric's definition, which gives the value of a frame (the
        resampled values agree with it on the resampled frames).

    Examples
    --------
    Scores ``p_up + p_down`` of the moves (Up, Down, Up) are 0.5, 0.4, 0.8 against 0.6 for the
    None: 1 pair in 3 ordered right. Day d1 drawn twice holds 0.5 twice against 0.6 twice; day d2
    drawn twice holds no None.

    >>> f = pd.DataFrame({"date": ["d1", "d1", "d2", "d2"], "ticker": ["A", "B"] * 2,
    ...                   "p_down": [0.3, 0.2, 0.2, 0.1], "p_none": [0.4, 0.5, 0.6, 0.2],
    ...                   "p_up": [0.3, 0.3, 0.2, 0.7], "label": [1, 2, 0, 2]})
    >>> move_auroc_of.resampled(f, np.array([[0, 1], [0, 0], [1, 1]]))
    array([0.33333333, 0.        ,        nan])
    """

    def __init__(self, name: str, binary: Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray, np.ndarray]],
                 of: Metric):
        self.__name__ = name
        self.binary = binary
        self.of = of

    def __repr__(self) -> str:
        return f"PairMetric({self.__name__!r})"

    def __call__(self, frame: pd.DataFrame) -> float:
        return float(self.of(frame))

    def resampled(self, frame: pd.DataFrame, idx: np.ndarray) -> np.ndarray:
        """The AUROC of each resample, ``idx`` of shape (n_resamples, n_days) day positions (NaN
        where a resample holds no positive or no negative)."""
        dates, codes = _day_codes(frame)
        rows, target, score = self.binary(frame)
        day = codes[rows]
        pairs = pair_counts(target, score, day, len(dates))
        counts = _day_counts(idx, len(dates))
        right = ((counts @ pairs) * counts).sum(axis=1)
        total = (counts @ np.bincount(day[target], minlength=len(dates))) * (
            counts @ np.bincount(day[~target], minlength=len(dates)))
        return np.divide(right, total, out=np.full(len(idx), np.nan), where=total > 0)


def _probabilities(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return check_labels(frame["label"].to_numpy(), name="label"), check_probabilities(proba_of(frame))


def _move_rows(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return move_question(*_probabilities(frame))


def _direction_rows(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return direction_question(*_probabilities(frame))


def _score_metric(frame: pd.DataFrame, key: str) -> float:
    y, p = _probabilities(frame)
    return score_metrics(y, p)[key]


move_auroc_of = PairMetric("auroc_move", _move_rows, partial(_score_metric, key="auroc_move"))
"""AUROC of Up-or-Down vs None by ``p_up + p_down`` (as ``score_metrics(...)["auroc_move"]``)."""

direction_auroc_of = PairMetric("auroc_direction", _direction_rows, partial(_score_metric, key="auroc_direction"))
"""AUROC of Up vs Down among rows that moved (as ``score_metrics(...)["auroc_direction"]``)."""


def _check_count(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Expected {name} an integer >= 1, got {value!r}.")


def _check_settings(block_days: int, n_boot: int, alpha: float, *, block_name: str = "block_days") -> None:
    _check_count(block_days, block_name)
    _check_count(n_boot, "n_boot")
    if not 0 < alpha < 1:
        raise ValueError(f"Expected alpha in (0, 1), got {alpha}.")


def block_for_horizon(block_days: int, horizon: int) -> int:
    """The block length to use for labels over ``horizon`` days: ``max(block_days, 2 * horizon)``.

    A label over ``h`` days shares days with the labels of the next ``h - 1`` days; a block of at
    least ``2 h`` days keeps most of that overlap inside blocks, where a shorter one would treat
    overlapping (and so correlated) labels as independent and give too narrow an interval.

    Examples
    --------
    >>> block_for_horizon(20, 1), block_for_horizon(20, 15)
    (20, 30)
    """
    _check_count(block_days, "block_days")
    _check_count(horizon, "horizon")
    return max(int(block_days), 2 * int(horizon))


def block_indices(n_days: int, *, block_days: int, n_boot: int, seed: int) -> np.ndarray:
    """Day positions of ``n_boot`` non-overlapping-block resamples, of shape (n_boot, n_days).

    The days are cut into consecutive blocks of ``block = min(block_days, n_days)`` days (the
    remainder joins the last block, so no block is shorter than ``block``); each resample draws
    blocks uniformly with replacement, lays them end to end and cuts the result to ``n_days``.
    Every day is drawn about equally often, the first and last included (exactly when ``block``
    divides ``n_days``; with a remainder the cut shaves block ends, by under 10% at the edges of
    103 days in 20-day blocks), and no block runs from the last day back to the first. With ``block_days >= n_days`` every resample is the
    sample itself.

    Examples
    --------
    >>> block_indices(5, block_days=2, n_boot=1, seed=0).shape
    (1, 5)
    >>> block_indices(3, block_days=3, n_boot=2, seed=0).tolist()
    [[0, 1, 2], [0, 1, 2]]
    """
    if n_days < 1:
        raise ValueError(f"Expected n_days >= 1, got {n_days}.")
    _check_settings(block_days, n_boot, 0.05)
    block = min(int(block_days), n_days)
    n_blocks = n_days // block
    longest = n_days - (n_blocks - 1) * block
    padded = np.full((n_blocks, longest), -1)
    for i in range(n_blocks):
        days = np.arange(i * block, n_days if i == n_blocks - 1 else (i + 1) * block)
        padded[i, : len(days)] = days
    enough = -(-n_days // block)  # draws that cover n_days even if every one is a shortest block
    draws = np.random.default_rng(seed).integers(0, n_blocks, size=(n_boot, enough))
    idx = padded[draws].reshape(n_boot, -1)
    first_days = np.argsort(idx < 0, axis=1, kind="stable")[:, :n_days]  # drop the padding, keep the order
    return np.take_along_axis(idx, first_days, axis=1)


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
    if isinstance(metric, (DayMetric, PairMetric)):
        return metric.resampled(frame, idx)
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
        A predictions frame (columns as the metric needs; see :mod:`stgnn.evaluation.metrics`).
    metric : callable
        ``metric(frame) -> float``; :data:`macro_f1_of`, :data:`mcc_of`, :data:`rank_ic_of`,
        :data:`move_auroc_of` and :data:`direction_auroc_of` take the fast path.
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
        ``metric(frame) -> float``; :data:`macro_f1_of`, :data:`mcc_of`, :data:`rank_ic_of`,
        :data:`move_auroc_of` and :data:`direction_auroc_of` take the fast path.
    block_days : int, default 20
        Length of the blocks of consecutive days (see :func:`block_for_horizon`).
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


def block_bootstrap(values, statistic: Callable[[np.ndarray], np.ndarray], *, block: int, n_boot: int = 500,
                    seed: int = 0, alpha: float = 0.05) -> dict:
    """Percentile block-bootstrap interval of a statistic of consecutive rows (a backtest's periods).

    The rows are resampled as :func:`block_indices` resamples days, so the same ``block``,
    ``n_boot`` and ``seed`` give the same resamples to every statistic.

    Parameters
    ----------
    values : array-like of shape (n_rows, ...)
        Consecutive observations, one a row.
    statistic : callable
        ``statistic(stack)`` with ``stack`` of shape (n_resamples, n_rows, ...) -> np.ndarray of
        shape (n_resamples,).
    block : int
        Block length in rows.
    n_boot, seed, alpha
        Resamples, rng seed and 1 - confidence.

    Returns
    -------
    dict
        ``value`` (the statistic of ``values``), ``lo``, ``hi``, ``n_boot``.

    Examples
    --------
    >>> r = np.array([0.01, -0.02, 0.03, 0.0, 0.01])
    >>> ci = block_bootstrap(r, lambda stack: stack.mean(axis=1), block=2, n_boot=200)
    >>> round(ci["value"], 6), ci["lo"] <= ci["value"] <= ci["hi"]
    (0.006, True)
    """
    _check_settings(block, n_boot, alpha, block_name="block")
    values = np.asarray(values, dtype=np.float64)
    idx = block_indices(len(values), block_days=block, n_boot=n_boot, seed=seed)
    lo, hi = _interval(np.asarray(statistic(values[idx]), dtype=np.float64), alpha)
    return {"value": float(statistic(values[None])[0]), "lo": lo, "hi": hi, "n_boot": int(n_boot)}
