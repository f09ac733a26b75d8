"""Decision thresholds: tuned on validation predictions for an objective, applied on test.

The decision rule
-----------------
With thresholds ``t_down`` and ``t_up``, each row gets the margins ``m_down = p_down - t_down`` and
``m_up = p_up - t_up``:

- None if both margins are negative;
- otherwise the class with the larger margin;
- None on an exact tie ``m_down == m_up >= 0`` (no preferred direction).

Equivalently, and this is how it is computed: Up iff ``p_up >= t_up`` and
``p_up - p_down > t_up - t_down``; Down iff ``p_down >= t_down`` and ``p_up - p_down < t_up - t_down``.
Written this way each side of a comparison is either a row's value or a threshold value, so
:func:`tune_thresholds` scores a whole grid with sorted searches and gets exactly the predictions
:func:`apply_thresholds` makes.

Argmax (:func:`argmax_predict`) is no setting of the two thresholds in general: it predicts None
when ``p_none`` beats both, which depends on ``p_none``. Thresholds at 0.5 agree with argmax
wherever a class has probability >= 0.5.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from stgnn.classes import DOWN, N_CLASSES, NONE, UP
from stgnn.evaluation.metrics import check_labels, check_probabilities, per_class_rates
from stgnn.io import atomic_write_text

Objective = Literal["macro_f1", "recall_at_precision", "fnr"]
OBJECTIVES = ("macro_f1", "recall_at_precision", "fnr")
N_CANDIDATES = 50
"""Quantiles of each probability tried by the default grid (0.5 is added)."""

_MOVES = [DOWN, UP]


@dataclass(frozen=True)
class DecisionThresholds:
    """Two decision thresholds and how they were chosen.

    Attributes
    ----------
    down, up : float
        ``t_down`` and ``t_up`` of the decision rule (see the module docstring), in [0, 1].
    objective : str
        The objective they were tuned for, one of :data:`OBJECTIVES`.
    value : float
        The objective's criterion at these thresholds on the tuning data: macro-F1 for
        ``"macro_f1"`` and ``"fnr"``, mean recall of Down and Up for ``"recall_at_precision"``.
    feasible : bool
        False if no grid point met the objective's constraint, so the thresholds are those of the
        best macro-F1 instead.

    Examples
    --------
    >>> t = DecisionThresholds(down=0.4, up=0.35, objective="macro_f1", value=0.41)
    >>> DecisionThresholds.from_dict(t.to_dict()) == t
    True
    """

    down: float
    up: float
    objective: str
    value: float
    feasible: bool = True

    def __post_init__(self) -> None:
        for name in ("down", "up"):
            threshold = getattr(self, name)
            if not 0.0 <= threshold <= 1.0:
                raise ValueError(f"Expected threshold {name} in [0, 1], got {threshold}.")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"Expected objective in {OBJECTIVES}, got {self.objective!r}.")

    def to_dict(self) -> dict:
        """The fields as a JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DecisionThresholds:
        """Build from :meth:`to_dict`'s output.

        Raises
        ------
        ValueError
            If a key is unknown or a required one is missing, or a value is invalid.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        missing = sorted({"down", "up", "objective", "value"} - set(data))
        if unknown or missing:
            raise ValueError(f"Expected threshold keys {sorted(known)}, got unknown {unknown}, missing {missing}.")
        return cls(**data)

    def rule_text(self) -> str:
        """The decision rule with these numbers, in the terms of a row's :func:`margins`: what
        ``stgnn predict`` prints above its calls."""
        return (f"t_down {self.down:.4f}, t_up {self.up:.4f} (tuned on validation for {self.objective}); "
                "margin_down = p_down - t_down, margin_up = p_up - t_up; the call is the side with the larger "
                "margin if that margin is >= 0, else None (None on a tie)")

    def save(self, path: str | os.PathLike) -> None:
        """Write as JSON, atomically."""
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> DecisionThresholds:
        """Read a file written by :meth:`save`."""
        with open(path) as f:
            return cls.from_dict(json.load(f))


def argmax_predict(proba: ArrayLike) -> np.ndarray:
    """The most probable class of each row; ties go to the lower class (Down, then None).

    Parameters
    ----------
    proba : array-like of shape (n_rows, 3)
        Probabilities of Down, None, Up.

    Returns
    -------
    np.ndarray of shape (n_rows,), int64

    Raises
    ------
    ValueError
        If ``proba`` is invalid (see :func:`~stgnn.evaluation.metrics.check_probabilities`).

    Examples
    --------
    >>> argmax_predict([[0.2, 0.5, 0.3], [0.4, 0.2, 0.4]]).tolist()
    [1, 0]
    """
    return np.argmax(check_probabilities(proba), axis=1).astype(np.int64)


def apply_thresholds(proba: ArrayLike, thresholds: DecisionThresholds) -> np.ndarray:
    """Classify rows by the margin rule (see the module docstring).

    Parameters
    ----------
    proba : array-like of shape (n_rows, 3)
        Probabilities of Down, None, Up.
    thresholds : DecisionThresholds

    Returns
    -------
    np.ndarray of shape (n_rows,), int64
        Down=0, None=1, Up=2.

    Raises
    ------
    ValueError
        If ``proba`` is invalid (see :func:`~stgnn.evaluation.metrics.check_probabilities`).

    Examples
    --------
    >>> t = DecisionThresholds(down=0.4, up=0.3, objective="macro_f1", value=0.0)
    >>> apply_thresholds([[0.2, 0.7, 0.1], [0.5, 0.15, 0.35], [0.3, 0.3, 0.4]], t).tolist()
    [1, 0, 2]
    """
    p = check_probabilities(proba)
    up_minus_down = p[:, UP] - p[:, DOWN]
    offset = thresholds.up - thresholds.down
    pred = np.full(len(p), NONE, dtype=np.int64)
    pred[(p[:, UP] >= thresholds.up) & (up_minus_down > offset)] = UP
    pred[(p[:, DOWN] >= thresholds.down) & (up_minus_down < offset)] = DOWN
    return pred


def margins(proba: ArrayLike, thresholds: DecisionThresholds) -> tuple[np.ndarray, np.ndarray]:
    """``margin_down = p_down - t_down`` and ``margin_up = p_up - t_up`` of each row: the side with
    the larger margin is the call if that margin is >= 0 (the module docstring's rule).

    Examples
    --------
    >>> t = DecisionThresholds(down=0.4, up=0.3, objective="macro_f1", value=0.0)
    >>> [np.round(m, 2).tolist() for m in margins([[0.5, 0.15, 0.35]], t)]
    [[0.1], [0.05]]
    """
    p = check_probabilities(proba)
    return p[:, DOWN] - thresholds.down, p[:, UP] - thresholds.up


def _check_candidates(values: ArrayLike, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or not ((values >= 0.0) & (values <= 1.0)).all():
        raise ValueError(f"Expected {name} candidates a non-empty 1-D array in [0, 1], got {values!r}.")
    return np.unique(values)


def grid_confusion(y_true: np.ndarray, proba: np.ndarray, downs: np.ndarray, ups: np.ndarray) -> np.ndarray:
    """Confusion matrices of the decision rule at every pair of candidate thresholds.

    For a fixed ``t_down``, a row is Up at the ``t_up`` candidates below a row-specific cut and
    Down at those above another, so two sorted searches per ``t_down`` and a cumulative count give
    a whole row of the grid: O(n_rows * len(downs) * log(len(ups))) time.

    Parameters
    ----------
    y_true : np.ndarray of shape (n_rows,), int
        Checked true classes.
    proba : np.ndarray of shape (n_rows, 3)
        Checked probabilities.
    downs, ups : np.ndarray of shape (n_down,) and (n_up,)
        Candidate ``t_down`` and ``t_up``, each sorted ascending.

    Returns
    -------
    np.ndarray of shape (n_down, n_up, 3, 3), int64
        ``out[i, j]`` is the confusion matrix (rows true, columns predicted) of
        ``apply_thresholds(proba, t_down=downs[i], t_up=ups[j])``.

    Examples
    --------
    >>> p = np.array([[0.6, 0.3, 0.1], [0.1, 0.3, 0.6]])
    >>> grid_confusion(np.array([0, 2]), p, np.array([0.5]), np.array([0.5, 0.7]))[0, :, 2].tolist()
    [[0, 0, 1], [0, 1, 0]]
    """
    n_up = len(ups)
    up_minus_down = proba[:, UP] - proba[:, DOWN]
    row_offset = y_true * (n_up + 1)
    # Row r can be Up only where ups[j] <= p_up[r], i.e. for j < up_allowed[r].
    up_allowed = np.searchsorted(ups, proba[:, UP], side="right")
    support = np.bincount(y_true, minlength=N_CLASSES)
    out = np.empty((len(downs), n_up, N_CLASSES, N_CLASSES), dtype=np.int64)
    for i, t_down in enumerate(downs):
        offsets = ups - t_down  # t_up - t_down per column, non-decreasing
        # Up where offsets[j] < up_minus_down: a prefix; Down where offsets[j] > up_minus_down: a suffix.
        up_end = np.minimum(up_allowed, np.searchsorted(offsets, up_minus_down, side="left"))
        down_start = np.where(
            proba[:, DOWN] >= t_down, np.searchsorted(offsets, up_minus_down, side="right"), n_up
        )
        up_ends = np.bincount(row_offset + up_end, minlength=N_CLASSES * (n_up + 1)).reshape(N_CLASSES, n_up + 1)
        down_starts = np.bincount(row_offset + down_start, minlength=N_CLASSES * (n_up + 1)).reshape(
            N_CLASSES, n_up + 1
        )
        n_up_pred = np.cumsum(up_ends[:, ::-1], axis=1)[:, ::-1][:, 1:]  # rows with up_end > j
        n_down_pred = np.cumsum(down_starts, axis=1)[:, :n_up]  # rows with down_start <= j
        out[i, :, :, UP] = n_up_pred.T
        out[i, :, :, DOWN] = n_down_pred.T
        out[i, :, :, NONE] = support - n_up_pred.T - n_down_pred.T
    return out


def tune_thresholds(
    y_true: ArrayLike,
    proba: ArrayLike,
    *,
    objective: Objective = "macro_f1",
    min_precision: float = 0.5,
    fnr_target: float = 0.3,
    grid: tuple[ArrayLike, ArrayLike] | None = None,
) -> DecisionThresholds:
    """Choose ``t_down`` and ``t_up`` on validation predictions by a grid search.

    Objectives:

    - ``"macro_f1"``: maximise macro-F1.
    - ``"recall_at_precision"``: maximise the mean recall of Down and Up while each has precision
      >= ``min_precision`` (a class never predicted has precision 0).
    - ``"fnr"``: maximise macro-F1 while the false-negative rate of Down and of Up are each
      <= ``fnr_target``.

    If no grid point meets a constraint, the best macro-F1 point is returned with
    ``feasible=False``. Ties go to the smallest ``t_down``, then the smallest ``t_up``.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        True classes of the validation rows.
    proba : array-like of shape (n_rows, 3)
        Probabilities of Down, None, Up on the validation rows.
    objective : {"macro_f1", "recall_at_precision", "fnr"}, default "macro_f1"
    min_precision : float, default 0.5
        Precision floor of ``"recall_at_precision"``, in [0, 1].
    fnr_target : float, default 0.3
        FNR ceiling of ``"fnr"``, in [0, 1].
    grid : (array-like, array-like) or None
        Candidate ``t_down`` and ``t_up`` values in [0, 1]. By default :data:`N_CANDIDATES`
        evenly spaced quantiles (0 to 1) of ``p_down`` and of ``p_up``, each with 0.5 added.

    Returns
    -------
    DecisionThresholds

    Raises
    ------
    ValueError
        If an input is invalid or empty, the lengths differ, the objective is unknown, or
        ``min_precision``/``fnr_target`` is outside [0, 1].

    Examples
    --------
    >>> p = np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.2, 0.4, 0.4], [0.1, 0.5, 0.4]])
    >>> t = tune_thresholds([0, 1, 2, 2], p)
    >>> apply_thresholds(p, t).tolist(), t.value
    ([0, 1, 2, 2], 1.0)
    """
    y = check_labels(y_true, name="y_true")
    p = check_probabilities(proba)
    if len(y) != len(p):
        raise ValueError(f"Expected y_true and proba of one length, got {len(y)} and {len(p)}.")
    if len(y) == 0:
        raise ValueError("Expected at least one validation row, got 0.")
    if objective not in OBJECTIVES:
        raise ValueError(f"Expected objective in {OBJECTIVES}, got {objective!r}.")
    for name, bound in (("min_precision", min_precision), ("fnr_target", fnr_target)):
        if not 0.0 <= bound <= 1.0:
            raise ValueError(f"Expected {name} in [0, 1], got {bound}.")
    if grid is None:
        levels = np.linspace(0.0, 1.0, N_CANDIDATES)
        grid = tuple(np.append(np.quantile(p[:, c], levels), 0.5) for c in _MOVES)
    downs, ups = (_check_candidates(values, name) for values, name in zip(grid, ("t_down", "t_up")))

    rates = per_class_rates(grid_confusion(y, p, downs, ups))
    macro_f1 = rates["f1"].mean(axis=-1)
    if objective == "recall_at_precision":
        criterion = rates["recall"][..., _MOVES].mean(axis=-1)
        allowed = (rates["precision"][..., _MOVES] >= min_precision).all(axis=-1)
    elif objective == "fnr":
        criterion = macro_f1
        allowed = (rates["fnr"][..., _MOVES] <= fnr_target).all(axis=-1)
    else:
        criterion = macro_f1
        allowed = np.ones_like(macro_f1, dtype=bool)
    feasible = bool(allowed.any())
    best = np.argmax(np.where(allowed, criterion, -np.inf)) if feasible else np.argmax(macro_f1)
    i, j = np.unravel_index(best, macro_f1.shape)
    return DecisionThresholds(
        down=float(downs[i]), up=float(ups[j]), objective=objective, value=float(criterion[i, j]), feasible=feasible
    )
