"""The STGNN against the best possible classifier on a market whose signal lives in the graph."""

import numpy as np
import pytest

from stgnn.config import parse_config
from stgnn.data.dataset import prepare
from stgnn.data.sources.synthetic import make_market
from stgnn.evaluation.metrics import classification_metrics
from stgnn.training.fold import FoldFitter
from stgnn.training.run import single_split
from stgnn.training.thresholds import apply_thresholds, tune_thresholds
from stgnn.training.trainer import ClassificationSTGNNTrainer

pytestmark = pytest.mark.slow


def _tuned_macro_f1(y_val, p_val, y_test, p_test):
    thresholds = tune_thresholds(y_val, p_val)
    return classification_metrics(y_test, apply_thresholds(p_test, thresholds))["macro_f1"]


@pytest.fixture(scope="module")
def market():
    config = parse_config({"data": {"source": "synthetic"}, "training": {"epochs": 15}})
    market = make_market(config.data.synthetic)
    data = prepare(market.panel, features=config.features, labels=config.labels, window=config.model.window)
    return config, market, data


def _score(config, data, split=None):
    s = split if split is not None else single_split(config, data)
    trainer = ClassificationSTGNNTrainer(config, FoldFitter(config).fit(data, s.train), s, progress=False)
    trainer.fit()
    p_val = trainer.predict_proba(s.val).reshape(-1, 3)
    p_test = trainer.predict_proba(s.test).reshape(-1, 3)
    y_val, y_test = data.labels.y[s.val].reshape(-1), data.labels.y[s.test].reshape(-1)
    return s, _tuned_macro_f1(y_val, p_val, y_test, p_test)


def test_stgnn_is_near_bayes_and_the_graph_carries_the_signal(market):
    config, market, data = market
    split, stgnn = _score(config, data)
    posterior = market.posterior(config.labels.horizon, config.labels.threshold)
    y = data.labels.y
    bayes = _tuned_macro_f1(y[split.val].reshape(-1), posterior[split.val].reshape(-1, 3),
                            y[split.test].reshape(-1), posterior[split.test].reshape(-1, 3))
    _, temporal_only = _score(config.updated({"model.graph": False}), data, split)
    print(f"bayes {bayes:.4f}  stgnn {stgnn:.4f}  temporal-only {temporal_only:.4f}")
    assert stgnn >= bayes - 0.02
    assert temporal_only <= stgnn - 0.05
    assert np.isfinite([bayes, stgnn, temporal_only]).all()
