import gzip
import logging

import numpy as np
import pandas as pd
import pytest

from stgnn.config import DataConfig
from stgnn.data.sources.csv import load_csv
from stgnn.errors import DataError

N_DAYS = 40  # DataConfig allows min_history >= 30
DATES = pd.bdate_range("2024-01-01", periods=N_DAYS)


def _prices(start: float) -> np.ndarray:
    return start + np.arange(N_DAYS, dtype=float)


def _ticker_frame(start: float = 100.0) -> pd.DataFrame:
    close = _prices(start)
    return pd.DataFrame(
        {"date": DATES.strftime("%Y-%m-%d"), "open": close - 0.5, "high": close + 1,
         "low": close - 1, "close": close, "volume": 1000 + np.arange(N_DAYS)}
    )


def _config(path, **kwargs) -> DataConfig:
    return DataConfig(source="csv", data_dir=path, min_history=30, **kwargs)


def _write_folder(folder, frames: dict[str, pd.DataFrame]):
    folder.mkdir(exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / name, index=False)
    return folder


def test_folder_with_messy_headers_prefers_adjusted_close(tmp_path):
    messy = _ticker_frame(100.0).rename(columns={"date": " Date ", "volume": "vOlume", "close": "Close"})
    messy["ADJ CLOSE"] = messy["Close"] / 2
    gz = _ticker_frame(50.0).rename(columns={"close": "Adj_Close"})
    folder = _write_folder(tmp_path / "prices", {"aapl.csv": messy, "BRK-B.csv.gz": gz})

    panel = load_csv(_config(folder))

    assert panel.tickers == ["AAPL", "BRK-B"]
    np.testing.assert_allclose(panel.close["AAPL"], _prices(100.0) / 2)
    np.testing.assert_allclose(panel.close["BRK-B"], _prices(50.0))
    assert all(panel.has(name) for name in ("open", "high", "low", "volume"))
    assert panel.volume["AAPL"].iloc[-1] == 1000 + N_DAYS - 1
    assert panel.dates[0] == DATES[0] and len(panel.dates) == N_DAYS
    assert panel.source == str(folder)


def test_folder_keeps_only_fields_every_file_has(tmp_path):
    folder = _write_folder(
        tmp_path / "prices",
        {"a.csv": _ticker_frame(), "b.csv": _ticker_frame()[["date", "close", "volume"]]},
    )
    panel = load_csv(_config(folder))
    assert panel.has("volume") and not panel.has("open")


def test_folder_reads_only_requested_tickers(tmp_path):
    broken = "date,close\n2024-01-02,abc\n"
    folder = _write_folder(tmp_path / "prices", {"a.csv": _ticker_frame(), "b.csv": _ticker_frame()})
    (folder / "broken.csv").write_text(broken)
    panel = load_csv(_config(folder, tickers=["b"]))
    assert panel.tickers == ["B"]
    with pytest.raises(DataError, match=r"prices: no file for ZZZ; add the data or remove it from tickers"):
        load_csv(_config(folder, tickers=["a", "zzz"]))


def test_dates_with_utc_offsets_keep_local_date(tmp_path):
    frame = _ticker_frame()
    offsets = np.where(DATES.month > 1, "-04:00", "-05:00")  # as if across a DST change
    frame["date"] = frame["date"] + " 00:00:00" + offsets
    panel = load_csv(_config(_write_folder(tmp_path / "prices", {"a.csv": frame})))
    assert panel.dates.equals(pd.DatetimeIndex(DATES, name="date"))


def test_wide_file(tmp_path):
    wide = pd.DataFrame({"Date": DATES.strftime("%Y-%m-%d"), "aapl": _prices(10), " MSFT ": _prices(20)})
    path = tmp_path / "closes.csv.gz"
    wide.to_csv(path, index=False)

    panel = load_csv(_config(path))

    assert panel.tickers == ["AAPL", "MSFT"]
    np.testing.assert_allclose(panel.close["MSFT"], _prices(20))
    assert not panel.has("volume")
    assert panel.source == str(path)
    assert load_csv(_config(path, tickers=["msft"])).tickers == ["MSFT"]


def test_a_folder_holding_one_wide_file_is_read_as_that_file(tmp_path, caplog):
    folder = tmp_path / "prices"
    folder.mkdir()
    wide = pd.DataFrame({"date": DATES.strftime("%Y-%m-%d"), "AAPL": _prices(10), "MSFT": _prices(20)})
    wide.to_csv(folder / "closes.csv", index=False)
    with caplog.at_level(logging.INFO, logger="stgnn.data.sources.csv"):
        panel = load_csv(_config(folder, tickers=["msft"]))
    assert panel.tickers == ["MSFT"]
    np.testing.assert_allclose(panel.close["MSFT"], _prices(20))
    assert "its one file closes.csv has no price field column: read as a wide file" in caplog.text


def test_a_wide_file_beside_ticker_files_is_named_as_such(tmp_path):
    folder = _write_folder(tmp_path / "prices", {"aapl.csv": _ticker_frame()})
    pd.DataFrame({"date": DATES.strftime("%Y-%m-%d"), "A": _prices(10), "B": _prices(20)}).to_csv(
        folder / "closes.csv", index=False)
    with pytest.raises(DataError, match=r"closes\.csv: expected columns date and close .*got date, A, B; rename the "
                                        r"headers, or if it is a wide file .* pass the file itself as data_dir\.$"):
        load_csv(_config(folder))


@pytest.mark.parametrize("text", ["date,price\n2024-01-02,1\n", "date,open,price,volume\n2024-01-02,1,1,9\n"],
                         ids=["one-column", "misnamed-close"])
def test_a_ticker_file_with_a_misnamed_close_is_never_read_as_tickers(tmp_path, text):
    """Alone in its folder it is still a ticker file: PRICE and VOLUME are no tickers."""
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "aapl.csv").write_text(text)
    with pytest.raises(DataError, match=r"aapl\.csv: expected columns date and close .*; rename the headers\.$"):
        load_csv(_config(folder))


def test_wide_file_date_in_first_column_under_any_header(tmp_path):
    path = tmp_path / "closes.csv"
    pd.DataFrame({"day": DATES, "A": _prices(10)}).to_csv(path, index=False)
    assert load_csv(_config(path)).dates[-1] == DATES[-1]


def test_short_gap_filled_and_long_gap_kept_absent(tmp_path):
    short, long = _ticker_frame(), _ticker_frame()
    short.loc[5:6, "close"] = np.nan
    long.loc[5:10, "close"] = np.nan
    folder = _write_folder(tmp_path / "prices", {"a.csv": _ticker_frame(), "short.csv": short, "long.csv": long})

    panel = load_csv(_config(folder, max_ffill=2))

    assert panel.tickers == ["A", "LONG", "SHORT"] and panel.dropped == ()
    assert panel.close["SHORT"].iloc[5] == panel.close["SHORT"].iloc[4]
    assert panel.close["LONG"].isna().sum() == 4 and panel.volume["LONG"].isna().sum() == 4  # 2 days filled
    assert (~panel.traded["LONG"]).sum() == 6
    assert panel.absences[0].line() == "kept, absent on 4 days: 1 gap outlasting max_ffill (absent 4 days)"


def test_ragged_per_ticker_files_keep_every_date(tmp_path):
    """Files of a listing and a delisting: the calendar is their union, nothing is trimmed."""
    listed, delisted = _ticker_frame()[5:], _ticker_frame()[:-5]
    folder = _write_folder(tmp_path / "prices", {"new.csv": listed, "old.csv": delisted, "all.csv": _ticker_frame()})

    panel = load_csv(_config(folder))

    assert len(panel.dates) == N_DAYS and panel.dropped == ()
    filled = DataConfig().max_ffill  # days after the last price carried, causally
    assert panel.present.sum().to_dict() == {"ALL": N_DAYS, "NEW": N_DAYS - 5, "OLD": N_DAYS - 5 + filled}
    assert panel.traded.sum().to_dict() == {"ALL": N_DAYS, "NEW": N_DAYS - 5, "OLD": N_DAYS - 5}
    assert [(a.ticker, a.first) for a in panel.absences] == [("NEW", DATES[5])]


def test_too_little_history_is_never_eligible_with_warning(tmp_path, caplog):
    folder = _write_folder(tmp_path / "prices", {"a.csv": _ticker_frame(), "new.csv": _ticker_frame()[-10:]})
    with caplog.at_level(logging.WARNING):
        panel = load_csv(_config(folder))
    assert panel.tickers == ["A", "NEW"] and panel.never_seasoned == ["NEW"]
    assert "never reach min_history=30 days of prices and are never eligible: NEW" in caplog.text


# -- errors: one line naming the file (or folder and ticker) and the date --------------------


def _bad_file(tmp_path, text: str, name: str = "aapl.csv"):
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "good.csv").write_text(_ticker_frame().to_csv(index=False))
    (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", r"aapl\.csv: empty file"),
        ("date,close\n", r"aapl\.csv: empty file"),
        ("date,close\n2024-01-02,1\n2024-01-03,1,7\n", r"aapl\.csv: not a readable csv file \(Error tokenizing"),
        ("date,price\n2024-01-02,1\n", r"aapl\.csv: expected columns date and close \(or adj close\), got date, price"),
        ("day,close\n2024-01-02,1\n", r"aapl\.csv: expected columns date and close .*got day, close"),
        ("Close,close\n1,1\n", r"aapl\.csv: columns Close, close repeat"),
        ("date,close\n2024-01-02,1\n2024-01-31,1\n2024-01-02,2\n", r"aapl\.csv: duplicate date 2024-01-02; each date"),
        ("date,close\n2024-01-02,1\n2024-02-30,1\n", r"aapl\.csv: unparsable date '2024-02-30'"),
    ],
    ids=["zero-bytes", "header-only", "ragged", "no-close", "no-date", "repeated-header", "duplicate-date", "bad-date"],
)
def test_bad_ticker_file_is_named(tmp_path, text, match):
    with pytest.raises(DataError, match=match):
        load_csv(_config(_bad_file(tmp_path, text)))


def test_undecodable_file_is_named(tmp_path):
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "aapl.csv").write_bytes(gzip.compress(b"date,close\n"))  # gzip bytes without .gz
    with pytest.raises(DataError, match=r"aapl\.csv: not a readable csv file"):
        load_csv(_config(folder))


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("abc", r"prices: close of AAPL on 2024-01-03 is 'abc', not a number"),
        ("inf", r"prices: close of AAPL on 2024-01-03 is not finite"),
        ("-2", r"prices: close of AAPL on 2024-01-03 is -2 \(not positive\)"),
    ],
)
def test_bad_price_names_folder_ticker_and_date(tmp_path, value, match):
    frame = _ticker_frame()
    frame["close"] = frame["close"].astype(object)
    frame.loc[2, "close"] = value
    folder = _write_folder(tmp_path / "prices", {"aapl.csv": frame})
    with pytest.raises(DataError, match=match):
        load_csv(_config(folder))


def test_wide_file_errors_name_the_file(tmp_path):
    path = tmp_path / "closes.csv"
    path.write_text("date,A,B\n2024-01-02,1,2\n2024-01-03,1,-5\n")
    with pytest.raises(DataError, match=r"closes\.csv: close of B on 2024-01-03 is -5 \(not positive\)"):
        load_csv(_config(path))
    with pytest.raises(DataError, match=r"closes\.csv: no column for ZZZ"):
        load_csv(_config(path, tickers=["a", "zzz"]))
    path.write_text("date,A\n2024-01-02,1\n2024-01-02,1\n")
    with pytest.raises(DataError, match=r"closes\.csv: duplicate date 2024-01-02"):
        load_csv(_config(path))


@pytest.mark.parametrize(
    "text",
    ["date,open,high,low,close\n2024-01-02,1,1,1,1\n", "date\n2024-01-02\n"],
    ids=["one-ticker-file", "no-ticker-column"],
)
def test_wide_file_with_unknown_layout(tmp_path, text):
    path = tmp_path / "aapl.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=r"aapl\.csv: unknown column layout .*pass the folder as data_dir"):
        load_csv(_config(path))


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(DataError, match=r"data_dir .*nowhere does not exist"):
        load_csv(_config(tmp_path / "nowhere"))
    (tmp_path / "notes.txt").write_text("not prices")
    with pytest.raises(DataError, match=r"no \.csv or \.csv\.gz files"):
        load_csv(_config(tmp_path))


def test_two_files_for_one_ticker(tmp_path):
    folder = _write_folder(tmp_path / "prices", {"aapl.csv": _ticker_frame(), "AAPL.csv.gz": _ticker_frame()})
    with pytest.raises(DataError, match=r"ticker AAPL has two files, AAPL\.csv\.gz and aapl\.csv"):
        load_csv(_config(folder))
