"""Daily prices from Yahoo Finance through yfinance, cached as parquet.

One request (sorted tickers, start, end) is one parquet file under ``config.cache_dir``; the
same request again reads that file and does not touch the network. Prices are split- and
dividend-adjusted (``auto_adjust=True``).

Dates: ``config.end`` is inclusive, while yfinance's ``end`` is exclusive, so we ask for
``end + 1 day``. Without ``end`` we ask up to yesterday (today's bar may still be moving), and
the cache is keyed by that date, so it refreshes once a day. Without ``start`` we ask for
Yahoo's whole history (``period="max"``).

yfinance does not raise for a failed ticker: it logs the cause and returns an all-NaN column.
We turn that into a :class:`~stgnn.errors.DataError` naming the tickers, and cache nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
import warnings
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from stgnn.config import DataConfig
from stgnn.data.panel import PricePanel, build_panel, validation_options
from stgnn.errors import DataError
from stgnn.io import atomic_write

logger = logging.getLogger(__name__)

# yfinance column (level "Price") -> panel field; "Adj Close" only appears, all NaN, for
# failed tickers since auto_adjust=True already adjusts Close.
_FIELDS = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}


def load_yfinance(config: DataConfig) -> PricePanel:
    """Download (or read from the cache) ``config.tickers`` between ``start`` and ``end``.

    Parameters
    ----------
    config : DataConfig
        Uses ``tickers``, ``start``, ``end`` (inclusive), ``cache_dir``, ``max_ffill`` and
        ``min_history``.

    Returns
    -------
    PricePanel
        Open, high, low, close and volume, validated by :func:`~stgnn.data.panel.build_panel`.

    Raises
    ------
    DataError
        No data came back (offline, rate limited or unknown symbols), some tickers have no
        prices, the download failed, or the prices are invalid.
    """
    tickers = sorted(set(config.tickers))
    end = config.end or date.today() - timedelta(days=1)
    path = _cache_path(config.cache_dir, tickers, start=config.start, end=end)
    if path.is_file():
        logger.info("Reading %s from the cache %s.", ", ".join(tickers), path)
        raw = pd.read_parquet(path)
    else:
        logger.info(
            "Downloading %s from Yahoo Finance (%s to %s).",
            ", ".join(tickers), config.start or "first day", end,
        )
        raw = _download(tickers, start=config.start, end=end, cache_dir=config.cache_dir)
        atomic_write(path, raw.to_parquet)
    prices = raw.columns.get_level_values(0)
    fields = {name: raw[column] for column, name in _FIELDS.items() if column in prices}
    return build_panel(fields, origin=f"yfinance ({', '.join(tickers)})", **validation_options(config))


def _download(tickers: list[str], *, start: date | None, end: date, cache_dir: Path) -> pd.DataFrame:
    """``yf.download`` with its failures turned into one-line errors; the raw (Price, Ticker) frame."""
    import yfinance as yf
    from yfinance.exceptions import YFRateLimitError

    what = ", ".join(tickers)
    span = {"start": start.isoformat()} if start else {"period": "max"}
    try:
        with warnings.catch_warnings():  # pandas deprecation notices about yfinance's own code
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="yfinance")
            raw = yf.download(
                tickers,
                **span,
                end=(end + timedelta(days=1)).isoformat(),
                auto_adjust=True,
                progress=False,
                group_by="column",
                multi_level_index=True,
                threads=False,
            )
    except YFRateLimitError as exc:
        raise DataError(
            f"yfinance: Yahoo rate-limited the download of {what}; try again later, or use "
            f"--source csv (a request already made is read from {cache_dir} without downloading)."
        ) from exc
    except Exception as exc:
        reason = str(exc).strip().partition("\n")[0]
        raise DataError(
            f"yfinance: downloading {what} failed ({type(exc).__name__}: {reason}); "
            "check the network, or use --source sample or --source csv."
        ) from exc
    close = raw["Close"] if "Close" in raw.columns.get_level_values(0) else pd.DataFrame()
    missing = [t for t in tickers if t not in close.columns or close[t].isna().all()]
    if len(missing) == len(tickers):
        raise DataError(
            f"yfinance returned no data for {what} (no network, rate limited, or unknown symbols; "
            f"yfinance's log above says which), and {cache_dir} holds no copy of this request; "
            "work offline with --source sample or --source csv."
        )
    if missing:
        raise DataError(
            f"yfinance returned no prices for {', '.join(missing)}; check the symbols or drop them."
        )
    return raw


def _cache_path(cache_dir: Path, tickers: list[str], *, start: date | None, end: date) -> Path:
    """A readable, file-system-safe name plus a hash of the exact request.

    The hash is always there because sanitizing can map two requests to one name
    (``^GSPC`` and ``-GSPC``); a long ticker list is shortened to its count.
    """
    key = f"{'_'.join(tickers)}_{start or 'max'}_{end}"
    name = re.sub(r"[^A-Za-z0-9._-]", "-", key)
    if len(name) > 80:
        name = f"{len(tickers)}-tickers_{start or 'max'}_{end}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return Path(cache_dir) / f"yfinance_{name}_{digest}.parquet"
