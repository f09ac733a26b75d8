import numpy as np
import pytest

from stgnn.config import Config, parse_config
from stgnn.data.dataset import prepare
from stgnn.data.sources.synthetic import make_market


def tiny_config(**sections) -> Config:
    """A small, fast configuration on the synthetic market (10 tickers, 400 days)."""
    tree = {
        "data": {"source": "synthetic", "synthetic": {"n_tickers": 10, "n_days": 400, "cluster_size": 5}},
        "graph": {"k": 4},
        "model": {"window": 10, "hidden": 8},
        "training": {"epochs": 2, "batch_days": 16, "patience": 2},
        "walkforward": {"train_days": 150, "val_days": 40, "test_days": 40, "grid": {"loss.focal_gamma": [2.0]},
                        "n_boot": 50},
    }
    for key, value in sections.items():
        tree.setdefault(key, {}).update(value)
    return parse_config(tree)


@pytest.fixture
def tiny():
    config = tiny_config()
    panel = make_market(config.data.synthetic).panel
    return config, prepare(panel, features=config.features, labels=config.labels, window=config.model.window)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
