"""Chronological train / validation / test splits with purge gaps.

A label at day t uses prices up to t + h. A purge of at least h sample days between the last
training day and the first validation day (and again before test) keeps any training label from
overlapping the days it is judged on; an embargo adds more days after each purge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stgnn.errors import ConfigError


@dataclass(frozen=True)
class Split:
    """Day indices (rows of the panel) of each part; all sorted, disjoint and in time order."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def date_ranges(self, dates: pd.DatetimeIndex) -> dict[str, dict[str, str | int]]:
        return {
            name: {"first": dates[d[0]].date().isoformat(), "last": dates[d[-1]].date().isoformat(), "days": len(d)}
            for name, d in (("train", self.train), ("val", self.val), ("test", self.test))
            if len(d)
        }

    def check(self, span: int) -> None:
        """Refuse overlapping or unpurged parts (a leak, never a user mistake we can fix silently);
        ``span``: the days a label reaches past its own (delay + horizon)."""
        for earlier, later, name in ((self.train, self.val, "train/val"), (self.val, self.test, "val/test")):
            if len(earlier) and len(later) and later[0] - earlier[-1] <= span:
                raise ValueError(
                    f"Expected a purge of more than the label span of {span} days between {name}, "
                    f"got {later[0] - earlier[-1] - 1}."
                )


def purge_for(purge_days: int | None, span: int) -> int:
    """The purge between parts: the configured days, never fewer than the label's span (delay +
    horizon: a label at t reads prices up to t + d + h).

    Examples
    --------
    >>> purge_for(None, 5), purge_for(2, 5), purge_for(10, 5)
    (5, 5, 10)
    """
    return span if purge_days is None else max(purge_days, span)


def chronological_split(
    days: np.ndarray,
    *,
    val_fraction: float,
    test_fraction: float,
    purge_days: int,
    embargo_days: int = 0,
) -> Split:
    """Cut labelled sample days into train, val and test by fractions, with gaps between.

    Examples
    --------
    >>> s = chronological_split(np.arange(100), val_fraction=0.2, test_fraction=0.2, purge_days=1)
    >>> tuple(int(d) for d in (s.train[-1], s.val[0], s.val[-1], s.test[0]))
    (57, 59, 78, 80)
    """
    n = len(days)
    gap = purge_days + embargo_days
    n_test, n_val = int(round(n * test_fraction)), int(round(n * val_fraction))
    n_train = n - n_test - n_val - 2 * gap
    if min(n_train, n_val, n_test) < 1:
        raise ConfigError(
            f"{n} labelled days cannot hold train, val ({val_fraction:.0%}) and test "
            f"({test_fraction:.0%}) with gaps of {gap} days; use a longer date range."
        )
    train = days[:n_train]
    val = days[n_train + gap : n_train + gap + n_val]
    test = days[n - n_test :]
    return Split(train=train, val=val, test=test)
