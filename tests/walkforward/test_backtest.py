import json
import math

import numpy as np
import pandas as pd
import pytest

from stgnn.walkforward.backtest import (
    BacktestResult,
    backtest,
    equal_weights,
    long_short_weights,
    max_drawdown,
    performance_stats,
)

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
    assert list(res.returns.index) == ["d1", "d2"] and list(res.returns.columns) == ["strategy", "equal_weight"]


def test_a_lone_side_gets_the_full_gross_and_no_calls_is_flat():
    # d1: only longs (A, B); d2: only a short (C); d3: no calls
    f = frame([UP, UP, NONE, NONE, NONE, DOWN, NONE, NONE, NONE], [0.02, 0.04, 0.0, 0.01, 0.01, 0.03, 0.1, 0.1, 0.1],
              dates=("d1", "d2", "d3"))
    res = backtest(f, cost_bps=0)
    np.testing.assert_allclose(res.weights.to_numpy(), [[0.5, 0.5, 0], [0, 0, -1.0], [0, 0, 0]])
    np.testing.assert_allclose(res.returns["strategy"], [0.5 * simple(0.02) + 0.5 * simple(0.04), -simple(0.03), 0.0])
    np.testing.assert_allclose(res.turnover["strategy"], [1.0, 2.0, 1.0])  # enter, switch sides, exit


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
    # d2: nothing is known: no period; d3: A is Up, B is untradeable although called Down: A gets 1.0.
    f = frame([UP, DOWN, UP, UP, DOWN, NONE, UP, DOWN, NONE],
              [0.01, -0.02, np.nan, np.nan, np.nan, np.nan, 0.03, np.nan, 0.0], dates=("d1", "d2", "d3"))
    res = backtest(f, cost_bps=0)
    assert list(res.returns.index) == ["d1", "d3"]
    np.testing.assert_allclose(res.weights.to_numpy(), [[0.5, -0.5, 0.0], [1.0, 0.0, 0.0]])
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
    assert set(stats) == {"strategy", "equal_weight", "horizon", "cost_bps", "periods_per_year", "n_untradeable"}
    for name in ("strategy", "equal_weight"):
        assert all(type(v) in (float, int) for v in stats[name].values()), stats[name]
    assert json.loads(json.dumps(stats))["strategy"]["n_periods"] == 2
    assert {"annual_return", "annual_volatility", "sharpe", "max_drawdown", "avg_turnover", "hit_rate",
            "call_hit_rate", "n_periods"} <= set(stats["strategy"])


def test_weight_helpers():
    pred = pd.DataFrame({"A": [UP, DOWN], "B": [DOWN, DOWN], "C": [DOWN, UP]})
    ok = pd.DataFrame({"A": [True, True], "B": [True, True], "C": [True, False]})
    np.testing.assert_allclose(long_short_weights(pred, ok).to_numpy(), [[0.5, -0.25, -0.25], [-0.5, -0.5, 0.0]])
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
])
def test_bad_input_is_refused(change, kwargs, message):
    f = frame([UP, DOWN, NONE, UP, UP, DOWN], [0.02, -0.01, 0.05, 0.01, 0.03, -0.02])
    with pytest.raises(ValueError, match=message):
        backtest(change(f), **kwargs)
