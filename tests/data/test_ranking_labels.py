"""Quantile labels (each day's top and bottom q) and the execution delay (trade at a later close)."""

import numpy as np
import pandas as pd
import pytest

from stgnn.classes import DOWN, NONE, UP
from stgnn.config import Config, LabelConfig
from stgnn.data.dataset import prepare, traded_labels
from stgnn.data.labels import UNKNOWN, make_labels
from stgnn.data.panel import build_panel
from stgnn.errors import ConfigError
from stgnn.evaluation.backtest import backtest
from stgnn.training.trainer import predictions_frame


def _close(n_days=60, n_tickers=25, seed=0):
    rng = np.random.default_rng(seed)
    # Days differ in level (a market move shared by all), so a cut over all days is not a per-day cut.
    market = rng.normal(0, 0.03, size=(n_days, 1))
    returns = market + rng.normal(0, 0.01, size=(n_days, n_tickers))
    close = 100 * np.exp(np.cumsum(returns, axis=0))
    return pd.DataFrame(close, index=pd.bdate_range("2021-01-04", periods=n_days),
                        columns=[f"T{i:02d}" for i in range(n_tickers)])


def test_each_day_has_its_own_top_and_bottom_q():
    close = _close()
    close.iloc[10:20, :4] = np.nan  # four tickers absent for a while: those days rank 21 (then 20) tickers
    y = make_labels(close, LabelConfig(kind="quantile", q=0.2)).y
    for t in range(len(close) - 1):
        n = int((y[t] >= 0).sum())
        assert n in (21, 25, 20)
        k = int(np.floor(0.2 * n))
        assert (y[t] == DOWN).sum() == k and (y[t] == UP).sum() == k, t
        assert (y[t] == NONE).sum() == n - 2 * k
    assert (y[-1] == UNKNOWN).all()


def test_the_cut_ranks_the_excess_return_and_ties_share_a_class():
    fwd = np.array([0.01, 0.01, 0.02, -0.01, 0.0, 0.03])
    close = pd.DataFrame([np.ones(6), np.exp(fwd)], columns=list("ABCDEF"))
    y = make_labels(close, LabelConfig(kind="quantile", q=0.34)).y[0]  # k = 2 of 6
    assert y.tolist() == [NONE, NONE, UP, DOWN, DOWN, UP]
    tied = make_labels(close, LabelConfig(kind="quantile", q=0.5 - 1e-9)).y[0]  # k = 2 still
    assert tied.tolist() == [NONE, NONE, UP, DOWN, DOWN, UP]
    # The two 0.01s straddle the boundary when k = 3: both None, so only two Down.
    tied = make_labels(close, LabelConfig(kind="quantile", q=0.49)).y[0]
    k3 = make_labels(close.drop(columns="B"), LabelConfig(kind="quantile", q=0.49)).y[0]
    assert tied.tolist() == [NONE, NONE, UP, DOWN, DOWN, UP] and k3.tolist() == [NONE, UP, DOWN, DOWN, UP]


def test_quantile_counts_hold_on_the_usable_rows():
    panel = build_panel({"close": _close(n_days=120, seed=1)}, origin="toy", min_history=30)
    data = prepare(panel, labels=LabelConfig(kind="quantile", q=0.2), window=5)
    y = data.labels.y
    for t in data.labelled_days:
        n = int((y[t] >= 0).sum())
        assert n == int(data.usable[t].sum()) or t >= len(y) - 1
        assert (y[t] == UP).sum() == (y[t] == DOWN).sum() == int(np.floor(0.2 * n))
    assert np.isnan(data.labels.threshold).all()


def test_delay_moves_the_label_and_the_position_one_close_later():
    close = _close(n_days=30, n_tickers=3)
    panel = build_panel({"close": close}, origin="toy", min_history=5)
    h = 2
    labels = traded_labels(panel, LabelConfig(horizon=h, delay=1))
    logc = np.log(close.to_numpy())
    want = logc[1 + h:] - logc[1:-h]
    np.testing.assert_allclose(labels.fwd_return[: len(want)], want)
    np.testing.assert_allclose(labels.exit_return[: len(want)], want)
    assert np.isnan(labels.fwd_return[-(1 + h):]).all() and (labels.y[-(1 + h):] == UNKNOWN).all()
    assert labels.delay == 1


def test_delay_needs_a_trade_on_the_entry_day():
    close = _close(n_days=30, n_tickers=2)
    close.iloc[11, 0] = np.nan  # A carried on day 11: a call at day 10 cannot be entered at day 11
    panel = build_panel({"close": close}, origin="toy", min_history=5, max_ffill=3)
    labels = traded_labels(panel, LabelConfig(horizon=1, delay=1))
    assert labels.y[10, 0] == UNKNOWN and np.isnan(labels.exit_return[10, 0])
    assert labels.y[10, 1] != UNKNOWN


def test_the_book_trades_the_delayed_return():
    """A score that knows the undelayed return earns nothing a delayed book can see, and one that
    knows the delayed return earns it: the frames (and so the backtest) carry t + 1's entry."""
    close = _close(n_days=200, n_tickers=20, seed=3)
    panel = build_panel({"close": close}, origin="toy", min_history=30)
    data = prepare(panel, labels=LabelConfig(delay=1), window=5)
    same = prepare(panel, labels=LabelConfig(delay=0), window=5)
    days = data.labelled_days
    for scored_by, earns in ((data, True), (same, False)):
        proba = np.full((len(days), len(data.tickers), 3), 1 / 3)
        proba[..., 2] += 5 * np.nan_to_num(scored_by.labels.fwd_return[days])
        proba[..., 0] -= 5 * np.nan_to_num(scored_by.labels.fwd_return[days])
        frame = predictions_frame(data, days, proba, every_usable=True).assign(pred=1)
        result = backtest(frame, horizon=1, cost_bps=0.0, book="dollar_neutral")
        mean = float(result.returns["rank"].mean())
        assert (mean > 0.005) if earns else (abs(mean) < 0.003), (earns, mean)


def test_purges_cover_the_delay():
    from stgnn.walkforward.runner import make_splitter

    config = Config().updated({"labels.horizon": 2, "labels.delay": 1})
    assert make_splitter(config).purge_days == 3


@pytest.mark.parametrize("overrides, message", [
    ({"labels.q": 0.5}, "labels.q"),
    ({"labels.q": 0.0}, "labels.q"),
    ({"labels.delay": -1}, "labels.delay"),
    ({"labels.kind": "quantile", "labels.vol_scaled": True}, "vol_scaled"),
    ({"labels.kind": "quantile", "loss.hard_negative_weight": 2.0}, "hard_negative_weight"),
    ({"features.set": "alpha999"}, "features.set"),
])
def test_bad_label_settings_name_the_key(overrides, message):
    with pytest.raises(ConfigError, match=message):
        Config().updated(overrides)
