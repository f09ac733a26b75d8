import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

from stgnn.evaluation.backtest import (BOOKS, PORTFOLIOS, BacktestResult, backtest, beta_alpha, equal_weights,
                                       long_short_weights, max_drawdown, performance_stats, rank_weights,
                                       stat_intervals)

UP, NONE, DOWN = 2, 1, 0


def frame(preds, rets, tickers="ABC", dates=("d1", "d2")):
    """Rows date-major: all tickers of d1, then of d2, ..."""
    return pd.DataFrame({"date": np.repeat(dates, len(tickers)), "ticker": list(tickers) * len(dates),
                         "pred": preds, "fwd_return": rets, "p_up": 0.4, "p_none": 0.3, "p_down": 0.3})


def simple(log_return):
    return math.exp(log_return) - 1


def test_long_short_hand_case():
    # d1: A Up, B Down, C None -> weights (+0.5, -0.5, 0)
    # d2: A Up, B Up, C Down  -> weights (+0.25, +0.25, -0.5)
    f = frame([UP, DOWN, NONE, UP, UP, DOWN], [0.02, -0.01, 0.05, 0.01, 0.03, -0.02])
    res = backtest(f, cost_bps=0)
    assert isinstance(res, BacktestResult)
    np.testing.assert_allclose(res.weights.to_numpy(), [[0.5, -0.5, 0.0], [0.25, 0.25, -0.5]])
    day1 = 0.5 * simple(0.02) - 0.5 * simple(-0.01)
    day2 = 0.25 * simple(0.01) + 0.25 * simple(0.03) - 0.5 * simple(-0.02)
    np.testing.assert_allclose(res.returns["strategy"], [day1, day2])
    np.testing.assert_allclose(res.equity["strategy"], [1 + day1, (1 + day1) * (1 + day2)])
    assert list(res.returns.index) == ["d1", "d2"] and list(res.returns.columns) == ["strategy", "rank", "equal_weight"]
    assert list(res.equity.columns) == list(res.turnover.columns) == list(PORTFOLIOS)


def test_unhedged_a_lone_side_gets_the_full_gross_and_no_calls_is_flat():
    # d1: only longs (A, B); d2: only a short (C); d3: no calls
    f = frame([UP, UP, NONE, NONE, NONE, DOWN, NONE, NONE, NONE], [0.02, 0.04, 0.0, 0.01, 0.01, 0.03, 0.1, 0.1, 0.1],
              dates=("d1", "d2", "d3"))
    res = backtest(f, cost_bps=0, book="unhedged")
    np.testing.assert_allclose(res.weights.to_numpy(), [[0.5, 0.5, 0], [0, 0, -1.0], [0, 0, 0]])
    np.testing.assert_allclose(res.returns["strategy"], [0.5 * simple(0.02) + 0.5 * simple(0.04), -simple(0.03), 0.0])
    np.testing.assert_allclose(res.turnover["strategy"], [1.0, 2.0, 1.0])  # enter, switch sides, exit
    assert res.stats["book"] == "unhedged"


def test_dollar_neutral_hedges_a_lone_side_with_the_universe_by_hand():
    # d1: only A called, Up: A +0.5, and the universe A, B, C, D short at -0.5 / 4 each
    # d2: only C called, Down, D untradeable: C -0.5, the universe A, B, C long at +0.5 / 3 each
    # d3: A and B Up, both short-hedged by A, B, C: they net to +0.25 - 1/6 each
    # d4: no calls: flat
    f = frame([UP, NONE, NONE, NONE, NONE, NONE, DOWN, UP, UP, UP, NONE, NONE, NONE, NONE, NONE, NONE],
              [0.02, 0.01, -0.01, 0.0, 0.01, 0.02, -0.03, np.nan, 0.01, 0.02, 0.03, np.nan, 0.0, 0.0, 0.0, 0.0],
              tickers="ABCD", dates=("d1", "d2", "d3", "d4"))
    res = backtest(f, cost_bps=0)
    expected = np.array([[0.5 - 0.125, -0.125, -0.125, -0.125],
                         [1 / 6, 1 / 6, -0.5 + 1 / 6, 0.0],
                         [0.25 - 1 / 6, 0.25 - 1 / 6, -1 / 6, 0.0],
                         [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(res.weights.to_numpy(), expected)
    np.testing.assert_allclose(res.weights.sum(axis=1), 0.0, atol=1e-15)
    d1 = 0.5 * simple(0.02) - 0.5 * np.mean([simple(r) for r in (0.02, 0.01, -0.01, 0.0)])
    d2 = -0.5 * simple(-0.03) + 0.5 * np.mean([simple(r) for r in (0.01, 0.02, -0.03)])
    d3 = 0.25 * (simple(0.01) + simple(0.02)) - 0.5 * np.mean([simple(r) for r in (0.01, 0.02, 0.03)])
    np.testing.assert_allclose(res.returns["strategy"], [d1, d2, d3, 0.0])
    assert res.stats["book"] == "dollar_neutral"
    # the hedge nets out entirely when every tradeable ticker is called on the lone side
    pred = pd.DataFrame({"A": [DOWN], "B": [DOWN], "C": [UP]})
    ok = pd.DataFrame({"A": [True], "B": [True], "C": [False]})
    np.testing.assert_allclose(long_short_weights(pred, ok).to_numpy(), [[0.0, 0.0, 0.0]])


def _rising_market(n_dates=120, n_tickers=300, seed=0):
    """A market that rises 1% a day on average with random Up calls (no skill): 30% of tickers a day."""
    rng = np.random.default_rng(seed)
    market = 0.01 + 0.02 * rng.standard_normal(n_dates)
    rets = market[:, None] + 0.02 * rng.standard_normal((n_dates, n_tickers))
    pred = np.where(rng.uniform(size=(n_dates, n_tickers)) < 0.3, UP, NONE)
    p_up, p_down = rng.uniform(0, 0.5, size=(2, n_dates * n_tickers))  # scores without skill
    dates = [f"d{i:03d}" for i in range(n_dates)]
    tickers = [f"T{i:03d}" for i in range(n_tickers)]
    return pd.DataFrame({"date": np.repeat(dates, n_tickers), "ticker": tickers * n_dates,
                         "pred": pred.ravel(), "p_up": p_up, "p_down": p_down, "fwd_return": rets.ravel()})


def test_random_up_calls_in_a_rising_market_earn_beta_unhedged_and_nothing_dollar_neutral():
    f = _rising_market()
    unhedged = backtest(f, cost_bps=0, book="unhedged")
    neutral = backtest(f, cost_bps=0)
    # unhedged: net long 1.0 every day, so it rides the market
    np.testing.assert_allclose(unhedged.weights.sum(axis=1), 1.0)
    assert unhedged.stats["strategy"]["annual_return"] > 1.0 and unhedged.stats["strategy"]["beta"] > 0.9
    # dollar-neutral: net zero every day and beta ~0, so it earns ~nothing
    np.testing.assert_allclose(neutral.weights.sum(axis=1), 0.0, atol=1e-12)
    s = neutral.stats["strategy"]
    assert abs(s["beta"]) < 0.05 and abs(s["annual_return"]) < 0.1
    # net of beta, neither book has skill to show
    assert abs(s["alpha_annual"]) < 0.1 and abs(unhedged.stats["strategy"]["alpha_annual"]) < 0.1
    ci = stat_intervals(neutral, block_days=5, n_boot=200)["strategy"]
    assert ci["sharpe"]["lo"] < 0 < ci["sharpe"]["hi"] and ci["alpha"]["lo"] < 0 < ci["alpha"]["hi"]


def test_beta_and_alpha_on_a_series_with_known_beta():
    rng = np.random.default_rng(3)
    market = rng.normal(0.001, 0.01, size=250)
    noise = rng.normal(0, 0.005, size=250)
    design = np.column_stack([np.ones(250), market])
    noise -= design @ np.linalg.lstsq(design, noise, rcond=None)[0]  # uncorrelated with the market, mean 0
    r = 0.0004 + 0.3 * market + noise
    beta, alpha = beta_alpha(r, market, 252)
    assert beta == pytest.approx(0.3) and alpha == pytest.approx(0.0004 * 252)
    stacked = beta_alpha(np.stack([r, market]), np.stack([market, market]), 252)  # along the last axis
    np.testing.assert_allclose(stacked[0], [0.3, 1.0])
    np.testing.assert_allclose(stacked[1], [0.0004 * 252, 0.0], atol=1e-12)
    flat = beta_alpha(r, np.full(250, 0.01), 252)  # the market does not move: no slope
    assert math.isnan(flat[0]) and math.isnan(flat[1])


def test_backtest_reports_beta_and_alpha_of_its_returns():
    """Checked against numpy's least-squares line of each book's net returns on the benchmark's:
    slope, and intercept times the 252 / 2 = 126 periods a year of a two-day horizon."""
    f = _rising_market(n_dates=60, n_tickers=50, seed=1)
    for book in BOOKS:
        res = backtest(f, horizon=2, cost_bps=5, book=book)
        for name in ("strategy", "rank"):
            slope, intercept = np.polyfit(res.returns["equal_weight"], res.returns[name], 1)
            assert res.stats[name]["beta"] == pytest.approx(slope)
            assert res.stats[name]["alpha_annual"] == pytest.approx(intercept * 126)
        assert "beta" not in res.stats["equal_weight"]


def test_stat_intervals_resample_periods_in_blocks():
    f = _rising_market(n_dates=90, n_tickers=40, seed=2)
    res = backtest(f, horizon=3, cost_bps=5)
    ci = stat_intervals(res, block_days=20, n_boot=300, seed=4)
    assert set(ci) == {"strategy", "rank", "equal_weight"}
    assert set(ci["strategy"]) == set(ci["rank"]) == {"sharpe", "annual_return", "alpha"}
    assert set(ci["equal_weight"]) == {"sharpe", "annual_return"}
    for name, by_stat in ci.items():
        for stat, c in by_stat.items():
            key = "alpha_annual" if stat == "alpha" else stat
            assert c["value"] == pytest.approx(res.stats[name][key]), (name, stat)
            assert c["lo"] <= c["hi"] and c["n_boot"] == 300
            assert c["block_days"] == 21  # ceil(20 / 3) = 7 periods of 3 days
    assert ci == stat_intervals(res, block_days=20, n_boot=300, seed=4)
    assert ci != stat_intervals(res, block_days=20, n_boot=300, seed=5)
    # The draw itself: each aligned run of 7 periods holds the same 7 rows (all portfolios) in its own
    # order, so resamples of whole aligned 7-period blocks hold exactly the sample's rows and every
    # interval shrinks to its value; single periods, other lengths or moving blocks would open it.
    rows = np.random.default_rng(0).normal(0.001, 0.01, size=(7, len(PORTFOLIOS)))
    shuffled = np.concatenate([np.random.default_rng(k).permutation(rows) for k in range(12)])
    blocky = dataclasses.replace(res, returns=pd.DataFrame(shuffled, columns=list(PORTFOLIOS)))
    for by_stat in stat_intervals(blocky, block_days=20, n_boot=300, seed=4).values():
        for c in by_stat.values():
            assert c["lo"] == pytest.approx(c["value"]) and c["hi"] == pytest.approx(c["value"])
    six = stat_intervals(blocky, block_days=18, n_boot=300, seed=4)  # 6-period blocks cut across the runs
    assert all(c["hi"] - c["lo"] > 0.1 * abs(c["value"]) for by_stat in six.values() for c in by_stat.values())
    # a block is at least two periods, even where block_days is below the horizon
    assert stat_intervals(res, block_days=1, n_boot=10)["strategy"]["sharpe"]["block_days"] == 6
    with pytest.raises(ValueError, match="Expected block_days an integer >= 1, got 0"):
        stat_intervals(res, block_days=0)


def test_cost_reduces_each_period_by_exactly_cost_times_turnover():
    f = frame([UP, DOWN, NONE, UP, UP, DOWN], [0.02, -0.01, 0.05, 0.01, 0.03, -0.02])
    free, costly = backtest(f, cost_bps=0), backtest(f, cost_bps=10)
    # turnover d1: |0.5| + |-0.5| = 1.0; d2: |0.25-0.5| + |0.25+0.5| + |-0.5-0| = 1.5
    np.testing.assert_allclose(costly.turnover["strategy"], [1.0, 1.5])
    np.testing.assert_allclose(free.returns["strategy"] - costly.returns["strategy"], [0.001 * 1.0, 0.001 * 1.5])
    # the benchmark pays its entry once; the universe does not change
    np.testing.assert_allclose(costly.turnover["equal_weight"], [1.0, 0.0])
    np.testing.assert_allclose(free.returns["equal_weight"] - costly.returns["equal_weight"], [0.001, 0.0])
    assert costly.stats["strategy"]["avg_turnover"] == pytest.approx(1.25)
    assert costly.stats["cost_bps"] == 10.0
    # the rank book pays the same cost on its own turnover
    ranked = f.assign(p_up=[0.9, 0.1, 0.5, 0.1, 0.5, 0.9])  # one a side: A/B long/short, then C/A
    free, costly = backtest(ranked, cost_bps=0, rank_quantile=0.2), backtest(ranked, cost_bps=10, rank_quantile=0.2)
    np.testing.assert_allclose(costly.turnover["rank"], [1.0, 2.0])
    np.testing.assert_allclose(free.returns["rank"] - costly.returns["rank"], [0.001 * 1.0, 0.001 * 2.0])


def test_equal_weight_benchmark_hand_case():
    f = frame([NONE] * 6, [0.1, -0.1, 0.0, -0.2, 0.0, 0.3])
    res = backtest(f, cost_bps=0)
    expected = [(simple(0.1) + simple(-0.1)) / 3, (simple(-0.2) + simple(0.3)) / 3]
    np.testing.assert_allclose(res.returns["equal_weight"], expected)
    np.testing.assert_allclose(res.equity["equal_weight"], np.cumprod(1 + np.array(expected)))


def test_horizon_two_uses_every_other_date():
    dates = ("d1", "d2", "d3", "d4", "d5")
    rets = [0.01, -0.01, 0.02, 0.5, 0.5, 0.5, 0.03, 0.04, -0.03, 0.5, 0.5, 0.5, -0.02, 0.01, 0.0]
    f = frame([UP, DOWN, NONE] * 5, rets, dates=dates)
    res = backtest(f, horizon=2, cost_bps=0)
    assert list(res.returns.index) == ["d1", "d3", "d5"]
    np.testing.assert_allclose(res.returns["strategy"],
                               [0.5 * simple(r_up) - 0.5 * simple(r_down)
                                for r_up, r_down in ((0.01, -0.01), (0.03, 0.04), (-0.02, 0.01))])
    assert res.stats["periods_per_year"] == 252.0 and res.stats["horizon"] == 2
    growth = float(np.prod(1 + res.returns["strategy"]))
    assert res.stats["strategy"]["annual_return"] == pytest.approx(growth ** (126 / 3) - 1)


def test_dates_need_not_arrive_sorted():
    f = frame([UP, DOWN, NONE] * 3, [0.01, -0.01, 0.0, 0.02, 0.0, 0.0, 0.03, 0.0, 0.0], dates=("d3", "d1", "d2"))
    res = backtest(f.sample(frac=1.0, random_state=0), horizon=2, cost_bps=0)
    assert list(res.returns.index) == ["d1", "d3"]
    np.testing.assert_allclose(res.returns["strategy"], [0.5 * simple(0.02), 0.5 * simple(0.01) - 0.5 * simple(-0.01)])


def test_no_calls_at_all_is_flat_with_undefined_sharpe():
    f = frame([NONE] * 6, [0.01, 0.02, -0.01, 0.03, 0.0, 0.01])
    s = backtest(f).stats["strategy"]
    assert backtest(f).returns["strategy"].tolist() == [0.0, 0.0]
    assert math.isnan(s["sharpe"]) and s["annual_volatility"] == 0.0
    assert (s["annual_return"], s["max_drawdown"], s["hit_rate"], s["avg_turnover"], s["n_calls"]) == (0.0, 0.0, 0.0, 0.0, 0)
    assert math.isnan(s["call_hit_rate"])


def test_untradeable_rows_get_no_weight_and_an_unknown_date_is_left_out():
    # d1: C has no forward return, so B (Down) and A (Up) keep +-0.5 and C is out of the benchmark;
    # d2: nothing is known: no period; d3: A is Up, B is untradeable although called Down: A's 0.5 is
    # hedged with the tradeable universe A, C at -0.25 each.
    f = frame([UP, DOWN, UP, UP, DOWN, NONE, UP, DOWN, NONE],
              [0.01, -0.02, np.nan, np.nan, np.nan, np.nan, 0.03, np.nan, 0.0], dates=("d1", "d2", "d3"))
    res = backtest(f, cost_bps=0)
    assert list(res.returns.index) == ["d1", "d3"]
    np.testing.assert_allclose(res.weights.to_numpy(), [[0.5, -0.5, 0.0], [0.25, 0.0, -0.25]])
    np.testing.assert_allclose(res.returns["equal_weight"], [(simple(0.01) + simple(-0.02)) / 2, simple(0.03) / 2])
    np.testing.assert_allclose(res.turnover["strategy"], [1.0, 1.0])  # from the weights held before d2
    assert res.stats["n_untradeable"] == 5 and res.stats["strategy"]["n_calls"] == 3


def test_call_hit_rate_counts_traded_calls_and_skips_zero_returns():
    # Up +1% right, Down +1% wrong, Up -1% wrong, Down -2% right, Up 0% neither, None ignored
    f = frame([UP, DOWN, NONE, UP, DOWN, UP], [0.01, 0.01, 0.05, -0.01, -0.02, 0.0])
    s = backtest(f).stats["strategy"]
    assert s["call_hit_rate"] == 0.5 and s["n_calls"] == 5


def test_max_drawdown_on_known_paths():
    assert max_drawdown([0.1, -0.5, 0.2]) == pytest.approx(-0.5)  # 1 -> 1.1 -> 0.55 -> 0.66
    assert max_drawdown([0.2, -0.1, -0.1, 0.5]) == pytest.approx(0.972 / 1.2 - 1)  # 1.2 -> 1.08 -> 0.972
    assert max_drawdown([-0.2, 0.5]) == pytest.approx(-0.2)  # the start counts as a peak
    assert max_drawdown([0.1, 0.0, 0.3]) == 0.0
    f = frame([NONE] * 6, [0.1, -0.1, 0.0, -0.2, 0.0, 0.0])
    res = backtest(f, cost_bps=0)
    r = res.returns["equal_weight"].to_numpy()
    assert res.stats["equal_weight"]["max_drawdown"] == pytest.approx(r[1])  # first period up, second down


def test_stats_formulae():
    r = pd.Series([0.1, -0.05, 0.02, 0.03])
    s = performance_stats(r, pd.Series([1.0, 0.5, 0.5, 0.0]), periods_per_year=12)
    assert s["annual_return"] == pytest.approx((1.1 * 0.95 * 1.02 * 1.03) ** 3 - 1)
    assert s["annual_volatility"] == pytest.approx(r.std(ddof=1) * math.sqrt(12))
    assert s["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(12))
    assert (s["hit_rate"], s["avg_turnover"], s["n_periods"]) == (0.75, 0.5, 4)
    assert s["total_return"] == pytest.approx(1.1 * 0.95 * 1.02 * 1.03 - 1)
    constant = performance_stats(pd.Series([0.01] * 5), pd.Series([0.0] * 5), periods_per_year=252)
    assert math.isnan(constant["sharpe"]) and constant["annual_volatility"] == 0.0
    one = performance_stats(pd.Series([0.01]), pd.Series([1.0]), periods_per_year=252)
    assert math.isnan(one["sharpe"]) and math.isnan(one["annual_volatility"])
    assert performance_stats(pd.Series([-1.5, 0.1]), pd.Series([1.0, 0.0]), periods_per_year=252)["annual_return"] == -1.0


def test_stats_are_plain_json_numbers():
    f = frame([UP, DOWN, NONE, UP, UP, DOWN], [0.02, -0.01, 0.05, 0.01, 0.03, -0.02])
    stats = backtest(f).stats
    assert set(stats) == {"strategy", "rank", "equal_weight", "book", "rank_quantile", "horizon", "cost_bps",
                          "periods_per_year", "n_untradeable"}
    for name in PORTFOLIOS:
        assert all(type(v) in (float, int) for v in stats[name].values()), stats[name]
    back = json.loads(json.dumps(stats))
    assert back["strategy"]["n_periods"] == back["rank"]["n_periods"] == 2 and back["rank_quantile"] == 0.1
    common = {"annual_return", "annual_volatility", "sharpe", "max_drawdown", "avg_turnover", "hit_rate", "n_periods"}
    assert common | {"call_hit_rate", "beta", "alpha_annual"} <= set(stats["strategy"])
    assert set(stats["rank"]) == common | {"total_return", "beta", "alpha_annual"}
    assert set(stats["equal_weight"]) == common | {"total_return"}


def test_weight_helpers():
    pred = pd.DataFrame({"A": [UP, DOWN], "B": [DOWN, DOWN], "C": [DOWN, UP]})
    ok = pd.DataFrame({"A": [True, True], "B": [True, True], "C": [True, False]})
    np.testing.assert_allclose(long_short_weights(pred, ok, book="unhedged").to_numpy(),
                               [[0.5, -0.25, -0.25], [-0.5, -0.5, 0.0]])
    np.testing.assert_allclose(long_short_weights(pred, ok).to_numpy(), [[0.5, -0.25, -0.25], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(equal_weights(ok).to_numpy(), [[1 / 3] * 3, [0.5, 0.5, 0.0]])


@pytest.mark.parametrize(("change", "kwargs", "message"), [
    (lambda f: f.drop(columns="fwd_return"), {}, r"missing \['fwd_return'\]"),
    (lambda f: f.iloc[:0], {}, "Expected at least one prediction row, got 0"),
    (lambda f: f.assign(pred=[3, 1, 1, 1, 1, 1]), {}, r"Expected pred in \{0, 1, 2\}"),
    (lambda f: f.assign(fwd_return=[0.0, np.inf, 0, 0, 0, 0]), {}, "got inf in row 1"),
    (lambda f: f.assign(ticker=["A", "A", "C"] * 2), {}, r"got \(d1, A\) more than once"),
    (lambda f: f.assign(fwd_return=np.nan), {}, "Expected a forward return on some rebalance date"),
    (lambda f: f, {"horizon": 0}, "Expected horizon to be an integer >= 1, got 0"),
    (lambda f: f, {"cost_bps": -1.0}, "Expected cost_bps >= 0, got -1.0"),
    (lambda f: f, {"periods_per_year": 0}, "Expected periods_per_year > 0, got 0"),
    (lambda f: f, {"book": "levered"}, r"Expected book in \['dollar_neutral', 'unhedged'\], got 'levered'"),
    (lambda f: f.drop(columns="p_up"), {}, r"missing \['p_up'\]"),
    (lambda f: f, {"rank_quantile": 0.0}, r"Expected rank_quantile in \(0, 0.5\], got 0.0"),
    (lambda f: f, {"rank_quantile": 0.6}, r"Expected rank_quantile in \(0, 0.5\], got 0.6"),
])
def test_bad_input_is_refused(change, kwargs, message):
    f = frame([UP, DOWN, NONE, UP, UP, DOWN], [0.02, -0.01, 0.05, 0.01, 0.03, -0.02])
    with pytest.raises(ValueError, match=message):
        backtest(change(f), **kwargs)


# --- the rank book: top / bottom quantile by p_up - p_down -----------------------------------------


def scored(scores, rets, tickers="ABCDE", dates=("d1", "d2")):
    """A frame whose p_up - p_down is ``scores`` (the calls are all None: the rank book ignores them)."""
    s = np.asarray(scores, dtype=float)
    return frame([NONE] * len(s), rets, tickers=tickers, dates=dates).assign(p_up=(1 + s) / 2, p_down=(1 - s) / 2)


def test_rank_book_hand_case():
    # d1: five names, a fifth a side: A (0.5) long, C (-0.4) short.
    # d2: E has the best score but no forward return: of the four left, one a side: B long, A short.
    f = scored([0.5, 0.1, -0.4, 0.0, 0.2, -0.3, 0.6, 0.0, 0.0, 0.9],
               [0.02, 0.01, -0.03, 0.0, 0.01, -0.01, 0.04, 0.02, 0.0, np.nan])
    res = backtest(f, cost_bps=0, rank_quantile=0.2)
    np.testing.assert_allclose(res.rank_weights.to_numpy(), [[0.5, 0, -0.5, 0, 0], [-0.5, 0.5, 0, 0, 0]])
    np.testing.assert_allclose(res.returns["rank"], [0.5 * simple(0.02) - 0.5 * simple(-0.03),
                                                     0.5 * simple(0.04) - 0.5 * simple(-0.01)])
    np.testing.assert_allclose(res.turnover["rank"], [1.0, 2.0])
    np.testing.assert_allclose(res.weights.to_numpy(), 0.0)  # no calls: the calls book is flat meanwhile
    # ten names and the default decile: one a side; a fifth: two a side at 0.25
    score = pd.DataFrame([np.arange(10.0)], columns=list("ABCDEFGHIJ"))
    ok = score.notna()
    np.testing.assert_allclose(rank_weights(score, ok).to_numpy(), [[-0.5] + [0] * 8 + [0.5]])
    np.testing.assert_allclose(rank_weights(score, ok, quantile=0.2).to_numpy(), [[-0.25] * 2 + [0] * 6 + [0.25] * 2])


def test_rank_book_with_few_names():
    # fewer than 1 / quantile names: still one a side; one name or none: flat
    score = pd.DataFrame({"A": [0.3, 0.3, np.nan], "B": [0.1, np.nan, np.nan], "C": [-0.2, -0.1, 0.2]})
    ok = pd.DataFrame({"A": [True, True, True], "B": [True, True, True], "C": [True, False, True]})
    np.testing.assert_allclose(rank_weights(score, ok).to_numpy(), [[0.5, 0, -0.5], [0, 0, 0], [0, 0, 0]])
    # a name without a score sits out of the rank book only
    two = pd.DataFrame({"A": [0.3], "B": [np.nan], "C": [-0.2]})
    everywhere = pd.DataFrame(True, index=two.index, columns=two.columns)
    np.testing.assert_allclose(rank_weights(two, everywhere).to_numpy(), [[0.5, 0, -0.5]])
    # 0.29 * 100 is 28.999999999999996 in floating point, and still 29 names a side
    hundred = pd.DataFrame([np.arange(100.0)])
    assert (rank_weights(hundred, hundred.notna(), quantile=0.29).to_numpy() > 0).sum() == 29


def test_rank_ties_at_the_cut_share_the_slots_left():
    cols = list("ABCDEFGHIJ")
    score = pd.DataFrame([[0.9, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, -0.2, -0.3],  # three tie for one long slot
                          [0.4, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.1],  # a tie spanning both cuts
                          [0.2] * 10],  # all tied: nothing to rank
                         columns=cols)
    w = rank_weights(score, score.notna(), quantile=0.2)
    # row 0: J, I short in full; A long in full, B, C, D share the second long slot: 1/3 of 0.25 each
    np.testing.assert_allclose(w.iloc[0], [0.25, 1 / 12, 1 / 12, 1 / 12, 0, 0, 0, 0, -0.25, -0.25])
    # row 1: J short in full, and the eight zeros share one short slot and one long slot: they net out
    np.testing.assert_allclose(w.iloc[1], [0.25] + [0.0] * 8 + [-0.25], atol=1e-15)
    np.testing.assert_array_equal(w.iloc[2], 0.0)
    np.testing.assert_allclose(w.sum(axis=1), 0.0, atol=1e-15)
    assert w.iloc[0].clip(lower=0).sum() == pytest.approx(0.5)  # each side holds 0.5, the tied slot shared
    # the rule reads the scores only: the order (and names) of the columns does not matter
    order = list(np.random.default_rng(0).permutation(cols))
    pd.testing.assert_frame_equal(rank_weights(score[order], score[order].notna(), quantile=0.2), w[order])


def _cross_section(n_dates=250, n_tickers=200, seed=5):
    rng = np.random.default_rng(seed)
    rets = 0.0005 + 0.02 * rng.standard_normal((n_dates, n_tickers))
    dates = [f"d{i:03d}" for i in range(n_dates)]
    tickers = [f"T{i:03d}" for i in range(n_tickers)]
    return rng, rets, pd.DataFrame({"date": np.repeat(dates, n_tickers), "ticker": tickers * n_dates,
                                    "pred": NONE, "p_down": 0.0, "fwd_return": rets.ravel()})


def test_a_perfect_ranking_earns_and_a_shuffled_one_does_not():
    """Without costs: a random book turns over nearly all of itself every day, and 5 bps of that
    would make the shuffled score lose for sure, which is not what is tested here."""
    rng, rets, f = _cross_section()
    perfect = backtest(f.assign(p_up=rets.ravel()), cost_bps=0)
    shuffled = backtest(f.assign(p_up=rng.permuted(rets, axis=1).ravel()), cost_bps=0)
    # a decile a side: 20 names each; the perfect book earns the spread of the extreme deciles
    assert (perfect.rank_weights.to_numpy() > 0).sum(axis=1).tolist() == [20] * 250
    good, ci_good = perfect.stats["rank"], stat_intervals(perfect, block_days=10, n_boot=200)["rank"]
    assert good["hit_rate"] == 1.0 and ci_good["sharpe"]["lo"] > 0 and ci_good["alpha"]["lo"] > 0
    bad, ci_bad = shuffled.stats["rank"], stat_intervals(shuffled, block_days=10, n_boot=200)["rank"]
    assert ci_bad["sharpe"]["lo"] < 0 < ci_bad["sharpe"]["hi"] and ci_bad["alpha"]["lo"] < 0 < ci_bad["alpha"]["hi"]
    assert bad["annual_return"] < good["annual_return"]
    # dollar neutral every day, whatever the score
    np.testing.assert_allclose(shuffled.rank_weights.sum(axis=1), 0.0, atol=1e-12)
