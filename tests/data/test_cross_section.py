"""Cross-sectional features: each day's rank / z-score across the tickers present that day, and the
present universe's own return and volatility. Only same-day and past present tickers may count."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from stgnn.config import FeatureConfig
from stgnn.data.features import MARKET_VOL_WINDOW, compute_features
from stgnn.data.panel import build_panel

N_DAYS = 150
D_HOLE = (100, 120)  # D is absent these days
E_LISTS = 60

OPTIONS = [FeatureConfig(cross_section="rank"), FeatureConfig(cross_section="zscore"),
           FeatureConfig(cross_section="rank", market=True), FeatureConfig(cross_section="zscore", market=True),
           FeatureConfig(market=True)]


def _name(config: FeatureConfig) -> str:
    return f"{config.cross_section}-market" if config.market else config.cross_section


def _fields(n_tickers=5, seed=0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2024-01-01", periods=N_DAYS)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (N_DAYS, 1)) + rng.normal(0, 0.02, (N_DAYS, n_tickers)), 0))
    fields = {"close": close,
              "high": close * np.exp(np.abs(rng.normal(0, 0.01, close.shape))),
              "low": close * np.exp(-np.abs(rng.normal(0, 0.01, close.shape))),
              "volume": rng.integers(1, 10**6, close.shape).astype(float)}
    return {name: pd.DataFrame(v, index=idx, columns=list("ABCDE")[:n_tickers]) for name, v in fields.items()}


def _ragged(fields):
    fields = {name: frame.copy() for name, frame in fields.items()}
    for frame in fields.values():
        frame.iloc[D_HOLE[0]:D_HOLE[1], 3] = np.nan
        frame.iloc[:E_LISTS, 4] = np.nan
    return fields


def _panel(fields):
    return build_panel(fields, origin="toy", min_history=2, max_ffill=0)  # every missing day absent


@pytest.fixture(scope="module")
def ragged():
    return _panel(_ragged(_fields()))


@pytest.fixture(scope="module")
def raw(ragged):
    return compute_features(ragged)


@pytest.mark.parametrize("day", [30, 70, 110, N_DAYS - 1])
def test_each_day_is_ranked_and_scored_among_its_present_tickers(ragged, raw, day):
    ranked = compute_features(ragged, FeatureConfig(cross_section="rank")).values[day]
    scored = compute_features(ragged, FeatureConfig(cross_section="zscore")).values[day]
    assert ranked.shape == scored.shape == raw.values[day].shape
    for f, name in enumerate(raw.names):
        x = raw.values[day, :, f].astype(np.float64)
        have = np.isfinite(x)
        np.testing.assert_array_equal(np.isnan(ranked[:, f]), ~have, err_msg=name)
        np.testing.assert_array_equal(np.isnan(scored[:, f]), ~have, err_msg=name)
        if have.sum() < 2:
            continue
        v = x[have]
        np.testing.assert_allclose(ranked[have, f], 2 * (rankdata(v) - 1) / (v.size - 1) - 1, atol=1e-6,
                                   err_msg=name)
        expected = (v - v.mean()) / v.std() if v.std() > 0 else np.zeros_like(v)
        np.testing.assert_allclose(scored[have, f], expected, rtol=1e-4, atol=1e-5, err_msg=name)
    if day in range(*D_HOLE):
        assert np.isnan(ranked[3]).all() and np.isnan(scored[3]).all()


def test_rank_spans_minus_one_to_one_and_zscore_is_standard(ragged):
    for method in ("rank", "zscore"):
        values = compute_features(ragged, FeatureConfig(cross_section=method)).values[60:].astype(np.float64)
        finite = np.isfinite(values)
        mean = np.nansum(values, axis=1) / finite.sum(axis=1)
        np.testing.assert_allclose(mean[finite.sum(axis=1) >= 2], 0.0, atol=1e-6)
        if method == "rank":
            assert np.nanmin(values) == -1.0 and np.nanmax(values) == 1.0
        else:
            spread = np.sqrt(np.nansum(values ** 2, axis=1) / finite.sum(axis=1))
            assert np.all(np.isclose(spread, 1.0, atol=1e-5) | np.isclose(spread, 0.0))


@pytest.mark.parametrize("method", ["rank", "zscore"])
def test_a_day_with_one_present_ticker_gives_zero(method):
    fields = {name: frame.iloc[:, :2] for name, frame in _fields().items()}
    for frame in fields.values():
        frame.iloc[D_HOLE[0]:D_HOLE[1], 1] = np.nan
    values = compute_features(_panel(fields), FeatureConfig(cross_section=method)).values
    alone = values[D_HOLE[0]:D_HOLE[1]]
    assert np.isnan(alone[:, 1]).all()
    assert (alone[:, 0][np.isfinite(alone[:, 0])] == 0.0).all() and np.isfinite(alone[:, 0]).sum() > 100


@pytest.mark.parametrize("config", OPTIONS, ids=_name)
def test_a_ticker_changes_nothing_on_the_days_it_is_absent(config):
    """E trades on days 60-89 only: the others' features on its absent days are those of a panel
    without E (the market's volatility, a 20-day statistic, forgets E 20 days after it leaves)."""
    fields = _fields()
    for frame in fields.values():
        frame.iloc[90:, 4] = np.nan
    with_e = compute_features(_panel(_ragged(fields)), config).values
    without = compute_features(_panel({n: f.iloc[:, :4] for n, f in _ragged(fields).items()}), config).values
    absent = np.r_[:E_LISTS, 90 + MARKET_VOL_WINDOW:N_DAYS]
    np.testing.assert_array_equal(with_e[absent, :4], without[absent])
    assert np.isnan(with_e[absent, 4]).all()
    assert not np.array_equal(with_e[E_LISTS + 1:90, :4], without[E_LISTS + 1:90], equal_nan=True)


@pytest.mark.parametrize("config", OPTIONS, ids=_name)
@pytest.mark.parametrize("t", [45, 105, 130])
def test_the_future_changes_nothing(config, t):
    fields = _ragged(_fields())
    before = compute_features(_panel(fields), config).values
    rng = np.random.default_rng(t)
    rewritten = {}
    for name, frame in fields.items():
        frame = frame.copy()
        future = frame.iloc[t + 1:] * rng.lognormal(0.0, 1.0, frame.iloc[t + 1:].shape)
        frame.iloc[t + 1:] = np.round(future) + 1 if name == "volume" else future
        rewritten[name] = frame
    rewritten["high"] = np.maximum(rewritten["high"], rewritten["close"])
    rewritten["low"] = np.minimum(rewritten["low"], rewritten["close"])
    np.testing.assert_array_equal(compute_features(_panel(rewritten), config).values[: t + 1], before[: t + 1])


def test_market_features_are_the_present_universes_return_and_volatility(ragged, raw):
    fs = compute_features(ragged, FeatureConfig(market=True))
    assert fs.names == [*raw.names, "market_ret_1", f"market_vol_{MARKET_VOL_WINDOW}"]
    np.testing.assert_array_equal(fs.values[..., :-2], raw.values)  # per-ticker features untouched
    present = ragged.present.to_numpy()
    market = fs.values[..., -2:]
    assert np.isnan(market[~present]).all()
    ret1 = raw.values[..., raw.names.index("ret_1")].astype(np.float64)
    counted = np.isfinite(ret1)
    expected = np.where(counted, ret1, 0).sum(axis=1) / np.maximum(counted.sum(axis=1), 1)
    for day in range(1, N_DAYS):
        values = market[day, present[day]]
        np.testing.assert_array_equal(values, np.broadcast_to(values[0], values.shape))  # same for all present
        assert values[0, 0] == pytest.approx(expected[day], rel=1e-5, abs=1e-8)
    shared = market[:, 0]  # A is present every day
    assert np.isnan(shared[:MARKET_VOL_WINDOW, 1]).all() and np.isfinite(shared[MARKET_VOL_WINDOW:]).all()
    np.testing.assert_allclose(shared[MARKET_VOL_WINDOW:, 1],
                               pd.Series(expected[1:]).rolling(MARKET_VOL_WINDOW).std().to_numpy()[
                                   MARKET_VOL_WINDOW - 1:], rtol=1e-4)
    # A cross-section leaves the shared market columns as they are.
    ranked = compute_features(ragged, FeatureConfig(cross_section="rank", market=True)).values
    np.testing.assert_array_equal(ranked[..., -2:], market)


def test_default_options_leave_the_features_raw(ragged, raw):
    np.testing.assert_array_equal(compute_features(ragged, FeatureConfig(cross_section="none", market=False)).values,
                                  raw.values)
