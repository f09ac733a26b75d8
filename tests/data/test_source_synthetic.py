from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from stgnn.classes import DOWN, NONE, UP
from stgnn.config import DataConfig, LabelConfig, SyntheticConfig
from stgnn.data.dataset import prepare
from stgnn.data.sources import load_panel
from stgnn.data.sources.synthetic import (
    bayes_posterior,
    bayes_unavailable,
    forward_moments,
    load_synthetic,
    make_market,
)

THETA = 0.018
SMALL = SyntheticConfig(n_tickers=6, cluster_size=3, n_days=120, seed=3)


@pytest.fixture(scope="module")
def long_market():
    """20 tickers x 5000 days: enough cells for calibration to within 0.01."""
    return make_market(SyntheticConfig(n_tickers=20, n_days=5000, seed=7))


def _labels(market, horizon, threshold):
    """Down/None/Up of ``log(close[t + h] / close[t])`` for the rows where it is known (all but the last h)."""
    log_close = np.log(market.panel.close.to_numpy())
    fwd = log_close[horizon:] - log_close[:-horizon]
    theta = np.broadcast_to(threshold, log_close.shape)[:-horizon]
    y = np.full(fwd.shape, NONE)
    y[fwd < -theta] = DOWN
    y[fwd > theta] = UP
    return y


def test_same_seed_same_market_other_seed_other_market():
    a, b = make_market(SMALL), make_market(SMALL)
    pd.testing.assert_frame_equal(a.panel.close, b.panel.close)
    np.testing.assert_array_equal(a.posterior(2, THETA), b.posterior(2, THETA))
    c = make_market(SMALL.model_copy(update={"seed": 4}))
    assert not np.allclose(a.panel.close.to_numpy(), c.panel.close.to_numpy())
    assert not np.allclose(a.posterior(2, THETA), c.posterior(2, THETA))


def test_shapes_names_dates_and_matrices():
    market = make_market(SMALL)
    assert market.panel.tickers == ["T000", "T001", "T002", "T003", "T004", "T005"]
    assert market.panel.dates[0] == pd.Timestamp("2000-01-03")
    pd.testing.assert_index_equal(market.panel.dates, pd.bdate_range("2000-01-03", periods=120, name="date"))
    assert market.returns.shape == market.panel.close.shape == (120, 6)
    assert market.posterior(1, THETA).shape == (120, 6, 3)
    assert market.bayes_predictions(1, THETA).shape == (120, 6)
    w, s = SMALL.lead_lag / 2, SMALL.factor_vol**2
    block = np.array([[0, w, w], [w, 0, w], [w, w, 0]])
    np.testing.assert_allclose(market.lead_lag, np.kron(np.eye(2), block))
    np.testing.assert_allclose(market.shock_cov, np.kron(np.eye(2), np.full((3, 3), s)) + SMALL.idio_vol**2 * np.eye(6))
    assert max(abs(np.linalg.eigvals(market.lead_lag))) == pytest.approx(SMALL.lead_lag)
    assert not market.lead_lag.flags.writeable


def test_ticker_names_stay_sortable_past_a_thousand():
    tickers = make_market(SyntheticConfig(n_tickers=1002, cluster_size=2, n_days=100)).panel.tickers
    assert tickers[0] == "T0000" and tickers[-1] == "T1001" and tickers == sorted(tickers)


def test_prices_are_valid_and_follow_the_returns():
    market = make_market(SMALL)
    close = market.panel.close.to_numpy()
    assert np.isfinite(close).all() and (close > 0).all()
    assert market.panel.source == "synthetic(seed=3)" and not market.panel.dropped
    np.testing.assert_allclose(np.diff(np.log(close), axis=0), market.returns.to_numpy()[1:], atol=1e-12)
    np.testing.assert_allclose(close[0], 100 * np.exp(market.returns.to_numpy()[0]))


def test_load_synthetic_validates_with_the_data_config():
    config = DataConfig(source="synthetic", synthetic=SMALL, min_history=30, tickers=["t001", "T004"])
    panel = load_panel(config)
    assert panel.tickers == ["T001", "T004"]
    pd.testing.assert_frame_equal(panel.close, make_market(SMALL).panel.close[["T001", "T004"]])
    assert load_synthetic(DataConfig(source="synthetic", synthetic=SMALL)).eligible.to_numpy().all()


def test_neighbours_are_the_cluster_mates():
    market = make_market(SMALL)
    assert market.neighbours == {
        "T000": ["T001", "T002"], "T001": ["T000", "T002"], "T002": ["T000", "T001"],
        "T003": ["T004", "T005"], "T004": ["T003", "T005"], "T005": ["T003", "T004"],
    }
    for i, ticker in enumerate(market.panel.tickers):
        mates = [market.panel.tickers[j] for j in np.flatnonzero(market.lead_lag[i])]
        assert mates == market.neighbours[ticker]


def test_regression_on_neighbours_recovers_the_lead_lag(long_market):
    r = long_market.returns
    neighbour_mean = np.column_stack([r[long_market.neighbours[t]].mean(axis=1) for t in r.columns])
    x, y = neighbour_mean[:-1].ravel(), r.to_numpy()[1:].ravel()
    slope = np.polyfit(x, y, 1)[0]
    assert slope == pytest.approx(0.6, abs=0.03)
    own = np.polyfit(r.to_numpy()[:-1].ravel(), y, 1)[0]
    assert own < slope / 2  # the signal is in the neighbours, not in the ticker's own past


def test_forward_moments_match_the_dense_formula():
    market = make_market(SMALL)
    b, sigma, h = market.lead_lag, market.shock_cov, 3
    powers = [np.linalg.matrix_power(b, k) for k in range(h + 1)]
    c = [sum(powers[: j + 1]) for j in range(h)]
    mean_map, variance = forward_moments(b, sigma, h)
    np.testing.assert_allclose(mean_map.toarray(), powers[1] + powers[2] + powers[3], atol=1e-15)
    np.testing.assert_allclose(variance, np.diag(sum(cj @ sigma @ cj.T for cj in c)), rtol=1e-12)
    mean_map, variance = forward_moments(b, sigma, 1)
    np.testing.assert_allclose(mean_map.toarray(), b)
    np.testing.assert_allclose(variance, np.diag(sigma))


@pytest.mark.parametrize("horizon", [1, 5])
def test_posterior_is_a_distribution(horizon):
    p = make_market(SMALL).posterior(horizon, THETA)
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-12)


@pytest.mark.parametrize("horizon", [1, 2])
def test_posterior_is_calibrated_on_average(long_market, horizon):
    p = long_market.posterior(horizon, THETA)[:-horizon]
    y = _labels(long_market, horizon, THETA)
    for k in (DOWN, NONE, UP):
        assert p[..., k].mean() == pytest.approx((y == k).mean(), abs=0.01)


def test_posterior_is_calibrated_in_bins(long_market):
    p_up = long_market.posterior(1, THETA)[:-1, :, UP].ravel()
    up = (_labels(long_market, 1, THETA) == UP).ravel()
    bins = np.quantile(p_up, np.linspace(0, 1, 6))
    which = np.clip(np.searchsorted(bins, p_up, side="right") - 1, 0, 4)
    for b in range(5):
        assert p_up[which == b].mean() == pytest.approx(up[which == b].mean(), abs=0.02)
    assert p_up[which == 4].mean() > 2 * p_up[which == 0].mean()  # the bins really differ


def test_posterior_is_calibrated_with_per_cell_thresholds(long_market):
    theta = np.random.default_rng(0).uniform(0.01, 0.03, long_market.returns.shape)  # known at t
    p = long_market.posterior(1, theta)[:-1]
    y = _labels(long_market, 1, theta)
    for k in (DOWN, NONE, UP):
        assert p[..., k].mean() == pytest.approx((y == k).mean(), abs=0.01)


def test_posterior_beats_the_class_frequencies_on_log_loss(long_market):
    p = long_market.posterior(1, THETA)[:-1].reshape(-1, 3)
    y = _labels(long_market, 1, THETA).ravel()
    prior = np.bincount(y, minlength=3) / len(y)
    bayes_loss = -np.log(p[np.arange(len(y)), y]).mean()
    prior_loss = -np.log(prior[y]).mean()
    assert bayes_loss < prior_loss - 0.01
    assert (long_market.bayes_predictions(1, THETA)[:-1].ravel() == y).mean() > prior.max()


def test_scalar_and_constant_array_thresholds_agree():
    market = make_market(SMALL)
    constant = np.full(market.returns.shape, THETA)
    np.testing.assert_array_equal(market.posterior(2, THETA), market.posterior(2, constant))
    np.testing.assert_array_equal(market.bayes_predictions(2, THETA), market.bayes_predictions(2, constant))


def test_nan_threshold_gives_nan_probabilities():
    market = make_market(SMALL)
    theta = np.full(market.returns.shape, THETA)
    theta[:20] = np.nan  # e.g. a vol-scaled threshold before its window fills
    p = market.posterior(1, theta)
    assert np.isnan(p[:20]).all() and np.isfinite(p[20:]).all()


def test_posterior_refuses_bad_arguments():
    market = make_market(SMALL)
    with pytest.raises(ValueError, match=r"Expected horizon >= 1, got 0"):
        market.posterior(0, THETA)
    with pytest.raises(ValueError, match=r"shape \(120, 6\), got shape \(120, 5\)"):
        market.posterior(1, np.full((120, 5), THETA))
    with pytest.raises(ValueError, match="Expected threshold >= 0, got -0.01"):
        market.posterior(1, -0.01)


def _prepared(labels=None, synthetic=SMALL, **data):
    config = DataConfig(source="synthetic", synthetic=synthetic, **data)
    labels = labels or LabelConfig(threshold=THETA, horizon=2)
    return config, prepare(load_panel(config), labels=labels, window=5)


def test_bayes_posterior_of_a_run_is_the_markets_from_its_own_prices():
    config, data = _prepared()
    posterior = bayes_posterior(config, data)
    expected = make_market(SMALL).posterior(2, THETA)
    assert np.isnan(posterior[0]).all()  # the first day has no return in the prices
    np.testing.assert_allclose(posterior[1:], expected[1:], rtol=0, atol=1e-9)


def test_bayes_posterior_of_a_day_reads_no_later_price():
    config, data = _prepared()
    close = data.panel.close.copy()
    close.iloc[60:] *= 1.5
    later = prepare(replace(data.panel, close=close), labels=data.label_config, window=5)
    a, b = bayes_posterior(config, data), bayes_posterior(config, later)
    np.testing.assert_array_equal(a[:60], b[:60])
    assert not np.allclose(a[60], b[60])


@pytest.mark.parametrize("labels, data, why", [
    ({"kind": "quantile"}, {}, "quantile labels"),
    ({"relative_to": "universe"}, {}, "relative to the universe"),
    ({"delay": 1}, {}, "delayed by 1 day"),
    ({}, {"tickers": ["T000", "T001", "T002"]}, "a subset of the market's tickers"),
])
def test_bayes_posterior_only_where_it_is_exact(labels, data, why):
    config, prepared = _prepared(LabelConfig(threshold=THETA, **labels), **data)
    assert why in bayes_unavailable(config, prepared) and bayes_posterior(config, prepared) is None
    _, exact = _prepared(LabelConfig(threshold=THETA, vol_scaled=True))
    assert bayes_unavailable(config.model_copy(update={"source": "sample"}), exact).startswith("the sample source")
    assert bayes_unavailable(config, exact) is None
