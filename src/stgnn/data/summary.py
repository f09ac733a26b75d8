"""What a panel holds, for ``stgnn data summary`` and the run logs.

A ragged universe needs more than a ticker list: how many ticker-days have a price, which
tickers start late, pause or stop early (kept, absent on those days), which never become eligible
(kept too: whether a ticker counts on a day is decided from days up to it), what was dropped and
why, who counts as a member, and what a report on the data must warn about. Long lists are cut to
a few names unless ``verbose``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from stgnn.classes import CLASS_NAMES
from stgnn.config import LabelConfig
from stgnn.data.dataset import traded_labels
from stgnn.data.labels import rule_text
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
    members : int or None
        Present ticker-days on which the ticker is a member; ``None`` without a universe file.
    never_members : list of str
        Tickers that are never members (only with a universe file).
    never_eligible : list of str
        Tickers listed inside the data that never reach ``min_history`` prices
        (:attr:`PricePanel.never_seasoned`): in the panel, never eligible.
    min_history : int or None
        The panel's ``min_history``, named beside them.
    absences : tuple of Absence
        Tickers absent on some days.
    class_counts : np.ndarray of shape (3,)
        Down, None and Up over the labels training can have (:func:`summarize`).
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
    members: int | None
    never_members: list[str]
    never_eligible: list[str]
    min_history: int | None
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
        ) if total else "none: no eligible ticker-day has a label"
        dates_cut = any(d.reason == NO_PRICE_DATES for d in self.dropped)
        always = len(self.tickers) - len(self.absences)
        late = sorted((a for a in self.absences if a.first is not None), key=lambda a: a.first)
        holes = sorted((a for a in self.absences if a.holes), key=lambda a: -a.longest_hole)
        ends = sorted((a for a in self.absences if a.last is not None), key=lambda a: a.last)
        universe = [f"universe   {self.universe}"]
        if self.members is not None:
            universe.append(f"members    {self.members:,} of {self.present:,} present ticker-days fall in a "
                            f"membership; never members: {_names(self.never_members, limit)}")
        min_history = "min_history" if self.min_history is None else f"min_history={self.min_history}"
        never = len(self.never_eligible)
        universe.append(f"history    never eligible {never or 'none'}" + (
            f" (kept; listed inside the data, never reach {min_history} prices): "
            f"{_names(self.never_eligible, limit)}" if never else f" ({min_history})"))
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
    """Count what ``panel`` holds and the classes of the labels training can have.

    The classes are counted over eligible (date, ticker) cells with a price traded at t and at
    t + h (:func:`stgnn.data.dataset.traded_labels`, the walk-forward's rule), so a halt's carried
    price counts no None on a return of 0. Training further needs a complete feature window, which
    leaves out the warm-up and window days at the start of the data and after each listing or long
    gap: fewer rows (about 5% on the bundled S&P 500 set) in nearly the same class shares. That is
    not applied here: it depends on the feature and window settings, and the summary describes any
    panel, one too short for a window included.

    ``sectors`` (ticker -> sector) is needed only for sector-relative labels.

    Examples
    --------
    A's price is carried over day 2, so only day 0 (Up) has a label; B lists on day 1 with two
    prices, fewer than ``min_history``, and is never eligible:

    >>> import pandas as pd
    >>> from stgnn.data.panel import build_panel
    >>> close = pd.DataFrame({"A": [1.0, 1.1, None, 1.0], "B": [None, 2.0, 2.1, None]},
    ...                      index=pd.bdate_range("2024-01-01", periods=4))
    >>> s = summarize(build_panel({"close": close}, origin="toy", min_history=3), LabelConfig())
    >>> s.present, s.cells, s.class_counts.tolist(), s.never_eligible
    (7, 8, [0, 0, 1], ['B'])
    """
    y = traded_labels(panel, labels, sectors=sectors).y
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
        members=None if member is None else int((panel.present & member).to_numpy().sum()),
        never_members=[] if member is None else [str(t) for t in member.columns[~member.any()]],
        never_eligible=panel.never_seasoned,
        min_history=panel.min_history,
        absences=panel.absences,
        fields=[f for f in FIELDS if panel.has(f)],
        dropped=panel.dropped,
        label_rule=rule_text(labels),
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
