"""Point-in-time universes: the membership file, its mask, and every source honouring it."""

import logging

import numpy as np
import pandas as pd
import pytest

from stgnn.config import DataConfig, FeatureConfig, LabelConfig
from stgnn.data.dataset import prepare
from stgnn.data.panel import build_panel, member_mask, read_universe
from stgnn.data.sources import load_panel
from stgnn.errors import DataError

DATES = pd.bdate_range("2024-01-01", periods=8, name="date")


def _write(tmp_path, text: str):
    path = tmp_path / "universe.csv"
    path.write_text(text)
    return path


def test_spells_are_read_with_open_ends_and_repeated_tickers(tmp_path):
    path = _write(tmp_path, "Ticker, START ,End,note\naapl,2024-01-02,2024-01-03,x\nAAPL,2024-01-05,,\n msft ,2024-01-01,,\n")
    spells = read_universe(path)
    assert spells["ticker"].tolist() == ["AAPL", "AAPL", "MSFT"]
    assert spells["start"].tolist() == [pd.Timestamp(d) for d in ("2024-01-02", "2024-01-05", "2024-01-01")]
    assert spells["end"].iloc[0] == pd.Timestamp("2024-01-03") and spells["end"].iloc[1:].isna().all()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("ticker,start\nA,2024-01-01\n", r"universe\.csv: no column end; a universe file has columns ticker,start,end"),
        ("name,from,to\nA,2024-01-01,\n", r"no column ticker, start, end"),
        ("", r"universe\.csv: no column ticker, start, end"),
        ("ticker,start,end\n", r"universe\.csv: no membership rows"),
        ("ticker,start,end\nA,2024-01-01,\nB,2024-13-01,\n", r"universe\.csv line 3: unparsable start '2024-13-01'"),
        ("ticker,start,end\nA,2024-01-01,soon\n", r"universe\.csv line 2: unparsable end 'soon'"),
        ("ticker,start,end\nA,2024-01-05,2024-01-02\n", r"universe\.csv line 2: start after end \(A, 2024-01-05, 2024-01-02\)"),
        ("ticker,start,end\nA,,2024-01-02\n", r"universe\.csv line 2: empty start"),
        ("ticker,start,end\n,2024-01-01,\n", r"universe\.csv line 2: empty ticker"),
    ],
    ids=["no-end", "no-column", "zero-bytes", "header-only", "bad-start", "bad-end", "start-after-end", "no-start", "no-ticker"],
)
def test_bad_universe_file_is_one_clear_line(tmp_path, text, match):
    with pytest.raises(DataError, match=match) as info:
        read_universe(_write(tmp_path, text))
    assert "\n" not in str(info.value)


def test_missing_universe_file(tmp_path):
    with pytest.raises(DataError, match="universe file .*nowhere.csv does not exist"):
        read_universe(tmp_path / "nowhere.csv")


def test_mask_is_inclusive_and_ignores_tickers_outside_the_panel():
    spells = pd.DataFrame({"ticker": ["A", "A", "ZZZ"],
                           "start": pd.to_datetime(["2023-06-01", "2024-01-05", "2024-01-01"]),
                           "end": pd.to_datetime(["2024-01-02", None, None])})
    mask = member_mask(spells, DATES, ["A", "B"])
    assert mask.index.equals(DATES) and mask.columns.tolist() == ["A", "B"]
    assert mask["A"].tolist() == [True, True, False, False, True, True, True, True]
    assert not mask["B"].any()  # never in the file: never a member


def test_build_panel_masks_members_and_warns_of_tickers_without_prices(tmp_path, caplog):
    close = pd.DataFrame({"A": [None, None] + [1.0] * 6, "B": [2.0] * 8, "C": [None] * 6 + [3.0] * 2}, index=DATES)
    path = _write(tmp_path, "ticker,start,end\nA,2024-01-01,\nB,2024-01-03,2024-01-04\nC,2024-01-01,\nGONE,2024-01-01,\n")
    with caplog.at_level(logging.WARNING, logger="stgnn.data.panel"):
        panel = build_panel({"close": close}, origin="toy", min_history=3, universe=path)
    # C has prices (too few: a member never eligible); GONE has none
    assert f"1 ticker(s) of the universe {path} have no prices in toy: GONE." in caplog.messages
    assert panel.member.index.equals(panel.close.index) and panel.member.columns.tolist() == ["A", "B", "C"]
    assert panel.eligible["A"].tolist() == [False] * 4 + [True] * 4  # member, but no price yet, then too few
    assert panel.eligible["B"].tolist() == [False, False, True, True] + [False] * 4
    assert not panel.eligible["C"].any() and panel.never_seasoned == ["C"]
    assert panel.universe == f"members per {path}"


def test_without_a_universe_every_present_seasoned_cell_is_eligible():
    close = pd.DataFrame({"A": [None] + [1.0] * 7, "B": [1.0] * 8}, index=DATES)
    panel = build_panel({"close": close}, origin="toy", min_history=3)
    assert panel.member is None and panel.eligible.equals(panel.present & panel.seasoned)
    assert panel.eligible["A"].tolist() == [False] * 3 + [True] * 5 and panel.eligible["B"].all()
    assert panel.universe == "every ticker while it has prices"


@pytest.fixture
def csv_folder(tmp_path):
    folder = tmp_path / "prices"
    folder.mkdir()
    for ticker in ("AAPL", "MSFT"):
        pd.DataFrame({"date": pd.bdate_range("2024-01-01", periods=40).strftime("%Y-%m-%d"),
                      "close": 100 + np.arange(40.0)}).to_csv(folder / f"{ticker}.csv", index=False)
    return folder


@pytest.mark.parametrize("source", ["sample", "sp500", "csv", "synthetic"])
def test_every_source_honours_the_universe(source, csv_folder, tmp_path):
    member, outsider = ("T001", "T002") if source == "synthetic" else ("MSFT", "AAPL")
    path = _write(tmp_path, f"ticker,start,end\n{member},1980-01-01,\n")
    config = DataConfig(source=source, universe=path, min_history=30,
                        data_dir=csv_folder if source == "csv" else None)
    panel = load_panel(config)
    assert panel.member is not None and panel.member.shape == panel.close.shape
    assert panel.eligible[member].equals(panel.present[member] & panel.seasoned[member])
    assert panel.eligible[member].any() and not panel.eligible[outsider].any()


def test_nodes_and_labels_exist_only_on_member_days_while_features_read_earlier_prices(tmp_path):
    """Membership reaches the model through ``prepare``: no node and no label outside a spell,
    while the window of a ticker's first member day reads its prices from before it joined."""
    dates = pd.bdate_range("2024-01-01", periods=120, name="date")
    rng = np.random.default_rng(0)
    close = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.02, (120, 3)), axis=0)), index=dates,
                         columns=["A", "B", "C"])
    path = _write(tmp_path, "ticker,start,end\nA,2024-01-01,\nB,2024-01-01,\nC,2024-04-01,\n")
    panel = build_panel({"close": close}, origin="toy", min_history=30, universe=path)
    data = prepare(panel, features=FeatureConfig(), labels=LabelConfig(), window=5)
    joins = int(np.flatnonzero(dates == pd.Timestamp("2024-04-01"))[0])
    assert not data.usable[:joins, 2].any() and (data.labels.y[:joins, 2] == -1).all()
    assert data.usable[joins, 2] and data.usable[:joins, 0].any()  # C is a node from the day it joins
    # Its first member window is complete: features of the days before it joined exist.
    assert np.isfinite(data.features.values[joins - 4:joins + 1, 2]).all()
