"""Prices from csv files: a folder with one file per ticker, or one wide file of closes.

Per-ticker folder
    ``aapl.csv`` or ``aapl.csv.gz`` holds ticker AAPL (the file name upper-cased, less its
    suffix) with columns date, open, high, low, close, volume. Headers ignore case, spaces and
    underscores; only date and close are required, and an adjusted close (``Adj Close``,
    ``adj_close``, ``adjclose``) replaces close when present. Open, high, low and volume are
    kept when every file has them.
Wide file
    A date column (``date`` in any case, else the first column), then one column of adjusted
    closes per ticker. A folder whose one csv file has two or more columns beside the date and
    none named as a price field (close, adj close, open, high, low, volume) is read as that file.

Dates are parsed here, file by file, so an unparsable or repeated date names its file; prices
are checked by :func:`~stgnn.data.panel.build_panel`, whose errors name ticker and date. Only
``config.tickers`` are read when given, so an unrelated file cannot fail or shorten the panel.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from stgnn.config import DataConfig
from stgnn.data.panel import FIELDS, PricePanel, build_panel, validation_options
from stgnn.errors import DataError

_CSV_SUFFIX = re.compile(r"\.csv(\.gz)?$", re.IGNORECASE)
# A trailing UTC offset after a time, as in yfinance's ``history().to_csv()``:
# 2024-01-02 00:00:00-05:00. Dropping it keeps the exchange's local date.
_UTC_OFFSET = re.compile(r"(?<=:\d\d)(?:Z|[+-]\d\d:\d\d)$")

logger = logging.getLogger(__name__)


def load_csv(config: DataConfig) -> PricePanel:
    """Read ``config.data_dir`` (a folder of per-ticker files or one wide file) into a panel.

    Parameters
    ----------
    config : DataConfig
        Uses ``data_dir``, ``tickers`` (all files or columns when ``None``), ``max_ffill`` and
        ``min_history``.

    Returns
    -------
    PricePanel
        Validated by :func:`~stgnn.data.panel.build_panel`, with ``source`` set to the path.

    Raises
    ------
    DataError
        The path is missing, holds no csv file, a file is empty, unreadable or lacks a date or
        close column, a requested ticker has no data, or a date or price is invalid.
    """
    path = Path(config.data_dir)
    if path.is_dir():
        fields = _read_folder(path, config.tickers)
    elif path.is_file():
        fields = _read_wide(path, config.tickers)
    else:
        raise DataError(
            f"data_dir {path} does not exist; pass a folder of per-ticker csv files or one wide csv file."
        )
    return build_panel(fields, origin=str(path), **validation_options(config))


def _read_folder(folder: Path, tickers: tuple[str, ...] | None) -> dict[str, pd.DataFrame]:
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and _CSV_SUFFIX.search(path.name) and not path.name.startswith("."):
            ticker = _CSV_SUFFIX.sub("", path.name).upper()
            if ticker in files:
                raise DataError(
                    f"{folder}: ticker {ticker} has two files, {files[ticker].name} and {path.name}; keep one."
                )
            files[ticker] = path
    if not files:
        raise DataError(
            f"{folder}: no .csv or .csv.gz files; put one file per ticker in it "
            "(e.g. AAPL.csv with columns date, close), or pass one wide csv file as data_dir."
        )
    if len(files) == 1:
        (path,) = files.values()
        raw = _read(path)
        if _looks_wide(raw):
            logger.info("%s: its one file %s has no price field column: read as a wide file of closes, one column "
                        "per ticker", folder, path.name)
            return _wide_fields(raw, path, tickers)
    if tickers:
        _check_present(tickers, files, where=f"{folder}: no file for")
    files = {ticker: files[ticker] for ticker in tickers or sorted(files)}
    frames = {ticker: _read_ticker_file(path) for ticker, path in files.items()}
    common = [name for name in FIELDS if all(name in frame for frame in frames.values())]
    return {
        name: pd.concat({ticker: frame[name] for ticker, frame in frames.items()}, axis=1)
        for name in common
    }


def _read_ticker_file(path: Path) -> pd.DataFrame:
    """One ticker's fields (columns among :data:`FIELDS`), indexed by parsed dates."""
    raw = _read(path)
    wide = _looks_wide(raw)
    original = [str(c) for c in raw.columns]
    raw.columns = [_header(c) for c in original]
    if raw.columns.duplicated().any():
        raise DataError(
            f"{path}: columns {', '.join(original)} repeat once case, spaces and underscores are "
            "ignored; keep one of each."
        )
    if "adjclose" in raw:
        raw = raw.drop(columns="close", errors="ignore").rename(columns={"adjclose": "close"})
    if "date" not in raw or "close" not in raw:
        fix = ("rename the headers, or if it is a wide file (date, then one column of closes per ticker), pass the "
               "file itself as data_dir" if wide else "rename the headers")
        raise DataError(f"{path}: expected columns date and close (or adj close), got {', '.join(original)}; {fix}.")
    raw.index = _parse_dates(raw["date"], path)
    return raw[[name for name in FIELDS if name in raw]]


def _read_wide(path: Path, tickers: tuple[str, ...] | None) -> dict[str, pd.DataFrame]:
    return _wide_fields(_read(path), path, tickers)


def _wide_fields(raw: pd.DataFrame, path: Path, tickers: tuple[str, ...] | None) -> dict[str, pd.DataFrame]:
    headers = [_header(c) for c in raw.columns]
    date_column = raw.columns[headers.index("date")] if "date" in headers else raw.columns[0]
    close = raw.drop(columns=date_column)
    if close.empty or _has_close(raw):
        raise DataError(
            f"{path}: unknown column layout ({', '.join(map(str, raw.columns))}); a wide file has a "
            "date column and one column of closes per ticker; for files with date, open, high, low, "
            "close columns, put one file per ticker in a folder and pass the folder as data_dir."
        )
    close.index = _parse_dates(raw[date_column], path)
    close.columns = [str(c).strip().upper() for c in close.columns]
    if tickers:
        _check_present(tickers, close.columns, where=f"{path}: no column for")
        close = close[list(tickers)]
    return {"close": close}


def _read(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as exc:  # OSError, EOFError: broken .gz
        reason = str(exc).strip().partition("\n")[0]
        raise DataError(
            f"{path}: not a readable csv file ({reason}); save it as comma-separated UTF-8 text."
        ) from exc
    if frame.empty:
        raise DataError(f"{path}: empty file (no price rows); fill it or remove it.")
    return frame


def _has_close(raw: pd.DataFrame) -> bool:
    return bool({"close", "adjclose"} & {_header(c) for c in raw.columns})


def _looks_wide(raw: pd.DataFrame) -> bool:
    """Two or more columns beside the date, none a price field: columns of tickers. Strict, so that
    a ticker file with a misnamed close is never read as tickers named OPEN, PRICE, VOLUME."""
    headers = {_header(c) for c in raw.columns} - {"date"}
    return len(headers) >= 2 and not headers & {*FIELDS, "adjclose"}


def _header(name: object) -> str:
    """``" Adj_Close "`` -> ``"adjclose"``: headers compared without case, spaces or underscores."""
    return re.sub(r"[\s_]+", "", str(name)).lower()


def _parse_dates(values: pd.Series, path: Path) -> pd.DatetimeIndex:
    text = values.astype(str).str.strip().str.replace(_UTC_OFFSET, "", regex=True)
    dates = pd.to_datetime(text, format="mixed", errors="coerce")
    if dates.isna().any():
        raise DataError(
            f"{path}: unparsable date {values[dates.isna()].iloc[0]!r}; use ISO dates such as 2020-01-31."
        )
    dates = pd.DatetimeIndex(dates, name="date").normalize()
    if dates.has_duplicates:
        repeated = dates[dates.duplicated()].unique()
        raise DataError(
            f"{path}: duplicate date {repeated[0].date()}"
            + (f" (and {len(repeated) - 1} more)" if len(repeated) > 1 else "")
            + "; each date must appear once: remove or merge the repeated rows."
        )
    return dates


def _check_present(tickers: tuple[str, ...], available, *, where: str) -> None:
    missing = [ticker for ticker in tickers if ticker not in available]
    if missing:
        raise DataError(f"{where} {', '.join(missing)}; add the data or remove it from tickers.")
