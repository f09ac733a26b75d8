import numpy as np
import pandas as pd
import pytest

from stgnn.walkforward.backtest import backtest


def _frame(preds, rets, dates=("d1", "d2")):
    n = len(preds) // len(dates)
    return pd.DataFrame({"date": np.repeat(dates, n), "ticker": list("ABCD"[:n]) * len(dates),
                         "pred": preds, "fwd_return": rets})


def test_long_short_hand_case_and_costs():
    f = _frame([2, 0, 1, 2, 1, 1], [0.02, -0.01, 0.0, 0.01, 0.03, -0.02])
    r = backtest(f, cost_bps=0).returns["strategy"]
    day1 = 0.5 * (np.exp(0.02) - 1) - 0.5 * (np.exp(-0.01) - 1)
    assert r.iloc[0] == pytest.approx(day1)
    assert r.iloc[1] == pytest.approx(np.exp(0.01) - 1)  # only a long side: full gross on it
    costly = backtest(f, cost_bps=10).returns["strategy"]
    # turnover: 1.0 to enter, then |1-0.5| + |0-(-0.5)| = 1.0 to switch
    np.testing.assert_allclose(r - costly, [0.001, 0.001])


def test_horizon_uses_every_hth_date_and_flat_days():
    f = _frame([1] * 6, [0.01] * 6, dates=("d1", "d2", "d3"))
    f = f[f["ticker"].isin(["A", "B"])]
    res = backtest(f, horizon=2, cost_bps=0)
    assert list(res.returns.index) == ["d1", "d3"]
    assert (res.returns["strategy"] == 0).all()
    assert np.isnan(res.stats["strategy"]["sharpe"])


def test_benchmark_is_equal_weight_and_drawdown():
    f = _frame([1, 1, 1, 1], [0.1, -0.1, -0.2, 0.0])
    res = backtest(f, cost_bps=0)
    expected = [0.5 * (np.exp(0.1) - 1) + 0.5 * (np.exp(-0.1) - 1), 0.5 * (np.exp(-0.2) - 1)]
    np.testing.assert_allclose(res.returns["benchmark"], expected)
    assert res.stats["benchmark"]["max_drawdown"] == pytest.approx(expected[1])


def test_call_hit_rate():
    f = _frame([2, 0, 2, 0], [0.01, 0.01, -0.01, -0.02])
    assert backtest(f).stats["strategy"]["call_hit_rate"] == 0.5
