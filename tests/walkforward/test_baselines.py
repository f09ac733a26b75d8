from dataclasses import replace

import numpy as np

from stgnn.data.graph import CorrelationGraph
from stgnn.walkforward.baselines import BASELINES, Majority


def _graph(data, days):
    return CorrelationGraph(k=4).fit(data.returns()[days], data.tickers).graph


def test_shapes_and_probabilities(tiny):
    _, data = tiny
    days = data.labelled_days
    train, test = days[:200], days[-50:]
    graph = _graph(data, train)
    for name, cls in BASELINES.items():
        p = cls().fit(data, train, graph).predict_proba(data, test)
        assert p.shape == (50, 10, 3), name
        np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-9)


def test_majority_is_training_frequencies(tiny):
    _, data = tiny
    train = data.labelled_days[:200]
    p = Majority().fit(data, train, None).predict_proba(data, train[:1])[0, 0]
    y = data.labels.y[train]
    np.testing.assert_allclose(p, np.bincount(y[y >= 0], minlength=3) / (y >= 0).sum())


def test_fit_uses_training_days_only(tiny):
    _, data = tiny
    train = data.labelled_days[:200]
    graph = _graph(data, train)
    values = data.features.values.copy()
    values[train[-1] + 1:] *= -3
    y = data.labels.y.copy()
    y[train[-1] + 1:] = 2
    changed = replace(data, features=replace(data.features, values=values), labels=replace(data.labels, y=y))
    a = BASELINES["logistic_graph"]().fit(data, train, graph)
    b = BASELINES["logistic_graph"]().fit(changed, train, graph)
    np.testing.assert_array_equal(a.model_.coef_, b.model_.coef_)


def test_graph_baseline_uses_the_neighbours(tiny):
    """On the lead-lag market the signal is in the neighbours: the graph baseline must see it."""
    from stgnn.training.metrics import score_metrics
    _, data = tiny
    days = data.labelled_days
    train, test = days[:250], days[-100:]
    graph = _graph(data, train)
    y = data.labels.y[test].reshape(-1)
    auc = {name: score_metrics(y, BASELINES[name]().fit(data, train, graph).predict_proba(data, test)
                               .reshape(-1, 3))["auroc_mean"] for name in ("logistic", "logistic_graph")}
    assert auc["logistic_graph"] > auc["logistic"] + 0.03
