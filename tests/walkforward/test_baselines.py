from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from stgnn.data.dataset import PanelData, prepare
from stgnn.data.features import FeatureSet
from stgnn.data.graph import CorrelationGraph, Graph
from stgnn.data.labels import Labels
from stgnn.data.panel import build_panel
from stgnn.data.splits import Split
from stgnn.errors import ConfigError, NotFittedError
from stgnn.training.metrics import score_metrics
from stgnn.walkforward.baselines import BASELINES, LinearBaseline, Majority, Volatility, run_baselines


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
    for name, cls in BASELINES.items():
        p = cls().fit(data, split.train, graph).predict_proba(data, split.test)
        assert p.shape == (len(split.test), 6, 3), name
        np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-9)
        assert (p >= 0).all()


def test_run_baselines_predicts_the_test_days(prices):
    data, split, graph = prices
    out = run_baselines(data, split, graph, names=["majority", "volatility"], seed=1)
    assert list(out) == ["majority", "volatility"]
    assert all(p.shape == (len(split.test), 6, 3) for p in out.values())
    np.testing.assert_allclose(out["volatility"], Volatility().fit(data, split.train, graph).predict_proba(data, split.test))
    assert set(run_baselines(data, split, graph)) == set(BASELINES)
    with pytest.raises(ConfigError, match="Unknown baselines \\['lstm'\\]"):
        run_baselines(data, split, graph, names=["lstm"])


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
    for name, cls in BASELINES.items():
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
    for name, cls in BASELINES.items():
        p = cls().fit(no_down, split.train, graph).predict_proba(no_down, split.test)
        assert p.shape == (len(split.test), 6, 3), name
        assert (p[..., 0] == 0).all(), name
        np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-9)


def test_a_single_training_class_gives_certainty(prices):
    data, split, graph = prices
    y = data.labels.y.copy()
    y[split.train] = 1
    only_none = _with(data, y=y)
    for name, cls in BASELINES.items():
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
    return PanelData(panel, features, labels, window=1), graph


def test_graph_baseline_uses_the_neighbours():
    data, graph = _neighbour_market()
    days = data.labelled_days
    train, test = days[:300], days[300:]
    y = data.labels.y[test].reshape(-1)
    auc = {name: score_metrics(y, BASELINES[name]().fit(data, train, graph).predict_proba(data, test)
                               .reshape(-1, 3))["auroc_mean"] for name in ("logistic", "logistic_graph")}
    assert auc["logistic"] < 0.6
    assert auc["logistic_graph"] > 0.8


def test_subsampling_is_seeded(prices):
    data, split, graph = prices
    fit = lambda seed: BASELINES["logistic"](max_train_rows=100, seed=seed).fit(data, split.train, graph)  # noqa: E731
    assert fit(0).n_train_rows_ == 100
    np.testing.assert_array_equal(fit(0).model_.coef_, fit(0).model_.coef_)
    assert not np.array_equal(fit(0).model_.coef_, fit(1).model_.coef_)


def test_errors(prices):
    data, split, graph = prices
    with pytest.raises(NotFittedError, match="call fit"):
        BASELINES["logistic"]().predict_proba(data, split.test)
    with pytest.raises(NotFittedError, match="call fit"):
        Majority().predict_proba(data, split.test)
    with pytest.raises(ValueError, match="Expected C > 0, got 0"):
        BASELINES["logistic"](C=0)
    renamed = _with(data, names=[f"x{i}" for i in range(data.n_features)])
    with pytest.raises(ConfigError, match="'ret_20'"):
        BASELINES["momentum"]().fit(renamed, split.train, graph)
    model = BASELINES["logistic"]().fit(data, split.train, graph)
    with pytest.raises(ValueError, match="Expected finite features on prediction rows"):
        model.predict_proba(data, np.arange(3))  # warm-up days
    with pytest.raises(ValueError, match="Expected days in \\[0, 200\\)"):
        model.predict_proba(data, np.array([500]))
    with pytest.raises(ValueError, match="expected a Graph, got None"):
        BASELINES["logistic_graph"]().fit(data, split.train, None)
    unknown = _with(data, y=np.full_like(data.labels.y, -1))
    with pytest.raises(ValueError, match="known labels"):
        Majority().fit(unknown, split.train, graph)
