"""Evaluation metrics: pure functions of a predictions frame.

A predictions frame (what the trainer writes as ``test_predictions.csv``) has one row per
(date, ticker) and the columns of :data:`PREDICTION_COLUMNS`: the class probabilities
``p_down, p_none, p_up``, the predicted class ``pred``, the true class ``label`` (Down=0, None=1,
Up=2) and the forward return ``fwd_return`` the label was cut from. Every number here can be
recomputed from that file alone, without a trainer.

Conventions
-----------
- A ratio whose denominator is zero is 0.0 (scikit-learn's ``zero_division=0``), silently.
- A score metric (AUROC, average precision) whose binary target is constant is NaN.
- The ranking score of a row is ``p_up - p_down``: high for a likely rise, low for a likely fall.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import average_precision_score, roc_auc_score

from stgnn.classes import CLASS_NAMES, DOWN, N_CLASSES, NONE, UP

PROBA_COLUMNS = ("p_down", "p_none", "p_up")
PREDICTION_COLUMNS = ("date", "ticker", *PROBA_COLUMNS, "pred", "label", "fwd_return")
HEADLINE_METRICS = ("macro_f1", "mcc", "balanced_accuracy", "auroc_down", "auroc_up", "auc_pr_down", "auc_pr_up",
                    "auroc_move", "auroc_direction", "rank_ic")
"""The metrics every summary shows (run summaries, the report, per-year and per-seed tables)."""


def headline(metrics: dict) -> dict:
    """The :data:`HEADLINE_METRICS` of a :func:`prediction_metrics` result."""
    return {k: metrics[k] for k in HEADLINE_METRICS}


def day_codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique dates and each row's position among them: by hashing, which on string dates
    is an order of magnitude faster than sorting them."""
    codes, dates = pd.factorize(frame["date"], sort=True)
    if (codes < 0).any():
        raise ValueError(f"Expected a date on every row, got {int((codes < 0).sum())} rows without one.")
    return np.asarray(dates), codes


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of a predictions frame with a known label, ``label`` as int64: what every metric
    counts. A test window's frame also holds the usable rows without one, which only the book
    trades.

    Examples
    --------
    >>> labelled(pd.DataFrame({"label": [2, None, 0]}))["label"].tolist()
    [2, 0]
    """
    known = frame["label"].notna().to_numpy()
    return frame[known].astype({"label": "int64"})


def direction_return(frame: pd.DataFrame) -> pd.Series:
    """The return directional metrics (Rank IC, hit rate) score: ``target_return``, the return the
    label was cut from (the excess over peers for relative labels), or ``fwd_return`` in a frame
    without it (raw labels, where the two are one)."""
    return frame["target_return"] if "target_return" in frame.columns else frame["fwd_return"]


def proba_of(frame: pd.DataFrame) -> np.ndarray:
    """The (n_rows, 3) probabilities of a predictions frame, in class order."""
    return frame[list(PROBA_COLUMNS)].to_numpy()


PROBA_SUM_TOL = 1e-4
"""How far a row of probabilities may sum from 1."""

MIN_IC_TICKERS = 3
"""Days with fewer tickers than this get no information coefficient."""


def check_labels(y: ArrayLike, *, name: str = "y_true") -> np.ndarray:
    """Check a vector of classes and return it as int64.

    Parameters
    ----------
    y : array-like of shape (n_rows,)
        Classes, each Down=0, None=1 or Up=2.
    name : str
        What to call ``y`` in an error message.

    Returns
    -------
    np.ndarray of shape (n_rows,), int64

    Raises
    ------
    ValueError
        If ``y`` is not one-dimensional or holds a value outside {0, 1, 2}.

    Examples
    --------
    >>> check_labels([2, 0, 1.0]).tolist()
    [2, 0, 1]
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"Expected {name} of shape (n_rows,), got shape {y.shape}.")
    valid = np.isin(y, (DOWN, NONE, UP))
    if not valid.all():
        bad = pd.unique(y[~valid])[:5].tolist()
        raise ValueError(f"Expected {name} in {{0, 1, 2}} (Down, None, Up), got values {bad}.")
    return y.astype(np.int64)


def check_probabilities(proba: ArrayLike) -> np.ndarray:
    """Check class probabilities and return them as float64.

    Parameters
    ----------
    proba : array-like of shape (n_rows, 3)
        Probabilities of Down, None and Up; each row in [0, 1] and summing to 1 within
        :data:`PROBA_SUM_TOL`.

    Returns
    -------
    np.ndarray of shape (n_rows, 3), float64

    Raises
    ------
    ValueError
        If the shape is wrong, a probability is outside [0, 1] (or NaN), or a row does not sum to 1.

    Examples
    --------
    >>> check_probabilities([[0.2, 0.5, 0.3]]).shape
    (1, 3)
    """
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != N_CLASSES:
        raise ValueError(f"Expected probabilities of shape (n_rows, {N_CLASSES}), got shape {p.shape}.")
    inside = ((p >= 0.0) & (p <= 1.0)).all(axis=1)
    if not inside.all():
        row = int(np.flatnonzero(~inside)[0])
        raise ValueError(f"Expected probabilities in [0, 1], got {p[row].tolist()} in row {row}.")
    error = np.abs(p.sum(axis=1) - 1.0)
    if (error > PROBA_SUM_TOL).any():
        row = int(np.argmax(error))
        raise ValueError(
            f"Expected each row of probabilities to sum to 1 (tolerance {PROBA_SUM_TOL}), "
            f"got {p[row].sum()} in row {row}."
        )
    return p


def check_predictions(frame: pd.DataFrame) -> None:
    """Check a predictions frame.

    Parameters
    ----------
    frame : pd.DataFrame
        One row per (date, ticker) with the columns of :data:`PREDICTION_COLUMNS`.

    Raises
    ------
    ValueError
        If a column is missing, the frame is empty, a (date, ticker) pair repeats, the
        probabilities are invalid (see :func:`check_probabilities`), ``label`` or ``pred`` holds a
        value outside {0, 1, 2}, or ``fwd_return`` (or ``target_return``, when there) is not finite.

    Examples
    --------
    >>> check_predictions(pd.DataFrame({"date": ["2024-01-02"], "ticker": ["A"]}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Expected prediction columns [...], missing ['p_down', 'p_none', 'p_up', 'pred', 'label', 'fwd_return'].
    """
    missing = [c for c in PREDICTION_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"Expected prediction columns {list(PREDICTION_COLUMNS)}, missing {missing}.")
    if frame.empty:
        raise ValueError("Expected at least one prediction row, got 0.")
    check_probabilities(proba_of(frame))
    check_labels(frame["label"], name="label")
    check_labels(frame["pred"], name="pred")
    for column in [c for c in ("fwd_return", "target_return") if c in frame.columns]:
        values = frame[column].to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            row = int(np.flatnonzero(~np.isfinite(values))[0])
            raise ValueError(f"Expected finite {column}, got {values[row]} in row {row} (only labelled rows are "
                             "scored: select them with labelled(frame)).")
    check_unique_rows(frame)


def _ratio(num: ArrayLike, den: ArrayLike) -> np.ndarray:
    """``num / den`` elementwise, 0.0 where ``den`` is 0."""
    num, den = np.broadcast_arrays(np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64))
    return np.divide(num, den, out=np.zeros(num.shape), where=den > 0)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Counts of (true, predicted) classes with the labels fixed at Down, None, Up.

    Parameters
    ----------
    y_true, y_pred : np.ndarray of shape (n_rows,), int
        Classes in {0, 1, 2}, already checked (see :func:`check_labels`).

    Returns
    -------
    np.ndarray of shape (3, 3), int64
        Rows are true classes, columns predicted classes; an absent class gives a zero row/column.

    Examples
    --------
    >>> confusion_matrix(np.array([0, 2, 2]), np.array([0, 1, 2])).tolist()
    [[1, 0, 0], [0, 0, 0], [0, 1, 1]]
    """
    counts = np.bincount(N_CLASSES * y_true + y_pred, minlength=N_CLASSES * N_CLASSES)
    return counts.reshape(N_CLASSES, N_CLASSES)


def per_class_rates(confusion: ArrayLike) -> dict[str, np.ndarray]:
    """Precision, recall, F1, FPR and FNR of each class, one-vs-rest, from confusion matrices.

    Vectorised over leading axes, so a whole grid of confusion matrices is scored at once.
    A zero denominator gives 0.0; in particular F1 is ``2 tp / (2 tp + fp + fn)``, 0.0 for a class
    that is neither present nor predicted.

    Parameters
    ----------
    confusion : array-like of shape (..., 3, 3)
        Counts, rows true classes, columns predicted classes.

    Returns
    -------
    dict of str to np.ndarray of shape (..., 3)
        ``precision``, ``recall``, ``f1``, ``fpr`` and ``fnr`` per class (last axis: Down, None, Up).

    Examples
    --------
    >>> per_class_rates([[2, 0, 0], [1, 1, 0], [0, 0, 0]])["precision"].tolist()
    [0.6666666666666666, 1.0, 0.0]
    """
    cm = np.asarray(confusion, dtype=np.float64)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    support = cm.sum(axis=-1)
    predicted = cm.sum(axis=-2)
    fp = predicted - tp
    fn = support - tp
    tn = support.sum(axis=-1, keepdims=True) - tp - fp - fn
    return {
        "precision": _ratio(tp, predicted),
        "recall": _ratio(tp, support),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "fpr": _ratio(fp, fp + tn),
        "fnr": _ratio(fn, support),
    }


def matthews(confusion: ArrayLike) -> np.ndarray:
    """Multiclass Matthews correlation (Gorodkin's R_K) of confusion matrices, 0.0 where undefined.

    Parameters
    ----------
    confusion : array-like of shape (..., 3, 3)
        Rows true classes, columns predicted; any leading axes (a stack of resamples).

    Returns
    -------
    np.ndarray of shape (...)

    Examples
    --------
    >>> float(matthews([[2, 0, 0], [0, 1, 1], [0, 0, 2]]))  # sklearn matthews_corrcoef agrees
    0.7833494518006403
    """
    cm = np.asarray(confusion, dtype=np.float64)
    t_sum, p_sum = cm.sum(axis=-1), cm.sum(axis=-2)
    n = cm.sum(axis=(-2, -1))
    cov_tp = np.trace(cm, axis1=-2, axis2=-1) * n - (t_sum * p_sum).sum(axis=-1)
    cov_pp = n * n - (p_sum * p_sum).sum(axis=-1)
    cov_tt = n * n - (t_sum * t_sum).sum(axis=-1)
    den = cov_tt * cov_pp
    return np.divide(cov_tp, np.sqrt(np.where(den > 0, den, 1.0)), out=np.zeros(np.shape(den)), where=den > 0)


def check_unique_rows(frame: pd.DataFrame) -> None:
    """Refuse a frame with a (date, ticker) pair more than once (a stitching or merge error)."""
    repeated = frame.duplicated(["date", "ticker"])
    if repeated.any():
        date, ticker = frame.loc[repeated, ["date", "ticker"]].iloc[0]
        raise ValueError(f"Expected one row per (date, ticker), got ({date}, {ticker}) more than once.")


def classification_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict:
    """Metrics of hard class predictions.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_rows,)
        True and predicted classes in {0, 1, 2}.

    Returns
    -------
    dict
        ``per_class``: ``{"Down"|"None"|"Up": {precision, recall, f1, fpr, fnr, support}}``;
        ``macro_f1``: mean F1 over all three classes, absent ones included (as 0.0);
        ``mcc``: multiclass Matthews correlation (0.0 if undefined);
        ``balanced_accuracy``: mean recall over the classes present in ``y_true``;
        ``accuracy``; ``confusion_matrix``: 3x3 nested list, rows true, columns predicted.
        These agree with scikit-learn's ``f1_score(average="macro", labels=[0, 1, 2],
        zero_division=0)``, ``matthews_corrcoef`` and ``balanced_accuracy_score``.

    Raises
    ------
    ValueError
        If either input is invalid (see :func:`check_labels`), they differ in length, or are empty.

    Examples
    --------
    >>> m = classification_metrics([0, 1, 2, 2], [0, 1, 1, 2])
    >>> m["accuracy"], m["per_class"]["Up"]["recall"], m["confusion_matrix"][2]
    (0.75, 0.5, [0, 1, 1])
    """
    y_true = check_labels(y_true, name="y_true")
    y_pred = check_labels(y_pred, name="y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"Expected y_true and y_pred of one length, got {len(y_true)} and {len(y_pred)}.")
    if len(y_true) == 0:
        raise ValueError("Expected at least one row, got 0.")
    cm = confusion_matrix(y_true, y_pred)
    rates = per_class_rates(cm)
    support = cm.sum(axis=1)
    per_class = {
        name: {**{metric: float(values[c]) for metric, values in rates.items()}, "support": int(support[c])}
        for c, name in enumerate(CLASS_NAMES)
    }
    return {
        "per_class": per_class,
        "macro_f1": float(rates["f1"].mean()),
        "mcc": float(matthews(cm)),
        "balanced_accuracy": float(rates["recall"][support > 0].mean()),
        "accuracy": float(np.trace(cm) / len(y_true)),
        "confusion_matrix": cm.tolist(),
    }


def monitor_metrics(y_true: ArrayLike, proba: ArrayLike) -> dict[str, float]:
    """What the trainer watches on validation each epoch: argmax metrics, per-class recall and
    false-negative rates, AUROCs, and how many classes the argmax predicts (1 means collapse).

    Examples
    --------
    >>> m = monitor_metrics([0, 1, 2, 1], np.eye(3)[[0, 1, 2, 2]])
    >>> m["recall_up"], m["n_predicted_classes"]
    (1.0, 3)
    """
    proba = check_probabilities(proba)
    pred = proba.argmax(axis=1)
    cls = classification_metrics(y_true, pred)
    scores = score_metrics(y_true, proba)
    per = cls["per_class"]
    return {
        "macro_f1": cls["macro_f1"], "mcc": cls["mcc"],
        "recall_down": per["Down"]["recall"], "recall_none": per["None"]["recall"], "recall_up": per["Up"]["recall"],
        "fnr_down": per["Down"]["fnr"], "fnr_up": per["Up"]["fnr"],
        "auroc_down": scores["auroc_down"], "auroc_up": scores["auroc_up"], "auroc_mean": scores["auroc_mean"],
        "n_predicted_classes": int(len(np.unique(pred))),
    }


def _binary_scores(target: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """(average precision, AUROC) of a score for a boolean target; NaN for both if it is constant."""
    if not 0 < target.sum() < len(target):
        return float("nan"), float("nan")
    return float(average_precision_score(target, score)), float(roc_auc_score(target, score))


def score_metrics(y_true: ArrayLike, proba: ArrayLike) -> dict[str, float]:
    """Threshold-free metrics of the class probabilities.

    One-vs-rest average precision (AUC-PR) and AUROC of ``p_down`` for Down and of ``p_up`` for Up,
    and a split into two questions:

    - *move*: Up-or-Down vs None, scored by ``p_up + p_down``;
    - *direction*: among rows labelled Up or Down only, Up vs Down, scored by
      ``p_up / (p_up + p_down)`` (0.5 where both are 0).

    A metric whose target is constant (its class absent, or every row of it) is NaN, and so is a
    mean that includes one.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        True classes in {0, 1, 2}.
    proba : array-like of shape (n_rows, 3)
        Probabilities of Down, None, Up.

    Returns
    -------
    dict of str to float
        ``auc_pr_down``, ``auc_pr_up``, ``auc_pr_mean``, ``auroc_down``, ``auroc_up``,
        ``auroc_mean``, ``auroc_move``, ``auroc_direction``.

    Raises
    ------
    ValueError
        If either input is invalid or they differ in length.

    Examples
    --------
    >>> p = [[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.1, 0.3, 0.6], [0.3, 0.3, 0.4]]
    >>> m = score_metrics([0, 1, 2, 2], p)
    >>> m["auroc_up"], m["auroc_direction"]
    (1.0, 1.0)
    >>> score_metrics([1, 1, 2, 2], p)["auroc_down"]
    nan
    """
    y = check_labels(y_true, name="y_true")
    p = check_probabilities(proba)
    if len(y) != len(p):
        raise ValueError(f"Expected y_true and proba of one length, got {len(y)} and {len(p)}.")
    ap_down, auroc_down = _binary_scores(y == DOWN, p[:, DOWN])
    ap_up, auroc_up = _binary_scores(y == UP, p[:, UP])
    _, moved, move = move_question(y, p)
    rows, up, direction = direction_question(y, p)
    return {
        "auc_pr_down": ap_down,
        "auc_pr_up": ap_up,
        "auc_pr_mean": (ap_down + ap_up) / 2,
        "auroc_down": auroc_down,
        "auroc_up": auroc_up,
        "auroc_mean": (auroc_down + auroc_up) / 2,
        "auroc_move": _binary_scores(moved, move)[1],
        "auroc_direction": _binary_scores(up, direction)[1],
    }


def move_question(y: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Move detection: every row, Up-or-Down against None, scored by ``p_up + p_down``.

    Returns the rows asked (a boolean mask), their binary target and their score."""
    return np.ones(len(y), dtype=bool), y != NONE, proba[:, DOWN] + proba[:, UP]


def direction_question(y: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Direction: rows labelled Up or Down, Up against Down, scored by ``p_up / (p_up + p_down)``
    (0.5 where both are 0). Returns the rows asked, their target and their score."""
    moved = y != NONE
    move = proba[moved, DOWN] + proba[moved, UP]
    return moved, y[moved] == UP, np.divide(proba[moved, UP], move, out=np.full(len(move), 0.5), where=move > 0)


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"Expected k an integer >= 1, got {k!r}.")
    return int(k)


def ranking_metrics(frame: pd.DataFrame, *, k: int = 5) -> dict[str, float]:
    """How well the score ``p_up - p_down`` ranks the tickers of each day that rise.

    Within each date, tickers are ranked by descending score (rank 1 is the top); ties are broken
    by ascending ticker, so the result never depends on row order. A day's top k holds
    ``min(k, n_tickers)`` tickers.

    Parameters
    ----------
    frame : pd.DataFrame
        A predictions frame (see :func:`check_predictions`).
    k : int, default 5
        Size of the top of each day's ranking.

    Returns
    -------
    dict of str to float
        ``mrr``: mean over days with at least one Up label of 1 / rank of the best-ranked Up ticker;
        ``hits_at_k``: share of those days with an Up ticker in the top k;
        ``precision_at_k``: mean over all days of the share of the top k labelled Up.
        ``mrr`` and ``hits_at_k`` are NaN when no day has an Up label.

    Raises
    ------
    ValueError
        If the frame is invalid or ``k`` is not an integer >= 1.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "date": ["d1"] * 3, "ticker": ["A", "B", "C"],
    ...     "p_down": [0.1, 0.2, 0.6], "p_none": [0.3, 0.3, 0.3], "p_up": [0.6, 0.5, 0.1],
    ...     "pred": [2, 2, 0], "label": [1, 2, 0], "fwd_return": [0.0, 0.03, -0.02]})
    >>> ranking_metrics(frame, k=1)
    {'mrr': 0.5, 'hits_at_k': 0.0, 'precision_at_k': 0.0}
    """
    check_predictions(frame)
    return _ranking_metrics(frame, _check_k(k))


def _ranking_metrics(frame: pd.DataFrame, k: int) -> dict[str, float]:
    ranked = (
        frame[["date", "ticker", "label"]]
        .assign(score=frame["p_up"] - frame["p_down"])
        .sort_values(["date", "score", "ticker"], ascending=[True, False, True])
    )
    day = ranked["date"].to_numpy()
    rank = ranked.groupby("date", sort=False).cumcount().to_numpy() + 1
    is_up = ranked["label"].to_numpy() == UP
    best_up_rank = pd.Series(rank[is_up]).groupby(day[is_up]).min().to_numpy()
    top = pd.DataFrame({"day": day, "up": is_up & (rank <= k), "n": 1}).groupby("day").sum()
    no_up_day = best_up_rank.size == 0
    return {
        "mrr": float("nan") if no_up_day else float(np.mean(1.0 / best_up_rank)),
        "hits_at_k": float("nan") if no_up_day else float(np.mean(best_up_rank <= k)),
        "precision_at_k": float(np.mean(top["up"] / np.minimum(top["n"], k))),
    }


def _grouped_pearson(day: np.ndarray, x: np.ndarray, y: np.ndarray) -> pd.Series:
    """Pearson correlation of ``x`` and ``y`` within each day (inf/NaN where one is constant)."""
    data = pd.DataFrame({"x": x, "y": y})
    dev = data - data.groupby(day).transform("mean")
    sums = pd.DataFrame({"xy": dev["x"] * dev["y"], "xx": dev["x"] ** 2, "yy": dev["y"] ** 2}).groupby(day).sum()
    return (sums["xy"] / np.sqrt(sums["xx"] * sums["yy"])).clip(-1.0, 1.0)


def daily_information_coefficients(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-day information coefficients of the score ``p_up - p_down`` against the return the
    labels were cut from (:func:`direction_return`).

    Days with fewer than :data:`MIN_IC_TICKERS` tickers, or a constant score or constant returns,
    are left out (their correlation is undefined or meaningless).

    Parameters
    ----------
    frame : pd.DataFrame
        A predictions frame (see :func:`check_predictions`).

    Returns
    -------
    pd.DataFrame of shape (n_kept_days, 2)
        Indexed by date (sorted); ``ic`` is the Pearson and ``rank_ic`` the Spearman correlation.

    Raises
    ------
    ValueError
        If the frame is invalid.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "date": ["d1"] * 3 + ["d2"] * 2, "ticker": ["A", "B", "C", "A", "B"],
    ...     "p_down": [0.1, 0.2, 0.6, 0.1, 0.2], "p_none": [0.3] * 5, "p_up": [0.6, 0.5, 0.1, 0.6, 0.5],
    ...     "pred": [2, 2, 0, 2, 2], "label": [2, 1, 0, 2, 1], "fwd_return": [0.03, 0.0, -0.02, 0.1, 0.0]})
    >>> daily_information_coefficients(frame)["rank_ic"].to_dict()
    {'d1': 1.0}
    """
    check_predictions(frame)
    return daily_ic_unchecked(frame)


def daily_ic_unchecked(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`daily_information_coefficients` without the input checks, for callers that made them."""
    dates, day = day_codes(frame)  # grouping by codes, not strings
    data = pd.DataFrame({"score": (frame["p_up"] - frame["p_down"]).to_numpy(),
                         "ret": direction_return(frame).to_numpy(dtype=np.float64)})
    by_day = data.groupby(day)
    lo, hi = by_day.min(), by_day.max()
    kept = (by_day.size() >= MIN_IC_TICKERS) & (hi["score"] > lo["score"]) & (hi["ret"] > lo["ret"])
    ranks = by_day.rank(method="average")
    out = pd.DataFrame({
        "ic": _grouped_pearson(day, data["score"].to_numpy(), data["ret"].to_numpy()),
        "rank_ic": _grouped_pearson(day, ranks["score"].to_numpy(), ranks["ret"].to_numpy()),
    })[kept]
    out.index = pd.Index(dates[out.index], name="date")
    return out


def daily_quantile_returns(frame: pd.DataFrame, n_quantiles: int = 5) -> pd.DataFrame:
    """Each day's mean forward return of the tickers in each quantile of the score ``p_up - p_down``
    (1 lowest), less that day's mean over all tickers (alphalens' demeaned returns): what a
    quantile earned beyond the universe.

    The return is the raw ``fwd_return`` (log, over the horizon, from the trading day on); days with
    fewer than ``n_quantiles`` tickers are left out.

    Returns
    -------
    pd.DataFrame of shape (n_days, n_quantiles)
        Indexed by date (sorted), columns 1 .. ``n_quantiles``.

    Examples
    --------
    >>> frame = pd.DataFrame({"date": ["d1"] * 4, "ticker": list("ABCD"), "p_down": [0.5, 0.4, 0.2, 0.1],
    ...                       "p_up": [0.1, 0.2, 0.4, 0.5], "fwd_return": [-0.02, 0.0, 0.01, 0.03]})
    >>> daily_quantile_returns(frame, 2).round(4).to_dict("records")
    [{1: -0.015, 2: 0.015}]
    """
    if n_quantiles < 2:
        raise ValueError(f"Expected n_quantiles >= 2, got {n_quantiles}.")
    data = pd.DataFrame({"date": frame["date"].to_numpy(), "score": (frame["p_up"] - frame["p_down"]).to_numpy(),
                         "ret": frame["fwd_return"].to_numpy(dtype=np.float64)}).dropna()
    data = data[data.groupby("date")["ret"].transform("size") >= n_quantiles]
    rank = data.groupby("date")["score"].rank(method="first", pct=True)
    data["quantile"] = np.ceil(rank * n_quantiles).astype(int).clip(1, n_quantiles)
    data["ret"] -= data.groupby("date")["ret"].transform("mean")
    return data.pivot_table(index="date", columns="quantile", values="ret", aggfunc="mean").sort_index()


def mean_rank_ic(frame: pd.DataFrame) -> float:
    """Mean daily Rank IC of a frame already checked (NaN over no days): what early stopping and
    trial selection rank by with ``rank_ic``."""
    return _ic_summary(daily_ic_unchecked(frame))["rank_ic"]


def information_coefficients(frame: pd.DataFrame) -> dict[str, float | int]:
    """Mean daily IC and rank IC of the score ``p_up - p_down``, and the rank-IC information ratio.

    Parameters
    ----------
    frame : pd.DataFrame
        A predictions frame (see :func:`check_predictions`).

    Returns
    -------
    dict
        ``ic``: mean daily Pearson IC; ``rank_ic``: mean daily Spearman IC; ``icir``: mean / sample
        standard deviation (ddof=1) of the daily rank IC, NaN with fewer than 2 days or zero spread;
        ``n_ic_days``: days kept (see :func:`daily_information_coefficients`). Means over no days
        are NaN.

    Raises
    ------
    ValueError
        If the frame is invalid.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "date": ["d1"] * 3, "ticker": ["A", "B", "C"],
    ...     "p_down": [0.1, 0.2, 0.6], "p_none": [0.3] * 3, "p_up": [0.6, 0.5, 0.1],
    ...     "pred": [2, 2, 0], "label": [2, 1, 0], "fwd_return": [0.03, 0.0, -0.02]})
    >>> information_coefficients(frame)["rank_ic"], information_coefficients(frame)["n_ic_days"]
    (1.0, 1)
    """
    check_predictions(frame)
    return _ic_summary(daily_ic_unchecked(frame))


def _ic_summary(daily: pd.DataFrame) -> dict[str, float | int]:
    n = len(daily)
    spread = float(daily["rank_ic"].std(ddof=1)) if n >= 2 else float("nan")
    return {
        "ic": float(daily["ic"].mean()) if n else float("nan"),
        "rank_ic": float(daily["rank_ic"].mean()) if n else float("nan"),
        "icir": float(daily["rank_ic"].mean() / spread) if spread > 0 else float("nan"),
        "n_ic_days": n,
    }


def call_hit_rate(pred: ArrayLike, fwd_return: ArrayLike) -> tuple[float, int]:
    """Share of the Down/Up calls whose forward return had the called sign, and how many calls.

    Calls whose forward return is unknown (NaN) are not counted; a return of exactly 0 counts as
    a call but neither right nor wrong. NaN when no call moved.

    Examples
    --------
    >>> call_hit_rate([UP, DOWN, UP, NONE, DOWN], [0.01, 0.01, 0.0, 0.05, np.nan])
    (0.5, 3)
    """
    pred, fwd = np.asarray(pred), np.asarray(fwd_return, dtype=float)
    calls = np.isin(pred, [DOWN, UP]) & ~np.isnan(fwd)
    moved = calls & (fwd != 0)
    right = np.sign(fwd[moved]) == np.where(pred[moved] == UP, 1, -1)
    return (float(right.mean()) if moved.any() else float("nan")), int(calls.sum())


def prediction_metrics(frame: pd.DataFrame, *, k: int = 5) -> dict:
    """Every metric of a predictions frame in one JSON-serialisable dict.

    The predicted class is ``frame["pred"]``; to judge other decisions (argmax, tuned thresholds)
    replace that column first.

    Parameters
    ----------
    frame : pd.DataFrame
        A predictions frame (see :func:`check_predictions`).
    k : int, default 5
        Top-k size of the ranking metrics.

    Returns
    -------
    dict
        The keys of :func:`classification_metrics`, :func:`score_metrics`,
        :func:`ranking_metrics` and :func:`information_coefficients`, plus ``n_rows``, ``n_days``
        and ``k``. Values are Python floats, ints, lists and dicts; undefined values are NaN.

    Raises
    ------
    ValueError
        If the frame is invalid or ``k`` is not an integer >= 1.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "date": ["d1"] * 3 + ["d2"] * 3, "ticker": ["A", "B", "C"] * 2,
    ...     "p_down": [0.1, 0.2, 0.6, 0.5, 0.2, 0.1], "p_none": [0.3] * 6,
    ...     "p_up": [0.6, 0.5, 0.1, 0.2, 0.5, 0.6], "pred": [2, 2, 0, 0, 2, 2],
    ...     "label": [2, 1, 0, 0, 1, 2], "fwd_return": [0.03, 0.0, -0.02, -0.04, 0.01, 0.05]})
    >>> m = prediction_metrics(frame, k=1)
    >>> m["accuracy"], m["mrr"], m["rank_ic"], m["n_days"]
    (0.6666666666666666, 1.0, 1.0, 2)
    """
    check_predictions(frame)
    k = _check_k(k)
    y_true = frame["label"].to_numpy()
    return {
        **classification_metrics(y_true, frame["pred"].to_numpy()),
        **score_metrics(y_true, proba_of(frame)),
        **_ranking_metrics(frame, k),
        **_ic_summary(daily_ic_unchecked(frame)),
        "n_rows": len(frame),
        "n_days": int(frame["date"].nunique()),
        "k": k,
    }
