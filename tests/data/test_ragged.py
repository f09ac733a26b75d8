"""A ragged universe end to end: a ticker that lists mid-way, one that delists, one with a long
hole. Nodes, labels and everything fitted exist only where the prices do, and an absent ticker
changes nothing for the present ones."""

import numpy as np
import pandas as pd
import pytest

from stgnn.config import parse_config
from stgnn.data.dataset import prepare
from stgnn.data.panel import build_panel
from stgnn.data.splits import Split
from stgnn.training.fold import FoldFitter
from stgnn.training.run import single_split
from stgnn.training.trainer import ClassificationSTGNNTrainer, predictions_frame
from stgnn.walkforward.baselines import MODELS

N_DAYS = 420
LISTS, DELISTS, HOLE = 150, 330, (200, 230)
MIN_HISTORY = 100


def _close(n_tickers=8, seed=0):
    rng = np.random.default_rng(seed)
    factor = rng.normal(0, 0.01, size=(N_DAYS, 1))
    returns = factor + rng.normal(0, 0.015, size=(N_DAYS, n_tickers))
    idx = pd.bdate_range("2020-01-01", periods=N_DAYS)
    return pd.DataFrame(100 * np.exp(np.cumsum(returns, axis=0)), index=idx,
                        columns=[f"T{i}" for i in range(n_tickers)])


def _ragged(close):
    close = close.copy()
    close.iloc[:LISTS, 0] = np.nan           # T0 lists on day LISTS
    close.iloc[DELISTS:, 1] = np.nan         # T1 delists after day DELISTS - 1
    close.iloc[HOLE[0]:HOLE[1], 2] = np.nan  # T2 has a 30-day hole
    close.iloc[100:103, 3] = np.nan          # T3 a 3-day gap, filled
    return close


@pytest.fixture(scope="module")
def config():
    return parse_config({"graph": {"k": 3, "min_overlap": 30}, "model": {"window": 10, "hidden": 8, "dropout": 0.2},
                         "training": {"epochs": 2, "batch_days": 16, "patience": 2},
                         "split": {"val_fraction": 0.15, "test_fraction": 0.15}})


def _prepare(close, config):
    panel = build_panel({"close": close}, origin="ragged", min_history=MIN_HISTORY, max_ffill=5)
    return prepare(panel, features=config.features, labels=config.labels, window=config.model.window)


@pytest.fixture(scope="module")
def ragged(config):
    return _prepare(_ragged(_close()), config)


def test_no_ticker_and_no_day_is_dropped(ragged):
    assert len(ragged.dates) == N_DAYS and ragged.tickers == [f"T{i}" for i in range(8)]
    present = ragged.panel.present.to_numpy()
    assert not present[:LISTS, 0].any() and present[LISTS:, 0].all()
    # Missing days are carried for max_ffill = 5 days, causally (a delisting and a long hole too),
    # and never traded.
    traded = ragged.panel.traded.to_numpy()
    assert present[:DELISTS + 5, 1].all() and not present[DELISTS + 5:, 1].any() and not traded[DELISTS:, 1].any()
    assert present[HOLE[0]:HOLE[0] + 5, 2].all() and not present[HOLE[0] + 5:HOLE[1], 2].any()
    assert present[:, 3].all() and not traded[100:103, 3].any()  # the short gap is filled


def test_nodes_and_labels_exist_only_where_window_and_future_price_do(ragged, config):
    usable, y, warm = ragged.usable, ragged.labels.y, config.features.warmup
    w, h = config.model.window, config.labels.horizon
    # A node needs its whole window of warmed-up features, and a listing min_history prices:
    # the listing and the hole delay it.
    first = np.flatnonzero(usable[:, 0])[0]
    assert LISTS + warm + w < first == LISTS + MIN_HISTORY - 1
    assert not usable[HOLE[0] + 5:HOLE[1] + w - 1, 2].any()
    assert not usable[DELISTS + 5:, 1].any()
    # A label needs traded prices at t and t + h: the last h days before a delisting have none,
    # and nor does any day whose price was carried forward.
    assert (y[DELISTS - h:, 1] == -1).all() and (y[DELISTS - h - 1, 1] >= 0)
    assert (y[~usable] == -1).all() and (y[~ragged.panel.traded.to_numpy()] == -1).all()
    # Features of absent days are NaN, never a fill value.
    assert np.isnan(ragged.features.values[:LISTS, 0]).all()


def _trained(data, config, split=None):
    split = single_split(config, data) if split is None else split
    fold = FoldFitter(config).fit(data, split.train)
    trainer = ClassificationSTGNNTrainer(config, fold, split, progress=False)
    trainer.fit()
    return trainer, fold, split


def test_fitted_fold_reads_present_training_rows_only(ragged, config):
    _, fold, split = _trained(ragged, config)
    rows = ragged.features.values[split.train][ragged.usable[split.train]]
    np.testing.assert_allclose(fold.scaler.center_, rows.mean(axis=0), rtol=1e-5, atol=1e-7)
    assert np.isfinite(fold.x).all()
    # SMOTE interpolates whole ego windows only: no synthetic window holds an absent (zeroed) day.
    assert len(fold.ego)
    for day, centre in (fold.ego.base.T, fold.ego.other.T):
        nodes = np.concatenate([centre[:, None], fold.graph.neighbours[centre]], axis=1)
        assert (nodes >= 0).all() and ragged.usable[day[:, None], nodes].all()


def test_an_absent_ticker_changes_nothing_for_the_present_ones(config):
    """T8 lists after the fold's test window: graph, scaler, SMOTE, batches and so the trained
    model and every present ticker's probability are exactly as without it (dropout included)."""
    base = _close(n_tickers=8)
    extra = base.copy()
    extra["T8"] = _close(n_tickers=9, seed=3)["T8"].to_numpy()
    extra.iloc[:301, 8] = np.nan  # not even present (cross-sectional features) before then
    without, with_absent = _prepare(base, config), _prepare(extra, config)
    split = Split(train=np.arange(80, 220), val=np.arange(222, 262), test=np.arange(264, 301))
    a, _, _ = _trained(without, config, split)
    b, fold, _ = _trained(with_absent, config, split)
    assert not with_absent.usable[:301, 8].any() and with_absent.usable[-1, 8]
    assert (fold.graph.neighbours[:8] != 8).all()
    pa, pb = a.predict_proba(split.test), b.predict_proba(split.test)
    np.testing.assert_array_equal(pa, pb[:, :8])
    assert np.isnan(pb[:, 8]).all()
    pd.testing.assert_frame_equal(predictions_frame(without, split.test, pa),
                                  predictions_frame(with_absent, split.test, pb))


def test_a_later_delisting_changes_nothing_up_to_the_day_the_panels_part(config):
    """Eligibility reads no later day: T7, listed on day 50, delisting on day 200 (never reaching
    min_history) or on day 320 (reaching it) leaves features, labels, usable nodes, the fitted fold and the day graphs
    up to day 199 identical. (Dropping T7 for its short history moved its peers' cross-sectional
    features and universe-relative labels on earlier days.)"""
    relative = config.updated({"labels.relative_to": "universe"})
    early, late = _close(), _close()
    early.iloc[:50, 7] = late.iloc[:50, 7] = np.nan
    early.iloc[200:, 7] = np.nan
    late.iloc[320:, 7] = np.nan

    def prepared(close):
        panel = build_panel({"close": close}, origin="delisting", min_history=250, max_ffill=5)
        return prepare(panel, features=relative.features, labels=relative.labels, window=relative.model.window)

    a, b = prepared(early), prepared(late)
    assert a.panel.never_seasoned == ["T7"] and b.panel.never_seasoned == []
    t, h = 200, relative.labels.horizon
    np.testing.assert_array_equal(a.features.values[:t], b.features.values[:t])
    np.testing.assert_array_equal(a.usable[:t], b.usable[:t])
    np.testing.assert_array_equal(a.labels.y[:t - h], b.labels.y[:t - h])
    assert (a.labels.y[:t - h] >= 0).sum() > 0
    train, days = np.arange(80, t - h - 5), np.arange(t - 30, t)
    fa, fb = (FoldFitter(relative).fit(data, train) for data in (a, b))
    np.testing.assert_array_equal(fa.graph.neighbours, fb.graph.neighbours)
    ba, bb = fa.batcher.batch(days), fb.batcher.batch(days)
    for key in ("x", "edge_index", "edge_weight"):  # the labels of day t - 1 read day t
        np.testing.assert_array_equal(ba[key].numpy(), bb[key].numpy())


def test_a_stock_that_delists_within_the_horizon_is_held_to_its_last_trade(config):
    """The book may buy at t a stock that stops trading before t + h: it has no label, so it is
    scored by no metric, but it is a row of the test frame, held, and earns its return to its last
    traded price (chosen with knowledge of the delisting, the book would skip it)."""
    from stgnn.evaluation.backtest import backtest

    h = 5
    cfg = config.updated({"labels.horizon": h})
    data = prepare(build_panel({"close": _ragged(_close())}, origin="ragged", min_history=MIN_HISTORY, max_ffill=5),
                   features=cfg.features, labels=cfg.labels, window=cfg.model.window)
    t = DELISTS - 3  # T1 trades at t and twice more, then is carried: no price at t + h
    days = np.arange(t, t + 2 * h)
    proba = np.full((len(days), len(data.tickers), 3), 1 / 3)
    frame = predictions_frame(data, days, proba, every_usable=True)
    row = frame[(frame["date"] == data.dates[t].strftime("%Y-%m-%d")) & (frame["ticker"] == "T1")]
    close = data.panel.close["T1"].to_numpy()
    assert len(row) == 1 and row["label"].isna().all()
    np.testing.assert_allclose(row["fwd_return"], np.log(close[DELISTS - 1] / close[t]))
    assert (data.labels.y[t] >= 0).sum() == len(data.tickers) - 1  # everyone else has a label
    calls = frame.assign(pred=np.where(frame["ticker"] == "T1", 2, 1))
    result = backtest(calls, horizon=h, cost_bps=0)
    first = result.weights.iloc[0]
    assert first["T1"] > 0 and result.returns["strategy"].iloc[0] == pytest.approx(
        (first * np.expm1(calls[calls["date"] == calls["date"].iloc[0]].set_index("ticker")["fwd_return"])).sum())


def test_predictions_hold_present_rows_only(ragged, config):
    trainer, _, split = _trained(ragged, config)
    frame = trainer.predictions(split.test)
    expected = int((ragged.labels.y[split.test] >= 0).sum())
    assert len(frame) == expected < len(split.test) * 8
    assert frame[["p_down", "p_none", "p_up"]].notna().all().all()


def test_baselines_use_present_rows_and_present_neighbours(ragged, config):
    _, fold, split = _trained(ragged, config)
    usable = ragged.usable[split.test]
    for name, cls in MODELS.items():
        p = cls().fit(ragged, split.train, fold.graph).predict_proba(ragged, split.test)
        assert np.isfinite(p[usable]).all(), name
    # The neighbour mean of a day averages the neighbours present that day only.
    model = MODELS["logistic_graph"]().fit(ragged, split.train, fold.graph)
    x, _ = model._design(ragged, split.train, fold.graph)
    assert np.isfinite(x[ragged.usable[split.train]]).all()


@pytest.mark.slow
def test_walk_forward_on_a_ragged_universe_counts_present_rows(ragged, config, tmp_path):
    from stgnn.walkforward.runner import run_walk_forward

    cfg = config.updated({"walkforward": {"train_days": 150, "val_days": 40, "test_days": 40, "folds": 2,
                                          "grid": {"loss.focal_gamma": [2.0]}, "n_boot": 50,
                                          "baselines": ["majority", "logistic_graph", "stgnn_no_graph"]}})
    result = run_walk_forward(cfg, ragged, tmp_path / "run", progress=False)
    oos = pd.read_csv(tmp_path / "run" / "oos_predictions.csv")
    days = np.flatnonzero(ragged.dates.isin(pd.to_datetime(oos["date"].unique())))
    labelled = int(oos["label"].notna().sum())
    assert len(oos) == int(ragged.usable[days].sum()) < len(days) * len(ragged.tickers)  # every usable node
    assert labelled == int((ragged.labels.y[days] >= 0).sum())
    assert result.metrics["oos"]["n_rows"] == labelled
    assert all(m["n_rows"] == labelled for m in result.metrics["baselines"].values())
    assert result.metrics["data"]["universe"] == "every ticker while it has prices"
