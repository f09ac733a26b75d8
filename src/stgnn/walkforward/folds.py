"""Walk-forward folds: train, gap, validate, gap, test; the test window is also the step.

A fold is a :class:`~stgnn.data.splits.Split` of labelled day indices::

    |<- train_days ->|<- gap ->|<- val_days ->|<- gap ->|<- test_days ->|
                                                         fold i
                                    ... fold i+1 starts test_days later ...

where ``gap = purge_days + embargo_days``. Folds are anchored at the end: the last fold's test
window ends on the last labelled day and each earlier fold's test window ends right before the next
one starts, so the stitched test windows tile the out-of-sample period without overlap; days left
over at the start (fewer than ``test_days``) are dropped (rolling) or go to training (expanding).

Positions in ``days`` are the time axis: ``days`` are the labelled day indices of the panel, sorted,
and may skip values (a day without a label), but every window and gap counts positions, i.e.
labelled trading days. Since ``days`` increase strictly, a gap of ``g`` positions is a gap of at
least ``g`` day indices, so every fold passes ``Split.check(purge_days)``.

The purge must cover the label's span (a label at day t uses prices up to t + d + h, delay d and
horizon h): that is the caller's responsibility; the walk-forward passes
``purge_days=max(user purge, span)``.
"""

from __future__ import annotations

import operator

import numpy as np
import pandas as pd

from stgnn.data.splits import Split
from stgnn.errors import ConfigError

FOLD_COLUMNS = ("fold", "train_start", "train_end", "val_start", "val_end", "test_start", "test_end",
                "n_train", "n_val", "n_test")
"""Columns of the fold table written by :func:`fold_table`."""


def _int(name: str, value, minimum: int) -> int:
    """``value`` as an int >= ``minimum``, or a ConfigError that names it."""
    if isinstance(value, bool):
        raise ConfigError(f"Expected {name} to be an integer >= {minimum}, got {value!r}.")
    try:
        value = operator.index(value)
    except TypeError:
        raise ConfigError(f"Expected {name} to be an integer >= {minimum}, got {value!r}.") from None
    if value < minimum:
        raise ConfigError(f"Expected {name} >= {minimum}, got {value}.")
    return value


def _check_days(days) -> np.ndarray:
    """Day indices as a 1-D integer array, sorted strictly increasing."""
    days = np.asarray(days)
    if days.ndim != 1:
        raise ValueError(f"Expected days of shape (n_days,), got shape {days.shape}.")
    if len(days) and not np.issubdtype(days.dtype, np.integer):
        raise ValueError(f"Expected integer day indices, got dtype {days.dtype}.")
    steps = np.diff(days)
    if (steps <= 0).any():
        i = int(np.flatnonzero(steps <= 0)[0])
        raise ValueError(f"Expected days sorted strictly increasing, got {days[i]} then {days[i + 1]} "
                         f"at positions {i} and {i + 1}.")
    return days


class WalkForwardSplitter:
    """Rolling (fixed training length) or expanding walk-forward folds.

    Parameters
    ----------
    train_days : int
        Training window in labelled days (rolling), or the shortest training window (expanding).
    val_days : int
        Validation window (tuning, early stopping, thresholds).
    test_days : int
        Test window; also the step between folds.
    purge_days : int, default 1
        Days dropped between train and val and again between val and test. Pass at least the
        label's span ``d + h`` (delay and horizon), so no training label overlaps the days it is
        judged on; the splitter cannot know it and does not check this.
    embargo_days : int, default 0
        Extra days dropped after each purge.
    expanding : bool, default False
        Train on everything from the first day instead of the last ``train_days`` days.
    max_folds : int, optional
        Keep only the last ``max_folds`` folds (the most recent ones). Asking for more folds than
        fit is an error, not a silent shortfall.

    Raises
    ------
    ConfigError
        If a window is shorter than 1 day, a gap is negative or ``max_folds < 1``.

    Examples
    --------
    >>> s = WalkForwardSplitter(train_days=40, val_days=10, test_days=10, purge_days=1)
    >>> s
    WalkForwardSplitter(train_days=40, val_days=10, test_days=10, purge_days=1, embargo_days=0, expanding=False, max_folds=None)
    >>> [(int(f.train[0]), int(f.val[0]), int(f.test[0]), int(f.test[-1])) for f in s.split(np.arange(100))]
    [(8, 49, 60, 69), (18, 59, 70, 79), (28, 69, 80, 89), (38, 79, 90, 99)]
    """

    def __init__(self, *, train_days: int, val_days: int, test_days: int, purge_days: int = 1,
                 embargo_days: int = 0, expanding: bool = False, max_folds: int | None = None):
        self.train_days = _int("train_days", train_days, 1)
        self.val_days = _int("val_days", val_days, 1)
        self.test_days = _int("test_days", test_days, 1)
        self.purge_days = _int("purge_days", purge_days, 0)
        self.embargo_days = _int("embargo_days", embargo_days, 0)
        self.expanding = bool(expanding)
        self.max_folds = None if max_folds is None else _int("max_folds (--folds)", max_folds, 1)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(train_days={self.train_days}, val_days={self.val_days}, "
                f"test_days={self.test_days}, purge_days={self.purge_days}, embargo_days={self.embargo_days}, "
                f"expanding={self.expanding}, max_folds={self.max_folds})")

    @property
    def gap(self) -> int:
        """Days dropped between train and val, and between val and test."""
        return self.purge_days + self.embargo_days

    @property
    def min_days(self) -> int:
        """Labelled days that one fold needs."""
        return self.train_days + self.val_days + self.test_days + 2 * self.gap

    def _windows(self) -> str:
        return (f"train_days={self.train_days} + val_days={self.val_days} + test_days={self.test_days} "
                f"+ 2 gaps of {self.gap}")

    def n_folds(self, days: np.ndarray) -> int:
        """How many folds :meth:`split` returns for ``days`` (same errors).

        Examples
        --------
        >>> WalkForwardSplitter(train_days=40, val_days=10, test_days=10).n_folds(np.arange(100))
        4
        """
        n = len(_check_days(days))
        if n < self.min_days:
            raise ConfigError(f"{self._windows()} need {self.min_days} days, got {n} labelled days; "
                              "shorten the windows or use a longer date range.")
        fit = (n - self.min_days) // self.test_days + 1
        if self.max_folds is None:
            return fit
        if self.max_folds > fit:
            raise ConfigError(f"Too many folds={self.max_folds} for {n} labelled days: only {fit} fit with "
                              f"{self._windows()}; ask for fewer folds, shorten the windows or use a longer "
                              "date range.")
        return self.max_folds

    def split(self, days: np.ndarray) -> list[Split]:
        """Cut labelled day indices into walk-forward folds, oldest first.

        Parameters
        ----------
        days : np.ndarray of shape (n_days,)
            Labelled day indices of the panel, sorted strictly increasing (gaps in the values are
            allowed: positions are the time axis).

        Returns
        -------
        list of Split
            Oldest fold first; the last fold's test window ends at ``days[-1]``, and fold ``i + 1``'s
            test window starts right after fold ``i``'s ends.

        Raises
        ------
        ConfigError
            If no fold fits in ``days`` or fewer than ``max_folds`` folds fit.
        ValueError
            If ``days`` is not a sorted, strictly increasing 1-D integer array.

        Examples
        --------
        >>> s = WalkForwardSplitter(train_days=3, val_days=2, test_days=2, purge_days=1, expanding=True)
        >>> [f.train.tolist() for f in s.split(np.arange(12))]
        [[0, 1, 2, 3], [0, 1, 2, 3, 4, 5]]
        >>> [f.test.tolist() for f in s.split(np.arange(12))]
        [[8, 9], [10, 11]]
        """
        days = _check_days(days)
        count = self.n_folds(days)
        n = len(days)
        folds = []
        for back in range(count - 1, -1, -1):  # folds counted back from the end, oldest first
            test_end = n - back * self.test_days
            folds.append(self._cut(days, test_end - self.test_days - self.gap, test_end))
        return folds

    def final(self, days: np.ndarray) -> Split:
        """The window of the model fitted after the folds, the one that makes tomorrow's calls.

        The same training window, purge and validation window as a fold, the validation window
        ending on the last labelled day, and no test window: the days after it are not labelled
        yet, which is what the model is for.

        Raises
        ------
        ConfigError
            If the training and validation windows do not fit in ``days``.

        Examples
        --------
        >>> f = WalkForwardSplitter(train_days=40, val_days=10, test_days=10, purge_days=1).final(np.arange(100))
        >>> int(f.train[0]), int(f.train[-1]), int(f.val[0]), int(f.val[-1]), len(f.test)
        (49, 88, 90, 99, 0)
        """
        days = _check_days(days)
        need = self.train_days + self.val_days + self.gap
        if len(days) < need:
            raise ConfigError(f"train_days={self.train_days} + val_days={self.val_days} + a gap of {self.gap} need "
                              f"{need} days, got {len(days)} labelled days; shorten the windows or use a longer "
                              "date range.")
        return self._cut(days, len(days), len(days))

    def _cut(self, days: np.ndarray, val_end: int, test_end: int) -> Split:
        """The fold whose validation window ends at position ``val_end`` and test window at
        ``test_end`` (empty where they are equal, as for :meth:`final`)."""
        val_start = val_end - self.val_days
        train_end = val_start - self.gap
        train_start = 0 if self.expanding else train_end - self.train_days
        test_start = min(val_end + self.gap, test_end)
        fold = Split(train=days[train_start:train_end].copy(), val=days[val_start:val_end].copy(),
                     test=days[test_start:test_end].copy())
        fold.check(self.purge_days)  # an invariant: a failure here is a bug, not a user mistake
        return fold


def fold_table(splits: list[Split], dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The fold table: first and last date and size of each part of each fold.

    This is what ``--dry-run`` prints and what the run directory keeps as ``folds.csv``.

    Parameters
    ----------
    splits : list of Split
        Folds, e.g. from :meth:`WalkForwardSplitter.split`.
    dates : pd.DatetimeIndex of shape (n_days,)
        Dates of the panel's rows; day indices in ``splits`` index into it.

    Returns
    -------
    pd.DataFrame
        One row per fold with the columns of :data:`FOLD_COLUMNS`; dates as ``YYYY-MM-DD`` strings.

    Examples
    --------
    >>> dates = pd.bdate_range("2024-01-01", periods=12)
    >>> s = WalkForwardSplitter(train_days=3, val_days=2, test_days=2)
    >>> fold_table(s.split(np.arange(12)), dates)[["fold", "train_start", "test_end", "n_test"]]
       fold train_start    test_end  n_test
    0     0  2024-01-02  2024-01-12       2
    1     1  2024-01-04  2024-01-16       2
    """
    rows = []
    for i, split in enumerate(splits):
        row: dict[str, int | str] = {"fold": i}
        for part in ("train", "val", "test"):
            days = getattr(split, part)
            first, last = (dates[days[0]].date().isoformat(), dates[days[-1]].date().isoformat()) if len(days) else ("", "")
            row[f"{part}_start"], row[f"{part}_end"] = first, last
        row.update(n_train=len(split.train), n_val=len(split.val), n_test=len(split.test))
        rows.append(row)
    return pd.DataFrame(rows, columns=list(FOLD_COLUMNS))
