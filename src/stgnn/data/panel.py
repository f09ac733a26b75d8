"""The validated price panel every source returns.

A :class:`PricePanel` holds wide frames (dates x tickers) of close prices and, when the source
has them, open, high, low and volume. Real universes are ragged: stocks list, pause and delist.
Cutting the calendar to the days every ticker trades would throw most of an index's history away,
and dropping every ticker that ever pauses or delists would keep only the survivors, so the panel
keeps every date of the source's calendar and every ticker, and writes NaN where a ticker has no
price. Boolean frames say which cells count:

``present``
    the ticker has a price that day (``close.notna()``);
``member``
    the ticker belongs to the universe that day, from a point-in-time universe file
    (:func:`read_universe`); ``None`` when every ticker is eligible every day;
``seasoned``
    the ticker has had at least ``min_history`` prices so far (up to and including that day), or
    was priced on the panel's first day (listed before the data begin; :func:`seasoned_mask`): a
    decision about day t that reads no later day, so a ticker that delists early is never removed
    from days before it (which would change its peers' cross-sections and benchmarks there);
``eligible``
    all three. Consumers compute on the NaN frames and mask with these, so NaN never travels past
    them.

:func:`build_panel` is the one gate all sources pass through: it parses and sorts dates, refuses
duplicates, non-finite and non-positive prices with a message naming file, ticker and date, fills
the first ``max_ffill`` missing days after a price with it (causally, as a trader would see them;
such days carry no label), and marks each ticker seasoned from its ``min_history``-th price on
(:attr:`PricePanel.never_seasoned` names those that never get there). Later days of a gap and the
days before a ticker's first price stay absent; :attr:`PricePanel.absences` lists them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from stgnn.errors import DataError

logger = logging.getLogger(__name__)

PRICE_FIELDS = ("open", "high", "low", "close")
FIELDS = (*PRICE_FIELDS, "volume")

EVERY_TICKER = "every ticker while it has prices"
"""The universe rule without a universe file."""

UNIVERSE_COLUMNS = ("ticker", "start", "end")

NO_PRICE_DATES = "no ticker has a price on them"
"""Why :func:`build_panel` drops a date (the only reason it ever drops one)."""


@dataclass(frozen=True)
class Dropped:
    """Something removed from the panel, and why (shown by ``data summary``)."""

    what: str
    reason: str


@dataclass(frozen=True)
class Absence:
    """A kept ticker's days without a price (shown by ``data summary``).

    Attributes
    ----------
    ticker : str
    days : int
        Days of the panel on which it has no price.
    first, last : pd.Timestamp or None
        Its first and last price when the calendar reaches beyond them (a listing or a delisting,
        or data that start late or stop early), else ``None``; both ``None`` when it has no price
        in the panel at all (possible after :meth:`PricePanel.select`).
    holes : int
        Gaps between two prices that outlasted ``max_ffill``: runs of absent days after the
        filled ones.
    longest_hole : int
        Absent days in the longest of them (0 without holes).
    """

    ticker: str
    days: int
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    holes: int = 0
    longest_hole: int = 0

    def line(self) -> str:
        """One line saying the ticker stays and where it is absent.

        Examples
        --------
        >>> Absence("HPE", 231, first=pd.Timestamp("2015-10-19"), holes=1, longest_hole=18).line()
        'kept, absent on 231 days: first price 2015-10-19; 1 gap outlasting max_ffill (absent 18 days)'
        """
        parts = []
        if self.first is not None:
            parts.append(f"first price {self.first.date()}")
        if self.holes:
            longest = f"longest absent {self.longest_hole}" if self.holes > 1 else f"absent {self.longest_hole}"
            parts.append(f"{self.holes} gap{'s' * (self.holes > 1)} outlasting max_ffill ({longest} days)")
        if self.last is not None:
            parts.append(f"last price {self.last.date()}")
        return f"kept, absent on {self.days} days: {'; '.join(parts) or 'no price in these dates'}"


@dataclass(frozen=True)
class PricePanel:
    """Validated prices: a sorted, unique ``DatetimeIndex`` named ``date`` and one column per
    ticker; NaN marks a day on which a ticker has no price (see :attr:`present`).

    Attributes
    ----------
    close : pd.DataFrame of shape (n_days, n_tickers)
        Adjusted close prices, finite and positive where present, NaN where absent.
    open, high, low, volume : pd.DataFrame or None
        Same shape as ``close`` and present on the same cells when the source has them, else
        ``None``.
    member : pd.DataFrame or None
        Bool, same shape as ``close``: whether the ticker belongs to the universe that day
        (:func:`member_mask`); ``None`` means every ticker is eligible every day.
    observed : pd.DataFrame or None
        Bool, same shape as ``close``: the source had a price that day (False on the days filled
        with the last price); ``None`` means every present price was observed. See :attr:`traded`.
    seasoned : pd.DataFrame or None
        Bool, same shape as ``close``: the ticker has had ``min_history`` observed prices by that
        day (:func:`seasoned_mask`); ``None`` means every ticker is seasoned from its first day.
    min_history : int or None
        The rule behind ``seasoned``, for reports; ``None`` with it.
    dropped : tuple of Dropped
        Tickers, dates and fields removed during validation, with the reason.
    source : str
        Where the prices came from, for logs and reports.
    universe : str
        The universe rule in words, for logs and reports.
    caveats : tuple of str
        What a report on this data must say (e.g. survivorship of a fixed ticker list).
    """

    close: pd.DataFrame
    open: pd.DataFrame | None = None
    high: pd.DataFrame | None = None
    low: pd.DataFrame | None = None
    volume: pd.DataFrame | None = None
    member: pd.DataFrame | None = None
    observed: pd.DataFrame | None = None
    seasoned: pd.DataFrame | None = None
    min_history: int | None = None
    dropped: tuple[Dropped, ...] = field(default=())
    source: str = ""
    universe: str = EVERY_TICKER
    caveats: tuple[str, ...] = field(default=())

    @property
    def tickers(self) -> list[str]:
        return [str(c) for c in self.close.columns]

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.close.index)

    @property
    def present(self) -> pd.DataFrame:
        """Bool frame: the ticker has a price that day."""
        return self.close.notna()

    @property
    def traded(self) -> pd.DataFrame:
        """Bool frame: the ticker has a price from the source that day, not one carried forward.
        Only such days can be traded, so only they (at t and at t + h) give a label."""
        return self.present if self.observed is None else self.observed & self.present

    @property
    def eligible(self) -> pd.DataFrame:
        """Bool frame: the ticker has a price, is seasoned and belongs to the universe that day.

        Examples
        --------
        >>> close = pd.DataFrame({"A": [None, 1.0, 1.1]}, index=pd.bdate_range("2024-01-01", periods=3))
        >>> member = pd.DataFrame({"A": [True, True, False]}, index=close.index)
        >>> PricePanel(close, member=member).eligible["A"].tolist()
        [False, True, False]
        """
        eligible = self.present
        for mask in (self.member, self.seasoned):
            if mask is not None:
                eligible = eligible & mask
        return eligible

    @property
    def never_seasoned(self) -> list[str]:
        """Tickers that never reach ``min_history`` prices in the panel, so are never eligible."""
        if self.seasoned is None:
            return []
        return [str(t) for t, ok in self.seasoned.any().items() if not ok]

    @property
    def absences(self) -> tuple[Absence, ...]:
        """Each ticker absent on some day: before its first price, in a long gap, after its last."""
        present, tickers, dates = self.present.to_numpy(), self.tickers, self.dates
        absences = []
        for j in np.flatnonzero(~present.all(axis=0)):
            column = present[:, j]
            days = int((~column).sum())
            if not column.any():
                absences.append(Absence(tickers[j], days))
                continue
            first, last = np.flatnonzero(column)[[0, -1]]
            holes = _run_lengths(~column[first : last + 1])
            absences.append(Absence(
                tickers[j], days,
                first=dates[first] if first > 0 else None,
                last=dates[last] if last < len(dates) - 1 else None,
                holes=len(holes), longest_hole=int(holes.max(initial=0)),
            ))
        return tuple(absences)

    def has(self, name: str) -> bool:
        return getattr(self, name) is not None

    def select(self, *, tickers=None, start=None, end=None) -> PricePanel:
        """Restrict to some tickers and a date range (inclusive); errors name what is missing.

        The calendar is cut only by ``start`` and ``end``: dates on which none of the selected
        tickers has a price stay (absent), so the panel keeps its dates whatever the tickers.
        """
        cols = self.tickers if tickers is None else [str(t).upper() for t in tickers]
        unknown = [t for t in cols if t not in self.close.columns]
        if unknown:
            why = {d.what: d.reason for d in self.dropped}
            reasons = "; ".join(f"{t} was dropped: {why[t]}" for t in unknown if t in why)
            raise DataError(
                f"Unknown ticker(s) {', '.join(unknown)} in {self.source}"
                + (f" ({reasons})" if reasons else "")
                + f"; available: {', '.join(self.tickers)}."
            )
        rows = slice(pd.Timestamp(start) if start else None, pd.Timestamp(end) if end else None)
        frames = {
            name: frame.loc[rows, cols]
            for name in (*FIELDS, "member", "observed", "seasoned")
            if (frame := getattr(self, name)) is not None
        }
        if not frames["close"].notna().to_numpy().any():
            first, last = self.dates[0].date(), self.dates[-1].date()
            raise DataError(
                f"No prices of {', '.join(cols)} between {start or first} and {end or last} in "
                f"{self.source}; its data cover {first} to {last}."
            )
        return replace(self, **frames)


def build_panel(
    fields: Mapping[str, pd.DataFrame],
    *,
    origin: str,
    max_ffill: int = 5,
    min_history: int = 252,
    tickers=None,
    start=None,
    end=None,
    universe: str | os.PathLike | None = None,
) -> PricePanel:
    """Validate raw wide frames (dates x tickers) into a :class:`PricePanel`.

    The calendar is the dates of ``close`` (for per-ticker files, the union of theirs) within
    ``start`` and ``end``, less the dates on which no ticker has a price (no trading days of
    this universe); a ticker's absence never cuts it. Every ticker is kept; it is eligible from the
    day of its ``min_history``-th price on (:attr:`PricePanel.seasoned`), whatever happens later.
    Days without a price stay NaN, except the first ``max_ffill`` days after a price, which hold it
    (:attr:`PricePanel.observed` tells them apart).

    Parameters
    ----------
    fields : mapping of field name to pd.DataFrame
        ``close`` is required; ``open``, ``high``, ``low`` and ``volume`` are optional. Index:
        dates (strings or timestamps); columns: tickers. NaN marks a missing price. An optional
        field is kept only when, after the same gap filling, it has a value wherever ``close``
        has one (else it is ignored with a warning); it is NaN wherever ``close`` is.
    origin : str
        File or source name used in error messages.
    max_ffill : int
        Days after a price that a missing price is filled with it (causally: whether or not the
        ticker trades again); later days of a gap are absent. Filled days have no label.
    min_history : int
        Prices a ticker listing inside the data needs so far before it is eligible (causal:
        counted up to each day); one that never reaches it stays in the panel, never eligible
        (named in a warning). Tickers priced on the first day count from it (:func:`seasoned_mask`).
    tickers, start, end : optional
        Restrict to these tickers and dates (inclusive) *before* validating, so a ticker or
        period the user did not ask for changes nothing in what they did ask for.
    universe : path, optional
        A point-in-time universe file (:func:`read_universe`) giving :attr:`PricePanel.member`;
        its tickers without prices in the source are named in a warning.

    Raises
    ------
    DataError
        Unparsable or duplicate dates, non-numeric, non-finite or non-positive prices, no price
        at all, or a bad universe file.

    Examples
    --------
    A two-day gap is filled, a ticker listed on the third day is absent before it:

    >>> close = pd.DataFrame({"A": [1.0, 1.1, None, None, 1.2], "B": [None, None, 2.0, 2.1, 2.2]},
    ...                      index=pd.bdate_range("2024-01-01", periods=5))
    >>> panel = build_panel({"close": close}, origin="toy", max_ffill=2, min_history=2)
    >>> panel.close["A"].tolist(), panel.present["B"].tolist()
    ([1.0, 1.1, 1.1, 1.1, 1.2], [False, False, True, True, True])
    """
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise DataError(f"{origin}: unknown field(s) {sorted(unknown)}; expected {FIELDS}.")
    if "close" not in fields:
        raise DataError(f"{origin}: no close prices; a 'close' (or 'adj close') column is required.")
    frames = {name: _clean_frame(frame, name, origin) for name, frame in fields.items()}
    source_tickers = frames["close"].columns
    frames = _restrict(frames, origin, tickers=tickers, start=start, end=end)
    close = frames["close"]
    if close.empty or close.shape[1] == 0:
        raise DataError(f"{origin}: no price rows; check that the file is not empty.")

    dropped = []
    traded = close.notna().any(axis=1)
    if not traded.all():
        n = int((~traded).sum())
        dropped.append(Dropped(f"{n} date{'s' * (n > 1)}", NO_PRICE_DATES))
        close = close[traded]
    observed = close.notna()
    seasoned = seasoned_mask(observed, min_history)
    close = _fill_short_gaps(close, max_ffill)
    present = close.notna()

    panel_fields = {"close": close, "observed": observed, "seasoned": seasoned}
    for name, frame in frames.items():
        if name == "close":
            continue
        frame = _fill_short_gaps(frame.reindex(index=close.index, columns=close.columns), max_ffill)
        lacking = (frame.isna() & present).any()
        if lacking.any():
            names = [str(t) for t in close.columns[lacking]]
            where = f"{len(names)} tickers ({', '.join(names[:5])}, ...)" if len(names) > 5 else ", ".join(names)
            dropped.append(Dropped(f"field {name}", f"missing where close has a price, for {where}"))
            logger.warning("Ignoring %s: missing where close has a price, for %s.", name, where)
            continue
        panel_fields[name] = frame.where(present)
    if universe is not None:
        spells = read_universe(universe)
        unpriced = sorted(set(spells["ticker"]) - set(source_tickers))
        if unpriced:
            logger.warning("%d ticker(s) of the universe %s have no prices in %s: %s.",
                           len(unpriced), universe, origin, ", ".join(unpriced))
        panel_fields["member"] = member_mask(spells, close.index, close.columns)
    panel = PricePanel(**panel_fields, min_history=min_history, dropped=tuple(dropped), source=origin,
                       universe=EVERY_TICKER if universe is None else f"members per {universe}")
    never = panel.never_seasoned
    if never:
        logger.warning("%d ticker(s) never reach min_history=%d days of prices and are never eligible: %s.",
                       len(never), min_history, ", ".join(never[:10]) + (" ..." if len(never) > 10 else ""))
    absent = panel.absences
    if absent:
        logger.info("%s: %d of %d tickers are absent on some days (listing, long gap or delisting) "
                    "and kept; `stgnn data summary` lists them.", origin, len(absent), len(panel.tickers))
    return panel


def validation_options(config) -> dict:
    """The :func:`build_panel` keyword arguments a :class:`~stgnn.config.DataConfig` asks for."""
    return {"max_ffill": config.max_ffill, "min_history": config.min_history,
            "tickers": config.tickers, "start": config.start, "end": config.end,
            "universe": config.universe}


def seasoned_mask(observed: pd.DataFrame, min_history: int) -> pd.DataFrame:
    """Whether each ticker has had at least ``min_history`` observed prices up to each day.

    Causal: whether a ticker counts on day t depends on days up to t only. A ticker priced on the
    panel's first day listed before the data begin (its history is censored, not short), so it
    counts from that day on; requiring ``min_history`` more days of it would discard the first
    year of every ticker, not screen out new listings.

    Examples
    --------
    A is priced on day 0; B lists on day 1 and is seasoned from its second price:

    >>> observed = pd.DataFrame({"A": [True, False, True, True], "B": [False, True, True, True]})
    >>> seasoned_mask(observed, 2).astype(int).to_numpy().T.tolist()
    [[1, 1, 1, 1], [0, 0, 1, 1]]
    """
    return (observed.cumsum() >= min_history) | observed.iloc[0]


def read_universe(path: str | os.PathLike) -> pd.DataFrame:
    """Read a point-in-time universe file: the spells during which each ticker is a member.

    The file is a csv with columns ``ticker,start,end`` (headers in any case; other columns are
    ignored): a ticker is a member from ``start`` to ``end``, both inclusive, and an empty ``end``
    means it still is. A ticker may have several rows, one per spell. Training on today's members
    over their whole history is survivorship bias; a universe file states who was investable when.

    Returns
    -------
    pd.DataFrame
        Columns ``ticker`` (upper case), ``start`` and ``end`` (timestamps; ``NaT``: still a
        member), one row per spell.

    Raises
    ------
    DataError
        The file is missing, unreadable or empty, lacks a column, or has an empty ticker, an
        unparsable date, an empty start, or a start after its end (naming the line).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"universe file {path} does not exist; pass a csv with columns ticker,start,end.")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raw = pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path}: not a readable csv file ({str(exc).strip().partition(chr(10))[0]}).") from None
    headers = {str(c).strip().lower(): c for c in raw.columns}
    missing = [c for c in UNIVERSE_COLUMNS if c not in headers]
    if missing:
        raise DataError(
            f"{path}: no column {', '.join(missing)}; a universe file has columns ticker,start,end "
            "(end empty while still a member)."
        )
    if raw.empty:
        raise DataError(f"{path}: no membership rows; add one row ticker,start,end per membership spell.")
    text = {c: raw[headers[c]].str.strip() for c in UNIVERSE_COLUMNS}
    spells = pd.DataFrame({"ticker": text["ticker"].str.upper()})
    line = raw.index + 2  # the header is line 1
    for column in ("start", "end"):
        spells[column] = pd.to_datetime(text[column], format="mixed", errors="coerce").dt.normalize()
        bad = spells[column].isna() & (text[column] != "")
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"{path} line {line[i]}: unparsable {column} {text[column].iloc[i]!r}; "
                            "use ISO dates such as 2020-01-31.")
    problems = {
        "empty ticker": spells["ticker"] == "",
        "empty start (the first day of membership is required)": spells["start"].isna(),
        "start after end": spells["start"] > spells["end"],
    }
    for problem, rows in problems.items():
        if rows.any():
            i = int(np.argmax(rows))
            raise DataError(f"{path} line {line[i]}: {problem} ({', '.join(raw.iloc[i].astype(str))}).")
    return spells


def member_mask(spells: pd.DataFrame, dates, tickers) -> pd.DataFrame:
    """Whether each ticker is a member on each date, from spells as :func:`read_universe` returns.

    Spells are inclusive; ``end`` ``NaT`` runs to the last date. A ticker without a spell is
    never a member.

    Examples
    --------
    >>> spells = pd.DataFrame({"ticker": ["A", "A", "B"],
    ...                        "start": pd.to_datetime(["2024-01-01", "2024-01-04", "2024-01-02"]),
    ...                        "end": pd.to_datetime(["2024-01-02", None, "2024-01-02"])})
    >>> member_mask(spells, pd.bdate_range("2024-01-01", periods=4), ["A", "B", "C"]).astype(int).to_numpy().T.tolist()
    [[1, 1, 0, 1], [0, 1, 0, 0], [0, 0, 0, 0]]
    """
    dates = pd.DatetimeIndex(dates)
    column = {str(t): j for j, t in enumerate(tickers)}
    member = np.zeros((len(dates), len(column)), dtype=bool)
    for ticker, start, end in spells[list(UNIVERSE_COLUMNS)].itertuples(index=False):
        if ticker in column:
            last = len(dates) if pd.isna(end) else dates.searchsorted(end, side="right")
            member[dates.searchsorted(start, side="left") : last, column[ticker]] = True
    return pd.DataFrame(member, index=dates, columns=pd.Index(tickers))


def _restrict(frames: dict[str, pd.DataFrame], origin: str, *, tickers, start, end) -> dict[str, pd.DataFrame]:
    columns = frames["close"].columns
    if frames["close"].empty:
        return frames
    if tickers is not None:
        wanted = {str(t).strip().upper() for t in tickers}
        unknown = sorted(wanted - set(columns))
        if unknown:
            raise DataError(f"{origin}: unknown ticker(s) {', '.join(unknown)}; available: {', '.join(columns)}.")
        columns = pd.Index([c for c in columns if c in wanted])
    rows = slice(pd.Timestamp(start) if start else None, pd.Timestamp(end) if end else None)
    restricted = {name: frame.loc[rows, frame.columns.intersection(columns)] for name, frame in frames.items()}
    if restricted["close"].dropna(how="all").empty:
        index = frames["close"].index
        raise DataError(
            f"{origin}: no prices between {start or index[0].date()} and {end or index[-1].date()}; "
            f"the data cover {index[0].date()} to {index[-1].date()}."
        )
    restricted["close"] = restricted["close"][columns]
    return restricted


def _clean_frame(frame: pd.DataFrame, name: str, origin: str) -> pd.DataFrame:
    """Parse dates and values of one field; refuse what forward-filling must not hide."""
    frame = frame.copy()
    frame.columns = [str(c).strip().upper() for c in frame.columns]
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()][0]
        raise DataError(f"{origin}: ticker {dup} appears twice; keep one column per ticker.")
    frame.index = _parse_dates(frame.index, origin)
    duplicated = frame.index.duplicated(keep=False)
    if duplicated.any():
        dates = sorted({d.date().isoformat() for d in frame.index[duplicated]})
        raise DataError(
            f"{origin}: duplicate date {dates[0]}"
            + (f" (and {len(dates) - 1} more)" if len(dates) > 1 else "")
            + "; each date must appear once per ticker: remove or merge the repeated rows."
        )
    frame = frame.sort_index()
    frame.index.name = "date"
    values = frame
    if not all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes):  # text: find what is not a number
        values = frame.apply(pd.to_numeric, errors="coerce")
        bad = values.isna() & frame.notna()
        if bad.any().any():
            ticker, date = _first_cell(bad)
            raise DataError(
                f"{origin}: {name} of {ticker} on {date} is {frame.at[pd.Timestamp(date), ticker]!r}, "
                "not a number; fix the value or leave the cell empty to mark it missing."
            )
    values = values.astype("float64")
    arr = values.to_numpy()
    if np.isinf(arr).any():
        ticker, date = _first_cell(pd.DataFrame(np.isinf(arr), index=values.index, columns=values.columns))
        raise DataError(
            f"{origin}: {name} of {ticker} on {date} is not finite; fix it or leave it empty."
        )
    floor_bad = values < 0 if name == "volume" else values <= 0
    if floor_bad.any().any():
        ticker, date = _first_cell(floor_bad)
        kind = "negative" if name == "volume" else "not positive"
        raise DataError(
            f"{origin}: {name} of {ticker} on {date} is {values.at[pd.Timestamp(date), ticker]:g} "
            f"({kind}); fix the price or leave the cell empty to mark it missing."
        )
    return values


def _parse_dates(index: pd.Index, origin: str) -> pd.DatetimeIndex:
    if isinstance(index, pd.DatetimeIndex):
        parsed = index
    else:
        try:
            parsed = pd.to_datetime(pd.Index(index.astype(str)), errors="coerce", format="mixed")
        except ValueError as exc:  # e.g. offsets that change across a daylight-saving switch
            raise DataError(f"{origin}: dates could not be parsed ({str(exc).splitlines()[0]}); "
                            "write plain dates such as 2020-01-31.") from None
        if parsed.isna().any():
            bad = index[np.asarray(parsed.isna())][0]
            raise DataError(
                f"{origin}: unparsable date {bad!r}; use ISO dates such as 2020-01-31."
            )
    if parsed.tz is not None:
        parsed = parsed.tz_localize(None)
    return pd.DatetimeIndex(parsed).normalize()


def _fill_short_gaps(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Fill the first ``limit`` missing days after each value with that value; later ones stay NaN.

    Causal: whether day t is filled depends on days up to t only, as it would for someone
    trading on day t, who cannot know whether a halted stock comes back or is delisted. So the
    first ``limit`` days of a long gap, and of the time after a delisting, hold the last price;
    the days before the first value stay NaN (a stock not yet listed). Filled days never carry a
    label (:attr:`PricePanel.traded`).

    Examples
    --------
    >>> frame = pd.DataFrame({"A": [None, 1.0, None, 2.0, None, None, 3.0, None]})
    >>> _fill_short_gaps(frame, 1)["A"].tolist()
    [nan, 1.0, 1.0, 2.0, 2.0, nan, 3.0, 3.0]
    """
    observed = frame.notna().to_numpy()
    row = np.arange(len(observed))[:, None]
    previous = np.maximum.accumulate(np.where(observed, row, -1), axis=0)
    fill = ~observed & (previous >= 0) & (row - previous <= limit)
    return frame.mask(fill, frame.ffill()) if fill.any() else frame


def _first_cell(mask: pd.DataFrame) -> tuple[str, str]:
    rows, cols = np.nonzero(mask.to_numpy())
    order = np.lexsort((cols, rows))[0]
    return str(mask.columns[cols[order]]), mask.index[rows[order]].date().isoformat()


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """Lengths of the runs of ``True`` in a 1-d bool array.

    >>> _run_lengths(np.array([True, False, True, True, False])).tolist()
    [1, 2]
    """
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
