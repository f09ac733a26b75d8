"""yfinance source against recorded-shape frames; no test may reach the network."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import yfinance
from yfinance.exceptions import YFRateLimitError

from stgnn.config import DataConfig
from stgnn.data.sources.yahoo import _cache_path, load_yfinance
from stgnn.errors import DataError

N_DAYS = 40
DATES = pd.DatetimeIndex(pd.bdate_range("2024-01-02", periods=N_DAYS), name="Date")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test called the real yfinance.download")

    monkeypatch.setattr(yfinance, "download", refuse)


def _yf_frame(good: list[str], failed: tuple[str, ...] = ()) -> pd.DataFrame:
    """What ``yf.download(..., group_by="column", multi_level_index=True)`` returns.

    Columns (Price, Ticker) sorted as yfinance sorts them; a failed ticker is all NaN, with an
    extra ("Adj Close", ticker) column as yfinance's empty frame has one.
    """
    columns = {}
    for i, ticker in enumerate(good):
        close = 100.0 * (i + 1) + np.arange(N_DAYS)
        for price, values in {"Open": close - 0.5, "High": close + 1, "Low": close - 1, "Close": close}.items():
            columns[(price, ticker)] = values
        columns[("Volume", ticker)] = np.arange(N_DAYS, dtype=np.int64) + 1_000
    prices = ["Open", "High", "Low", "Close", "Volume"] + (["Adj Close"] if failed else [])
    for ticker in failed:
        for price in prices:
            columns[(price, ticker)] = np.full(N_DAYS, np.nan)
    frame = pd.DataFrame(columns, index=DATES)
    frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["Price", "Ticker"])
    return frame.sort_index(axis=1)


def _offline_frame(tickers: list[str]) -> pd.DataFrame:
    """yfinance 1.7 with no network: every download fails, zero rows, all six price columns."""
    columns = pd.MultiIndex.from_product(
        [["Adj Close", "Close", "High", "Low", "Open", "Volume"], tickers], names=["Price", "Ticker"]
    )
    return pd.DataFrame(index=pd.DatetimeIndex([], dtype="datetime64[s]"), columns=columns, dtype=float)


@pytest.fixture
def download(monkeypatch):
    """Replace ``yfinance.download`` by a recorder returning ``download.result``."""

    class Recorder:
        def __init__(self):
            self.result: pd.DataFrame | Exception = pd.DataFrame()
            self.calls: list[tuple[tuple, dict]] = []

        def __call__(self, *args, **kwargs):
            self.calls.append((args, kwargs))
            if isinstance(self.result, Exception):
                raise self.result
            return self.result

    recorder = Recorder()
    monkeypatch.setattr(yfinance, "download", recorder)
    return recorder


def _config(tmp_path, tickers=("msft", "aapl"), **kwargs) -> DataConfig:
    kwargs = {"start": date(2024, 1, 2), "end": date(2024, 2, 29)} | kwargs
    return DataConfig(
        source="yfinance", tickers=tickers, cache_dir=tmp_path / "cache", min_history=30, **kwargs
    )


def test_download_becomes_a_panel(tmp_path, download):
    download.result = _yf_frame(["AAPL", "MSFT"])

    panel = load_yfinance(_config(tmp_path))

    assert panel.tickers == ["AAPL", "MSFT"]
    assert panel.source == "yfinance (AAPL, MSFT)"
    assert panel.dates.equals(pd.DatetimeIndex(DATES, name="date"))
    np.testing.assert_allclose(panel.close["MSFT"], 200.0 + np.arange(N_DAYS))
    assert all(panel.has(name) for name in ("open", "high", "low", "volume"))
    assert panel.volume["AAPL"].iloc[0] == 1_000
    (args, kwargs), = download.calls
    assert args == (["AAPL", "MSFT"],)
    assert kwargs["start"] == "2024-01-02"
    assert kwargs["end"] == "2024-03-01"  # config.end is inclusive, yfinance's end is not
    assert kwargs["auto_adjust"] is True and kwargs["progress"] is False


def test_without_start_asks_for_full_history_up_to_yesterday(tmp_path, download):
    download.result = _yf_frame(["AAPL"])
    load_yfinance(_config(tmp_path, tickers=["aapl"], start=None, end=None))
    (_, kwargs), = download.calls
    assert kwargs["period"] == "max" and "start" not in kwargs
    assert kwargs["end"] == date.today().isoformat()


def test_second_request_reads_the_parquet_cache(tmp_path, download):
    download.result = _yf_frame(["AAPL", "MSFT"])
    config = _config(tmp_path)

    first = load_yfinance(config)
    files = list(config.cache_dir.iterdir())
    second = load_yfinance(config)

    assert len(download.calls) == 1
    assert [f.suffix for f in files] == [".parquet"]  # and no temp file left behind
    assert files[0].name.startswith("yfinance_AAPL_MSFT_2024-01-02_2024-02-29_")
    pd.testing.assert_frame_equal(first.close, second.close)
    pd.testing.assert_frame_equal(first.volume, second.volume)


def test_offline_names_cache_and_offline_sources(tmp_path, download):
    download.result = _offline_frame(["AAPL", "MSFT"])
    config = _config(tmp_path)
    with pytest.raises(
        DataError,
        match=r"yfinance returned no data for AAPL, MSFT \(no network.*cache holds no copy.*--source sample or --source csv",
    ):
        load_yfinance(config)
    assert not config.cache_dir.exists() or not any(config.cache_dir.iterdir())


def test_partial_failure_names_only_the_bad_tickers(tmp_path, download):
    download.result = _yf_frame(["AAPL", "MSFT"], failed=("XYZQ",))
    config = _config(tmp_path, tickers=["aapl", "xyzq", "msft"])
    with pytest.raises(DataError, match=r"^yfinance returned no prices for XYZQ; check the symbols or drop them\.$"):
        load_yfinance(config)
    assert not config.cache_dir.exists()


def test_rate_limit_is_a_clear_error(tmp_path, download):
    download.result = YFRateLimitError()
    with pytest.raises(DataError, match=r"rate-limited the download of AAPL, MSFT; try again later.*--source csv"):
        load_yfinance(_config(tmp_path))


def test_other_download_failure_names_its_cause(tmp_path, download):
    download.result = ConnectionError("Could not resolve host: query2.finance.yahoo.com\nmore detail")
    with pytest.raises(
        DataError, match=r"downloading AAPL, MSFT failed \(ConnectionError: Could not resolve host: query2\.finance\.yahoo\.com\); check"
    ) as raised:
        load_yfinance(_config(tmp_path))
    assert "\n" not in str(raised.value)


def test_cache_names_are_safe_and_distinct(tmp_path):
    start, end = date(2020, 1, 1), date(2021, 1, 1)
    index = _cache_path(tmp_path, ["^GSPC"], start=start, end=end).name
    other = _cache_path(tmp_path, ["-GSPC"], start=start, end=end).name
    assert index.startswith("yfinance_-GSPC_2020-01-01_2021-01-01_") and index != other
    many = [f"T{i:03d}" for i in range(50)]
    long = _cache_path(tmp_path, many, start=None, end=end).name
    assert long.startswith("yfinance_50-tickers_max_2021-01-01_") and len(long) < 100
    assert long != _cache_path(tmp_path, many[:-1] + ["T999"], start=None, end=end).name
    assert _cache_path(tmp_path, many, start=None, end=end + timedelta(days=1)).name != long
