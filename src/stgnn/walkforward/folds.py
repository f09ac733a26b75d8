"""Walk-forward folds: train, purge, validate, purge, test; the test window is also the step.

Folds are anchored at the end: the last fold's test window ends on the last labelled day and each
earlier fold's test window ends where the next one starts, so the stitched test windows tile the
out-of-sample period without overlap. Positions in ``days`` are the time axis (trading days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stgnn.data.splits import Split
from stgnn.errors import ConfigError


class WalkForwardSplitter:
    """Rolling (fixed train length) or expanding walk-forward splits.

    Parameters
    ----------
    train_days, val_days, test_days : int
        Window lengths in labelled trading days; ``test_days`` is also the step between folds.
    purge_days : int
        Days dropped between train and val and between val and test; pass at least the label
        horizon, so no training label overlaps the days it is judged on.
    embargo_days : int
        Extra days dropped after each purge.
    expanding : bool
        Train from the first day instead of a window of ``train_days``.
    max_folds : int, optional
        Keep only the last N folds.

    Examples
    --------
    >>> s = WalkForwardSplitter(train_days=40, val_days=10, test_days=10, purge_days=1)
    >>> [(int(f.train[0]), int(f.val[0]), int(f.test[0]), int(f.test[-1])) for f in s.split(np.arange(100))]
    [(8, 49, 60, 69), (18, 59, 70, 79), (28, 69, 80, 89), (38, 79, 90, 99)]
    """

    def __init__(self, *, train_days: int, val_days: int, test_days: int, purge_days: int = 1,
                 embargo_days: int = 0, expanding: bool = False, max_folds: int | None = None):
        for name, value in (("train_days", train_days), ("val_days", val_days), ("test_days", test_days)):
            if value < 1:
                raise ConfigError(f"Expected {name} >= 1, got {value}.")
        if purge_days < 0 or embargo_days < 0:
            raise ConfigError(f"Expected purge_days and embargo_days >= 0, got {purge_days} and {embargo_days}.")
        if max_folds is not None and max_folds < 1:
            raise ConfigError(f"Expected folds >= 1, got {max_folds}.")
        self.train_days, self.val_days, self.test_days = train_days, val_days, test_days
        self.purge_days, self.embargo_days = purge_days, embargo_days
        self.expanding, self.max_folds = expanding, max_folds

    def __repr__(self) -> str:
        return (f"WalkForwardSplitter(train_days={self.train_days}, val_days={self.val_days}, "
                f"test_days={self.test_days}, purge_days={self.purge_days}, embargo_days={self.embargo_days}, "
                f"expanding={self.expanding}, max_folds={self.max_folds})")

    @property
    def gap(self) -> int:
        return self.purge_days + self.embargo_days

    def split(self, days: np.ndarray) -> list[Split]:
        """Folds over sorted labelled day indices, oldest first."""
        days = np.asarray(days)
        n = len(days)
        need = self.train_days + self.val_days + self.test_days + 2 * self.gap
        if n < need:
            raise ConfigError(
                f"train_days={self.train_days} + val_days={self.val_days} + test_days={self.test_days} + 2 gaps of "
                f"{self.gap} need {need} labelled days, got {n}; shorten the windows or use a longer date range."
            )
        folds = []
        test_end = n
        while True:
            test_start = test_end - self.test_days
            val_end = test_start - self.gap
            val_start = val_end - self.val_days
            train_end = val_start - self.gap
            train_start = 0 if self.expanding else train_end - self.train_days
            if train_end - max(train_start, 0) < self.train_days or train_start < 0:
                break
            folds.append(Split(train=days[train_start:train_end], val=days[val_start:val_end],
                               test=days[test_start:test_end]))
            test_end = test_start
        folds.reverse()
        return folds[-self.max_folds:] if self.max_folds else folds

    def n_folds(self, days: np.ndarray) -> int:
        return len(self.split(days))


def describe(splits: list[Split], dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The fold table (what ``--dry-run`` prints)."""
    rows = []
    for i, s in enumerate(splits):
        row = {"fold": i}
        for part in ("train", "val", "test"):
            days = getattr(s, part)
            row[f"{part}_start"] = dates[days[0]].date().isoformat()
            row[f"{part}_end"] = dates[days[-1]].date().isoformat()
        row.update(n_train=len(s.train), n_val=len(s.val), n_test=len(s.test))
        rows.append(row)
    return pd.DataFrame(rows)
