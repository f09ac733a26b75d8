"""Market-relative labels: the forward return minus the equal-weight return of the tickers present
that day (the universe, or the ticker's sector), cut at theta; the raw forward return is kept."""

import numpy as np
import pandas as pd
import pytest

from stgnn.config import LabelConfig, parse_config
from stgnn.data.dataset import prepare
from stgnn.data.features import trailing_volatility
from stgnn.data.labels import UNKNOWN, forward_log_return, make_labels
from stgnn.data.panel import build_panel
from stgnn.data.summary import summarize
from stgnn.datasets import SP500_SECTORS
from stgnn.errors import ConfigError
from stgnn.training.run import load_data

L = np.log


def _ragged() -> pd.DataFrame:
    """B is absent on day 1, so it has no forward return on days 0 and 1."""
    return pd.DataFrame({"A": [100.0, 102.0, 102.0, 101.0],
                         "B": [100.0, np.nan, 99.0, 100.0],
                         "C": [50.0, 50.0, 51.0, 51.0]})


def _random_close(n_days=300, n_tickers=6, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    returns = rng.normal(0, 0.01, (n_days, 1)) + rng.normal(0, 0.015, (n_days, n_tickers))
    close = pd.DataFrame(100 * np.exp(np.cumsum(returns, axis=0)), columns=list("ABCDEF")[:n_tickers])
    close.iloc[:40, 0] = np.nan     # A lists late
    close.iloc[120:150, 1] = np.nan  # B pauses
    return close


@pytest.mark.parametrize("vol_scaled", [False, True])
def test_none_gives_the_raw_labels(vol_scaled):
    close = _random_close()
    cfg = LabelConfig(threshold=0.015, vol_scaled=vol_scaled, vol_window=10)
    labels = make_labels(close, cfg)
    assert cfg.relative_to == "none" and labels.benchmark is None
    fwd = forward_log_return(close, 1)
    assert labels.target_return is labels.fwd_return
    np.testing.assert_array_equal(labels.fwd_return, fwd)
    if vol_scaled:
        vol = trailing_volatility(close, 10)
        theta = (0.015 * vol / vol.expanding().median()).to_numpy()
    else:
        theta = np.full(fwd.shape, 0.015)
    np.testing.assert_array_equal(labels.threshold, theta)
    known = np.isfinite(fwd) & np.isfinite(theta)
    expected = np.where(known, np.where(fwd > theta, 2, np.where(fwd < -theta, 0, 1)), UNKNOWN)
    np.testing.assert_array_equal(labels.y, expected)


def test_universe_mean_uses_the_tickers_present_that_day():
    labels = make_labels(_ragged(), LabelConfig(threshold=0.005, relative_to="universe"))
    # Days 0 and 1: B has no forward return, the mean is A's and C's; day 2: all three.
    mean = [(L(1.02) + 0) / 2, (0 + L(1.02)) / 2, (L(101 / 102) + L(100 / 99) + 0) / 3]
    np.testing.assert_allclose(labels.benchmark[:3], np.repeat(np.array(mean)[:, None], 3, axis=1), rtol=1e-9)
    assert np.isnan(labels.benchmark[3]).all()
    np.testing.assert_allclose(labels.target_return[0], [L(1.02) / 2, np.nan, -L(1.02) / 2], rtol=1e-9)
    np.testing.assert_array_equal(labels.fwd_return, forward_log_return(_ragged(), 1))  # kept raw
    # A: +0.0099, -0.0099, -0.0099 vs theta 0.005; B: +0.0100 on day 2; C: -0.0099, +0.0099, -0.00007.
    assert labels.y.T.tolist() == [[2, 0, 0, UNKNOWN], [UNKNOWN, UNKNOWN, 2, UNKNOWN], [0, 2, 1, UNKNOWN]]
    # B's absence on days 0-1 changes nothing there: A and C label the same without B.
    alone = make_labels(_ragged()[["A", "C"]], LabelConfig(threshold=0.005, relative_to="universe"))
    np.testing.assert_array_equal(alone.y[:2], labels.y[:2, [0, 2]])


def test_raw_labels_of_the_same_prices_differ():
    raw = make_labels(_ragged(), LabelConfig(threshold=0.005))
    assert raw.y.T.tolist() == [[2, 1, 0, UNKNOWN], [UNKNOWN, UNKNOWN, 2, UNKNOWN], [1, 2, 1, UNKNOWN]]


def test_sector_mean_is_taken_within_each_sector():
    close = pd.DataFrame({"A": [100.0, 103.0], "B": [100.0, 101.0], "C": [100.0, 98.0], "D": [100.0, np.nan],
                          "E": [100.0, 100.5]})
    sectors = {"A": "tech", "B": "tech", "C": "energy", "D": "energy", "E": "utilities"}
    labels = make_labels(close, LabelConfig(threshold=0.005, relative_to="sector"), sectors=sectors)
    tech = (L(1.03) + L(1.01)) / 2
    expected = [L(1.03) - tech, L(1.01) - tech, 0.0, np.nan, 0.0]  # C and E alone that day: excess 0
    np.testing.assert_allclose(labels.target_return[0], expected, rtol=1e-9, atol=1e-15)
    assert labels.y[0].tolist() == [2, 0, 1, UNKNOWN, 1]
    universe = make_labels(close, LabelConfig(threshold=0.005, relative_to="universe")).y[0]
    assert universe.tolist() == [2, 1, 0, UNKNOWN, 1]  # mean +0.0061: B is no longer behind


def test_sector_labels_need_a_sector_for_every_ticker():
    close = _ragged()
    with pytest.raises(ConfigError, match="needs sectors: set graph.sector_file"):
        make_labels(close, LabelConfig(relative_to="sector"))
    with pytest.raises(ConfigError, match="no sector for B, C; add a ticker,sector row"):
        make_labels(close, LabelConfig(relative_to="sector"), sectors={"A": "x", "Z": "x"})
    # Sectors are only read when asked for: raw and universe labels ignore them.
    make_labels(close, LabelConfig(relative_to="universe"), sectors={"A": "x"})


def test_vol_scaled_relative_threshold_is_the_excess_volatility():
    close = _random_close()
    cfg = LabelConfig(threshold=0.015, vol_scaled=True, vol_window=10, relative_to="universe")
    labels = make_labels(close, cfg)
    daily = np.log(close).diff().to_numpy()
    vol = pd.DataFrame(daily - _nanmean_rows(daily)[:, None]).rolling(10).std()
    np.testing.assert_allclose(labels.threshold, (0.015 * vol / vol.expanding().median()).to_numpy(),
                               rtol=1e-9, equal_nan=True)
    target = labels.target_return
    known = labels.y >= 0
    assert known.sum() > 1000
    np.testing.assert_array_equal(labels.y[known] == 2, target[known] > labels.threshold[known])
    np.testing.assert_array_equal(labels.y[known] == 0, target[known] < -labels.threshold[known])


def _nanmean_rows(a: np.ndarray) -> np.ndarray:
    finite = np.isfinite(a)
    return np.where(finite, a, 0).sum(axis=1) / np.where(finite.any(axis=1), finite.sum(axis=1), np.nan)


def test_relabel_and_prepare_carry_the_sectors():
    close = _random_close(n_tickers=4).set_axis(pd.bdate_range("2020-01-01", periods=300))
    panel = build_panel({"close": close}, origin="toy", min_history=30)
    sectors = {"A": "x", "B": "x", "C": "y", "D": "y"}
    data = prepare(panel, window=5, sectors=sectors)
    assert data.labels.benchmark is None and data.sectors == sectors
    cfg = LabelConfig(relative_to="sector")
    relabelled = data.relabel(cfg)
    direct = make_labels(panel.close, cfg, sectors=sectors)
    np.testing.assert_array_equal(relabelled.labels.target_return, direct.target_return)
    traded = panel.traded.to_numpy()
    known = data.usable & traded & np.vstack([traded[1:], np.zeros((1, traded.shape[1]), bool)])  # t and t + 1
    np.testing.assert_array_equal(relabelled.labels.y, np.where(known, direct.y, UNKNOWN))
    np.testing.assert_array_equal(prepare(panel, labels=cfg, window=5, sectors=sectors).labels.y, relabelled.labels.y)
    with pytest.raises(ConfigError, match="needs sectors"):
        prepare(panel, window=5).relabel(cfg)


def test_summary_names_the_label_rule():
    panel = build_panel({"close": _random_close().set_axis(pd.bdate_range("2020-01-01", periods=300))},
                        origin="toy", min_history=30)
    lines = summarize(panel, LabelConfig(relative_to="universe", vol_scaled=True)).lines()
    assert "labels     horizon 1 day(s), theta 0.018 x trailing vol / its median, on the forward return minus " \
           "the universe's equal-weight return; delay 0 (traded at the call's own close)" in lines
    assert "labels     horizon 1 day(s), theta 0.018; delay 0 (traded at the call's own close)" in \
        summarize(panel, LabelConfig()).lines()
    assert "labels     horizon 1 day(s), top / bottom 0.1 of each day; delay 1 (traded at the next close)" in \
        summarize(panel, LabelConfig(kind="quantile", q=0.1, delay=1)).lines()


def test_sp500_sector_labels_load_the_bundled_sectors():
    config = parse_config({"data": {"source": "sp500", "tickers": ["AAPL", "MSFT", "HPE", "XOM", "CVX"],
                                    "start": "2015-01-02", "end": "2015-12-31", "min_history": 30},
                           "labels": {"relative_to": "sector"}})
    assert config.graph.sector_file == SP500_SECTORS
    data = load_data(config)
    assert data.sectors["HPE"] == data.sectors["AAPL"] == "Information Technology"
    fwd, bench = data.labels.fwd_return, data.labels.benchmark
    aapl, msft, hpe, xom, cvx = (data.tickers.index(t) for t in ("AAPL", "MSFT", "HPE", "XOM", "CVX"))
    energy = np.isfinite(fwd[:, xom])
    np.testing.assert_allclose(bench[energy, cvx], (fwd[energy, xom] + fwd[energy, cvx]) / 2, rtol=1e-9)
    # HPE lists on 2015-10-19: before, the tech mean is AAPL's and MSFT's; after, all three's.
    before = np.isfinite(fwd[:, aapl]) & ~np.isfinite(fwd[:, hpe])
    after = np.isfinite(fwd[:, hpe])
    assert before.sum() > 150 and after.sum() > 40
    np.testing.assert_allclose(bench[before, aapl], (fwd[before, aapl] + fwd[before, msft]) / 2, rtol=1e-9)
    np.testing.assert_allclose(bench[after, aapl], (fwd[after, aapl] + fwd[after, msft] + fwd[after, hpe]) / 3,
                               rtol=1e-9)
