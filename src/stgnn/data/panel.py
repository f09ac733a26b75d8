"""The validated price panel every source returns.

A :class:`PricePanel` holds wide frames (dates x tickers) of close prices and, when the source
has them, open, high, low and volume. :func:`build_panel` is the one gate all sources pass
through: it parses and sorts dates, refuses duplicates, non-finite and non-positive prices with
a message naming file, ticker and date, forward-fills short gaps, and drops tickers with long
gaps or too little history (with a warning naming them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np
import pandas as pd

from stgnn.errors import DataError

logger = logging.getLogger(__name__)

PRICE_FIELDS = ("open", "high", "low", "close")
FIELDS = (*PRICE_FIELDS, "volume")


@dataclass(frozen=True)
class Dropped:
    """Something removed from the panel, and why (shown by ``data summary``)."""

    what: str
    reason: str


@dataclass(frozen=True)
class PricePanel:
    """Validated prices: a sorted, unique ``DatetimeIndex`` named ``date`` and one column per
    ticker, with no missing values.

    Attributes
    ----------
    close : pd.DataFrame of shape (n_days, n_tickers)
        Adjusted close prices, all finite and positive.
    open, high, low, volume : pd.DataFrame or None
        Same shape as ``close`` when the source has them, else ``None``.
    dropped : tuple of Dropped
        Tickers and rows removed during validation.
    source : str
        Where the prices came from, for logs and reports.
    """

    close: pd.DataFrame
    open: pd.DataFrame | None = None
    high: pd.DataFrame | None = None
    low: pd.DataFrame | None = None
    volume: pd.DataFrame | None = None
    dropped: tuple[Dropped, ...] = field(default=())
    source: str = ""

    @property
    def tickers(self) -> list[str]:
        return [str(c) for c in self.close.columns]

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.close.index)

    def has(self, name: str) -> bool:
        return getattr(self, name) is not None

    def select(self, *, tickers=None, start=None, end=None) -> PricePanel:
        """Restrict to some tickers and a date range (inclusive); errors name what is missing."""
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
            for name in FIELDS
            if (frame := getattr(self, name)) is not None
        }
        if frames["close"].empty:
            first, last = self.dates[0].date(), self.dates[-1].date()
            raise DataError(
                f"No prices between {start or first} and {end or last} in {self.source}; "
                f"its data cover {first} to {last}."
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
) -> PricePanel:
    """Validate raw wide frames (dates x tickers) into a :class:`PricePanel`.

    Parameters
    ----------
    fields : mapping of field name to pd.DataFrame
        ``close`` is required; ``open``, ``high``, ``low`` and ``volume`` are optional. Index:
        dates (strings or timestamps); columns: tickers. NaN marks a missing price.
    origin : str
        File or source name used in error messages.
    max_ffill : int
        Longest run of missing days forward-filled; a ticker with a longer gap is dropped.
    min_history : int
        Fewest days of prices a ticker needs; one with fewer is dropped.
    tickers, start, end : optional
        Restrict to these tickers and dates (inclusive) *before* validating, so a ticker or
        period the user did not ask for can neither drop nor trim what they did ask for.

    Raises
    ------
    DataError
        Unparsable or duplicate dates, non-numeric, non-finite or non-positive prices, or no
        ticker left after validation.

    Examples
    --------
    >>> close = pd.DataFrame({"A": [1.0, 1.1, None, 1.2], "B": [2.0, 2.1, 2.2, 2.3]},
    ...                      index=["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])
    >>> build_panel({"close": close}, origin="toy", min_history=2).close["A"].tolist()
    [1.0, 1.1, 1.1, 1.2]
    """
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise DataError(f"{origin}: unknown field(s) {sorted(unknown)}; expected {FIELDS}.")
    if "close" not in fields:
        raise DataError(f"{origin}: no close prices; a 'close' (or 'adj close') column is required.")
    frames = {name: _clean_frame(frame, name, origin) for name, frame in fields.items()}
    frames = _restrict(frames, origin, tickers=tickers, start=start, end=end)
    close = frames["close"]
    if close.empty or close.shape[1] == 0:
        raise DataError(f"{origin}: no price rows; check that the file is not empty.")

    dropped: list[Dropped] = []
    keep = []
    for ticker in close.columns:
        reason = _ticker_problem(close[ticker], max_ffill=max_ffill, min_history=min_history)
        if reason:
            logger.warning("Dropping %s: %s.", ticker, reason)
            dropped.append(Dropped(str(ticker), reason))
        else:
            keep.append(ticker)
    if not keep:
        raise DataError(
            f"{origin}: no ticker left after validation ({'; '.join(f'{d.what}: {d.reason}' for d in dropped)}); "
            "lower --min-history or raise --max-ffill, or supply longer price histories."
        )
    close = _ffill(close[keep], max_ffill)
    valid = close.notna().all(axis=1)
    first, last = valid.idxmax(), valid[::-1].idxmax()
    n_outside = int((~valid).sum())
    if n_outside:
        dropped.append(
            Dropped(f"{n_outside} rows", "outside the dates on which every kept ticker has a price")
        )
    close = close.loc[first:last]

    panel_fields = {"close": close}
    for name, frame in frames.items():
        if name == "close":
            continue
        frame = _ffill(frame.reindex(index=close.index, columns=close.columns), max_ffill)
        if frame.isna().any().any():
            missing = [str(t) for t in frame.columns[frame.isna().any()]]
            dropped.append(Dropped(f"field {name}", f"missing for {', '.join(missing)}"))
            logger.warning("Ignoring %s: missing for %s.", name, ", ".join(missing))
            continue
        panel_fields[name] = frame
    return PricePanel(**panel_fields, dropped=tuple(dropped), source=origin)


def validation_options(config) -> dict:
    """The :func:`build_panel` keyword arguments a :class:`~stgnn.config.DataConfig` asks for."""
    return {"max_ffill": config.max_ffill, "min_history": config.min_history,
            "tickers": config.tickers, "start": config.start, "end": config.end}


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


def _ffill(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Forward-fill gaps of up to ``limit`` days (pandas refuses ``limit=0``)."""
    return frame.ffill(limit=limit) if limit > 0 else frame


def _first_cell(mask: pd.DataFrame) -> tuple[str, str]:
    rows, cols = np.nonzero(mask.to_numpy())
    order = np.lexsort((cols, rows))[0]
    return str(mask.columns[cols[order]]), mask.index[rows[order]].date().isoformat()


def _ticker_problem(series: pd.Series, *, max_ffill: int, min_history: int) -> str | None:
    """Why a ticker cannot stay in the panel, or ``None`` when it can."""
    present = series.notna().to_numpy()
    n = int(present.sum())
    if n < min_history:
        return f"{n} days of prices, fewer than min_history={min_history}"
    first, last = np.flatnonzero(present)[[0, -1]]
    inside = ~present[first : last + 1]
    longest = _longest_run(inside)
    if longest > max_ffill:
        return f"a gap of {longest} missing days, longer than max_ffill={max_ffill}"
    trailing = len(present) - 1 - last
    if trailing > max_ffill:
        return f"no prices for the last {trailing} days (delisted?), longer than max_ffill={max_ffill}"
    return None


def _longest_run(mask: np.ndarray) -> int:
    if not mask.any():
        return 0
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())
