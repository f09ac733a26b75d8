"""The bundled S&P 500 set: ragged, kept whole, with its sectors and its caveat."""

import numpy as np
import pandas as pd
import pytest

from stgnn.config import DataConfig, parse_config
from stgnn.data.graph import known_sectors
from stgnn.data.sources import load_panel
from stgnn.data.sources.sp500 import SURVIVORSHIP, load_sp500
from stgnn.datasets import SP500_SECTORS
from stgnn.errors import ConfigError

LATE_AND_SHORT = {"APTV": 44, "DWDP": 109, "BHF": 142, "BHGE": 152, "DXC": 215}
"""Tickers listed too late for the default min_history=252, with their days of prices."""


@pytest.fixture(scope="module")
def panel():
    return load_panel(DataConfig(source="sp500"))


def test_every_date_and_every_ticker_is_kept_and_late_listings_never_seasoned_are_never_eligible(panel):
    assert len(panel.dates) == 1259
    assert (panel.dates[0], panel.dates[-1]) == (pd.Timestamp("2013-02-08"), pd.Timestamp("2018-02-07"))
    assert len(panel.tickers) == 505 and panel.dropped == ()
    assert sorted(panel.never_seasoned) == sorted(LATE_AND_SHORT)
    assert panel.observed[list(LATE_AND_SHORT)].sum().to_dict() == LATE_AND_SHORT


def test_late_starters_and_holes_are_absent_not_trimmed(panel):
    absent = {a.ticker: a for a in panel.absences}
    assert absent["HPE"].first == pd.Timestamp("2015-10-19") and absent["HPE"].days == 1259 - 581
    limit = DataConfig().max_ffill
    gap = np.flatnonzero(panel.close["O"].isna().to_numpy())  # the hole that outlasted max_ffill
    assert absent["O"].holes == 1 and len(gap) == absent["O"].longest_hole
    assert panel.present["O"].iloc[gap[0] - limit:gap[0]].all() and not panel.traded["O"].iloc[gap[0] - limit:gap[0]].any()
    assert not any(a.last for a in panel.absences)  # no ticker ends early: the survivors of 2018
    assert panel.close["HPE"].loc[:"2015-10-16"].isna().all() and panel.close["HPE"].loc["2015-10-19":].notna().all()


def test_all_fields_share_close_presence(panel):
    for name in ("open", "high", "low", "volume"):
        frame = getattr(panel, name)
        assert frame is not None and frame.notna().equals(panel.present), name
    close = panel.close.to_numpy()
    assert (close[np.isfinite(close)] > 0).all()


def test_carries_the_survivorship_caveat(panel):
    assert panel.caveats == (SURVIVORSHIP,) and "February 2018" in SURVIVORSHIP


def test_restrictions_apply_before_validation():
    part = load_sp500(DataConfig(source="sp500", tickers=("hpe", "AAPL"), start="2015-01-02", end="2015-12-31",
                                 min_history=30))
    assert part.tickers == ["AAPL", "HPE"] and len(part.dates) == 252
    assert part.present["HPE"].sum() == 52 and part.absences[0].first == pd.Timestamp("2015-10-19")


def test_bundled_sectors_cover_every_ticker(panel):
    sectors = pd.read_csv(SP500_SECTORS)
    assert list(sectors.columns) == ["ticker", "sector"] and sectors["sector"].nunique() == 11
    assert set(panel.tickers) <= set(sectors["ticker"]) and len(sectors) == 505


def test_sector_graph_of_sp500_defaults_to_the_bundled_sectors(tmp_path):
    config = parse_config({"data": {"source": "sp500"}, "graph": {"method": "sector"}})
    assert config.graph.sector_file == SP500_SECTORS
    own = tmp_path / "sectors.csv"
    assert parse_config({"data": {"source": "sp500"}, "graph": {"method": "sector", "sector_file": str(own)}}
                        ).graph.sector_file == own
    assert parse_config({"data": {"source": "sp500"}}).graph.sector_file is None  # correlation graph: none needed
    with pytest.raises(ConfigError, match="needs sector_file"):
        parse_config({"data": {"source": "sample"}, "graph": {"method": "sector"}})


def test_sectors_are_known_for_reports_without_a_sector_graph(tmp_path):
    """sp500's report can show sectors under a correlation graph; a given file wins; elsewhere none."""
    assert len(known_sectors(parse_config({"data": {"source": "sp500"}}))) == 505
    own = tmp_path / "sectors.csv"
    own.write_text("ticker,sector\nA,X\n")
    assert known_sectors(parse_config({"data": {"source": "sp500"}, "graph": {"sector_file": str(own)}})) == {"A": "X"}
    assert known_sectors(parse_config({"data": {"source": "synthetic"}})) is None
