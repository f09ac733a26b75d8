from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from stgnn.config import parse_config
from stgnn.data.dataset import PanelData, prepare
from stgnn.data.features import FeatureSet
from stgnn.data.graph import CorrelationGraph, Graph
from stgnn.data.labels import Labels
from stgnn.data.panel import build_panel
from stgnn.data.splits import Split
from stgnn.errors import ConfigError, NotFittedError
from stgnn.evaluation.metrics import score_metrics
from stgnn.registry import BASELINES, NO_GRAPH
from stgnn.walkforward.baselines import MODELS, LinearBaseline, Majority, fit_on_validation, neighbour_mean


def _close(n_days, n_tickers, seed=0):
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2020-01-01", periods=n_days)
    prices = 100 * np.exp(np.cumsum(0.02 * rng.normal(size=(n_days, n_tickers)), axis=0))
    return pd.DataFrame(prices, index=idx, columns=[f"T{i}" for i in range(n_tickers)])


@pytest.fixture(scope="module")
def prices():
    """A real feature set (ret_20, vol_20, ...) on a 6-ticker random walk, with a split and graph."""
    data = prepare(build_panel({"close": _close(200, 6)}, origin="test", min_history=30), window=5)
    days = data.labelled_days
    split = Split(train=days[:80], val=days[82:100], test=days[102:])
    graph = CorrelationGraph(k=2).fit(data.returns()[split.train], data.tickers).graph
    return data, split, graph


def _with(data, *, values=None, y=None, names=None):
    features = replace(data.features, values=data.features.values if values is None else values,
                       names=data.features.names if names is None else names)
    return replace(data, features=features, labels=replace(data.labels, y=data.labels.y if y is None else y))


def test_shapes_and_probabilities(prices):
    data, split, graph = prices
    for name, cls in MODELS.items():
        p = cls().fit(data, split.train, graph).predict_proba(data, split.test)
        assert p.shape == (len(split.test), 6, 3), name
        np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-9)
        assert (p >= 0).all()


def test_config_names_are_checked_against_the_registry_before_training():
    assert set(MODELS) | {NO_GRAPH} == set(BASELINES)  # every registered name is fitted somewhere
    assert set(parse_config({}).walkforward.baselines) <= set(BASELINES)
    with pytest.raises(ConfigError, match="unknown baselines \\['logistc'\\]; choose from \\['majority'"):
        parse_config({"walkforward": {"baselines": ["majority", "logistc"]}})


def test_window_gives_the_regression_flattened_lags(prices):
    data, split, graph = prices
    f = data.n_features
    for name in ("logistic", "logistic_graph"):
        model = MODELS[name](window=3).fit(data, split.train, graph)
        width = f if name == "logistic" else 2 * f
        assert len(model.columns_) == 3 * width
        assert model.columns_[0].endswith("@t-0") and model.columns_[-1].endswith("@t-2")
        x, _ = model._design(data, split.test, graph)
        day = MODELS[name]().fit(data, split.train, graph)
        np.testing.assert_array_equal(x[..., width:2 * width], day._design(data, split.test - 1, graph)[0])
    with pytest.raises(ValueError, match="Expected window >= 1"):
        MODELS["logistic"](window=0)


def test_validation_chooses_C_and_never_sees_test_days(prices):
    data, split, graph = prices

    def score(val):  # prefers the least regularised fit: probabilities that vary most across rows
        return float(val[..., 1].std())

    val, test, info = fit_on_validation("logistic", data, split, graph, score=score, C_grid=(0.001, 0.1, 10.0),
                                        window=2)
    assert info["C"] == 10.0 and info["window"] == 2 and set(info["val_scores"]) == {"C=0.001", "C=0.1", "C=10"}
    np.testing.assert_array_equal(test, MODELS["logistic"](C=10.0, window=2).fit(data, split.train, graph)
                                  .predict_proba(data, split.test))
    # Rewriting every test-day feature and label changes neither the choice nor validation.
    changed = data.features.values.copy()
    changed[split.test] = 9.0
    y = data.labels.y.copy()
    y[split.test] = 0
    val2, _, info2 = fit_on_validation("logistic", _with(data, values=changed, y=y), split, graph, score=score,
                                       C_grid=(0.001, 0.1, 10.0), window=2)
    assert info2 == info
    np.testing.assert_array_equal(val, val2)
    # Untuned and unwindowed baselines are fitted once, on day t.
    _, _, maj = fit_on_validation("majority", data, split, graph, score=score, C_grid=(0.1, 1.0), window=5)
    assert maj["C"] is None and maj["window"] == 1 and list(maj["val_scores"]) == ["-"]
    _, _, vol = fit_on_validation("volatility", data, split, graph, score=score, C_grid=(0.1, 1.0), window=5)
    assert vol["window"] == 1 and len(vol["val_scores"]) == 2
    with pytest.raises(ConfigError, match="Unknown baseline 'stgnn_no_graph'"):
        fit_on_validation("stgnn_no_graph", data, split, graph, score=score)


def test_majority_is_training_frequencies(prices):
    data, split, graph = prices
    p = Majority().fit(data, split.train, graph).predict_proba(data, split.test)
    y = data.labels.y[split.train]
    expected = np.bincount(y[y >= 0], minlength=3) / (y >= 0).sum()
    np.testing.assert_allclose(p, np.broadcast_to(expected, p.shape))


def test_fit_reads_training_days_only(prices):
    """Rewriting features and labels outside the training days changes no fitted number."""
    data, split, graph = prices
    outside = np.ones(len(data.dates), bool)
    outside[split.train] = False
    values = data.features.values.copy()
    values[outside] = -3 * np.nan_to_num(values[outside]) + 1
    y = data.labels.y.copy()
    y[outside] = 2
    changed = _with(data, values=values, y=y)
    for name, cls in MODELS.items():
        a, b = cls().fit(data, split.train, graph), cls().fit(changed, split.train, graph)
        np.testing.assert_array_equal(a.predict_proba(data, split.train), b.predict_proba(data, split.train), name)
        if isinstance(a, LinearBaseline):
            np.testing.assert_array_equal(a.model_.coef_, b.model_.coef_)
            np.testing.assert_array_equal(a.scaler_.mean_, b.scaler_.mean_)


def test_a_class_absent_from_training_keeps_its_column_at_zero(prices):
    data, split, graph = prices
    y = data.labels.y.copy()
    train = y[split.train]
    train[train == 0] = 1  # no Down in training
    y[split.train] = train
    no_down = _with(data, y=y)
    for name, cls in MODELS.items():
        p = cls().fit(no_down, split.train, graph).predict_proba(no_down, split.test)
        assert p.shape == (len(split.test), 6, 3), name
        assert (p[..., 0] == 0).all(), name
        np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-9)


def test_a_single_training_class_gives_certainty(prices):
    data, split, graph = prices
    y = data.labels.y.copy()
    y[split.train] = 1
    only_none = _with(data, y=y)
    for name, cls in MODELS.items():
        p = cls().fit(only_none, split.train, graph).predict_proba(only_none, split.test)
        np.testing.assert_array_equal(p, np.broadcast_to([0.0, 1.0, 0.0], p.shape), name)


def _neighbour_market(n_days=400, n_tickers=8, seed=0):
    """Labels of ticker i follow feature ``a`` of its partner i ^ 1; its own features are noise."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n_days, n_tickers))
    values = np.stack([a, rng.normal(size=(n_days, n_tickers))], axis=-1).astype(np.float32)
    partner = np.arange(n_tickers) ^ 1
    signal = a[:, partner] + 0.5 * rng.normal(size=(n_days, n_tickers))
    y = np.digitize(signal, [-0.5, 0.5])
    panel = build_panel({"close": _close(n_days, n_tickers, seed)}, origin="test", min_history=30)
    features = FeatureSet(values, ["a", "b"], panel.dates, panel.tickers)
    labels = Labels(y, signal, np.full(y.shape, 0.5), horizon=1)
    graph = Graph(panel.tickers, partner[:, None], np.ones((n_tickers, 1)))
    return PanelData(panel, features, labels, window=1, usable=np.ones(y.shape, bool)), graph


def test_graph_baseline_uses_the_neighbours():
    data, graph = _neighbour_market()
    days = data.labelled_days
    train, test = days[:300], days[300:]
    y = data.labels.y[test].reshape(-1)
    auc = {name: score_metrics(y, MODELS[name]().fit(data, train, graph).predict_proba(data, test)
                               .reshape(-1, 3))["auroc_mean"] for name in ("logistic", "logistic_graph")}
    assert auc["logistic"] < 0.6
    assert auc["logistic_graph"] > 0.8


def test_neighbour_mean_skips_absent_neighbours_and_missing_features():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 7, 3))
    x[rng.uniform(size=x.shape) < 0.3] = np.nan
    neighbours = rng.integers(-1, 7, size=(7, 4))
    neighbours[0] = -1  # a ticker with no neighbour at all
    expected = np.zeros_like(x)
    for t, i, f in np.ndindex(x.shape):
        values = [x[t, j, f] for j in neighbours[i] if j >= 0 and np.isfinite(x[t, j, f])]
        expected[t, i, f] = np.mean(values) if values else 0.0
    np.testing.assert_allclose(neighbour_mean(x, neighbours), expected)


def test_subsampling_is_seeded(prices):
    data, split, graph = prices
    fit = lambda seed: MODELS["logistic"](max_train_rows=100, seed=seed).fit(data, split.train, graph)  # noqa: E731
    assert fit(0).n_train_rows_ == 100
    np.testing.assert_array_equal(fit(0).model_.coef_, fit(0).model_.coef_)
    assert not np.array_equal(fit(0).model_.coef_, fit(1).model_.coef_)


def test_one_feature_rules_compute_their_feature_from_the_closes_when_the_set_lacks_it(prices):
    """A factor library has no ret_20 / vol_20 column: momentum and volatility then read the raw
    trailing return and volatility of the closes, the same numbers the basic set holds."""
    data, split, graph = prices
    renamed = _with(data, names=[f"x{i}" for i in range(data.n_features)])
    for name in ("momentum", "volatility"):
        model = MODELS[name]()
        np.testing.assert_allclose(model._columns(renamed, split.test, graph)[0],
                                   model._columns(data, split.test, graph)[0], rtol=1e-5)
        np.testing.assert_allclose(model.fit(renamed, split.train, graph).predict_proba(renamed, split.test),
                                   model.fit(data, split.train, graph).predict_proba(data, split.test), atol=1e-5)


def test_lightgbm_stops_early_on_validation_and_never_reads_test_days(prices):
    """The grid's choice, the rounds kept and the validation probabilities are those of training
    and validation days alone; a fit with validation rows in its training set differs."""
    data, split, graph = prices

    def score(val):
        return float(-np.nanmean(np.abs(val[..., 2] - val[..., 0])))

    val, test, info = fit_on_validation("lightgbm", data, split, graph, score=score)
    assert set(info["val_scores"]) == {"num_leaves=15", "num_leaves=63"} and 1 <= info["n_trees"] <= 400
    values = data.features.values.copy()
    values[split.test] = 5.0
    y = data.labels.y.copy()
    y[split.test] = 2
    val2, test2, info2 = fit_on_validation("lightgbm", _with(data, values=values, y=y), split, graph, score=score)
    assert info2 == info
    np.testing.assert_array_equal(val, val2)
    # The chosen fit is one on training days alone, validation rows used only to stop.
    alone = MODELS["lightgbm"](**info["params"]).fit(data, split.train, graph, eval_days=split.val)
    np.testing.assert_array_equal(alone.predict_proba(data, split.val), val)
    np.testing.assert_array_equal(alone.predict_proba(data, split.test), test)
    assert alone.n_train_rows_ == int((data.labels.y[split.train] >= 0).sum())


def test_a_missing_lightgbm_is_one_clear_error(prices, monkeypatch):
    import sys

    data, split, graph = prices
    monkeypatch.setitem(sys.modules, "lightgbm", None)
    with pytest.raises(ConfigError, match="pip install lightgbm"):
        MODELS["lightgbm"]().fit(data, split.train, graph)


def test_lightgbm_graph_reads_the_neighbours():
    data, graph = _neighbour_market()
    days = data.labelled_days
    train, test = days[:300], days[300:]
    y = data.labels.y[test].reshape(-1)
    auc = {name: score_metrics(y, MODELS[name](min_child_samples=20).fit(data, train, graph).predict_proba(data, test)
                               .reshape(-1, 3))["auroc_mean"] for name in ("lightgbm", "lightgbm_graph")}
    assert auc["lightgbm"] < 0.6 < 0.8 < auc["lightgbm_graph"]


def test_errors(prices):
    data, split, graph = prices
    with pytest.raises(NotFittedError, match="call fit"):
        MODELS["logistic"]().predict_proba(data, split.test)
    with pytest.raises(NotFittedError, match="call fit"):
        Majority().predict_proba(data, split.test)
    with pytest.raises(ValueError, match="Expected C > 0, got 0"):
        MODELS["logistic"](C=0)
    model = MODELS["logistic"]().fit(data, split.train, graph)
    assert np.isnan(model.predict_proba(data, np.arange(3))).all()  # warm-up days: no usable node
    with pytest.raises(ValueError, match="Expected days in \\[0, 200\\)"):
        model.predict_proba(data, np.array([500]))
    with pytest.raises(ValueError, match="expected a Graph, got None"):
        MODELS["logistic_graph"]().fit(data, split.train, None)
    unknown = _with(data, y=np.full_like(data.labels.y, -1))
    with pytest.raises(ValueError, match="known labels"):
        Majority().fit(unknown, split.train, graph)
