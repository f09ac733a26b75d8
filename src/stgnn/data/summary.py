"""What a panel holds, for ``stgnn data summary`` and the run logs.

A ragged universe needs more than a ticker list: how many ticker-days have a price, which
tickers start late, pause or stop early (kept, absent on those days), which were dropped and why,
who counts as a member, and what a report on the data must warn about. Long lists are cut to a
few names unless ``verbose``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from stgnn.classes import CLASS_NAMES
from stgnn.config import LabelConfig
from stgnn.data.labels import describe, make_labels
from stgnn.data.panel import FIELDS, NO_PRICE_DATES, Absence, Dropped, PricePanel

SHOWN = 10
"""Names shown of a long list unless verbose."""


@dataclass(frozen=True)
class PanelSummary:
    """The facts ``data summary`` prints; :meth:`lines` formats them.

    Attributes
    ----------
    present, cells : int
        Ticker-days with a price, and all ticker-days (dates x tickers).
    eligible : int or None
        Present ticker-days on which the ticker is a member; ``None`` without a universe file.
    never_members : list of str
        Kept tickers that are never members (only with a universe file).
    absences : tuple of Absence
        Kept tickers absent on some days.
    class_counts : np.ndarray of shape (3,)
        Down, None and Up over the eligible (date, ticker) cells whose label is known.
    """

    source: str
    universe: str
    caveats: tuple[str, ...]
    tickers: list[str]
    first: str
    last: str
    n_days: int
    present: int
    cells: int
    eligible: int | None
    never_members: list[str]
    absences: tuple[Absence, ...]
    fields: list[str]
    dropped: tuple[Dropped, ...]
    label_rule: str
    class_counts: np.ndarray

    def lines(self, verbose: bool = False) -> list[str]:
        """The report, one string a line; ``verbose`` lists every name instead of the first few."""
        limit = None if verbose else SHOWN
        total = int(self.class_counts.sum())
        balance = "  ".join(
            f"{name} {n / total:.1%} ({n:,})" for name, n in zip(CLASS_NAMES, self.class_counts.tolist())
        )
        dates_cut = any(d.reason == NO_PRICE_DATES for d in self.dropped)
        always = len(self.tickers) - len(self.absences)
        late = sorted((a for a in self.absences if a.first is not None), key=lambda a: a.first)
        holes = sorted((a for a in self.absences if a.holes), key=lambda a: -a.longest_hole)
        ends = sorted((a for a in self.absences if a.last is not None), key=lambda a: a.last)
        universe = [f"universe   {self.universe}"]
        if self.eligible is not None:
            universe.append(f"eligible   {self.eligible:,} of {self.present:,} present ticker-days fall in a "
                            f"membership; never members: {_names(self.never_members, limit)}")
        absent = [
            f"absent     {len(self.absences)} tickers kept though absent on some days",
            f"  late start {len(late)}: {_names([f'{a.ticker} {a.first.date()}' for a in late], limit)}",
            f"  long gaps  {len(holes)}: {_names([_gaps(a) for a in holes], limit)}",
            f"  end early  {len(ends)}: {_names([f'{a.ticker} {a.last.date()}' for a in ends], limit)}",
        ] if self.absences else ["absent     none"]
        shown = self.dropped[:limit]
        dropped = [f"dropped    {len(self.dropped) or 'none'}", *(f"  - {d.what}: {d.reason}" for d in shown)]
        if len(shown) < len(self.dropped):
            dropped.append(f"  ... {len(self.dropped) - len(shown)} more (-v lists all)")
        return [
            f"source     {self.source}",
            *universe,
            *(f"warning    {caveat}" for caveat in self.caveats),
            f"tickers    {len(self.tickers)}: {_names(self.tickers, None if len(self.tickers) <= 2 * SHOWN else limit, sep=' ')}",
            f"dates      {self.first} to {self.last} ({self.n_days:,} trading days"
            + ("; dates without any price dropped, see below)" if dates_cut else ", all kept)"),
            f"present    {self.present:,} of {self.cells:,} ticker-days ({self.present / self.cells:.1%}); "
            f"{always} of {len(self.tickers)} tickers on every day",
            *absent,
            *dropped,
            f"fields     {', '.join(self.fields)}",
            f"labels     {self.label_rule}",
            f"classes    {balance}  [{total:,} labelled]",
        ]


def summarize(panel: PricePanel, labels: LabelConfig, *, sectors: Mapping[str, str] | None = None) -> PanelSummary:
    """Count what ``panel`` holds and the classes of its eligible (date, ticker) cells.

    ``sectors`` (ticker -> sector) is needed only for sector-relative labels.

    Examples
    --------
    >>> import pandas as pd
    >>> from stgnn.data.panel import build_panel
    >>> close = pd.DataFrame({"A": [1.0, 1.1, 1.0, 1.005], "B": [None, 2.0, 2.1, 2.0]},
    ...                      index=pd.bdate_range("2024-01-01", periods=4))
    >>> s = summarize(build_panel({"close": close}, origin="toy", min_history=3), LabelConfig())
    >>> s.present, s.cells, s.class_counts.tolist()
    (7, 8, [2, 1, 2])
    """
    y = make_labels(panel.close, labels, sectors=sectors).y
    eligible = panel.eligible.to_numpy()
    member = panel.member
    return PanelSummary(
        source=panel.source,
        universe=panel.universe,
        caveats=panel.caveats,
        tickers=panel.tickers,
        first=panel.dates[0].date().isoformat(),
        last=panel.dates[-1].date().isoformat(),
        n_days=len(panel.dates),
        present=int(panel.present.to_numpy().sum()),
        cells=panel.close.size,
        eligible=None if member is None else int(eligible.sum()),
        never_members=[] if member is None else [str(t) for t in member.columns[~member.any()]],
        absences=panel.absences,
        fields=[f for f in FIELDS if panel.has(f)],
        dropped=panel.dropped,
        label_rule=describe(labels),
        class_counts=np.bincount(y[eligible & (y >= 0)], minlength=len(CLASS_NAMES)),
    )


def _names(names: list[str], limit: int | None, sep: str = ", ") -> str:
    """``names`` joined, cut to ``limit`` with a count of the rest; ``"none"`` when empty.

    >>> _names(["A", "B", "C"], 2)
    'A, B, ... (+1; -v lists all)'
    """
    if not names:
        return "none"
    shown = sep.join(names[:limit])
    return shown if limit is None or len(names) <= limit else f"{shown}{sep}... (+{len(names) - limit}; -v lists all)"


def _gaps(absence: Absence) -> str:
    """``"O 10 days"``, or ``"O 2 gaps, longest 10 days"``."""
    count = f"{absence.holes} gaps, longest " if absence.holes > 1 else ""
    return f"{absence.ticker} {count}{absence.longest_hole} days"
