import os

# Two xdist workers on two cores: one torch thread each (and in every subprocess and notebook
# kernel they start, which inherit the environment). More threads than cores make OpenMP's
# barriers wait on descheduled threads, and training runs ten times slower or worse.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from stgnn.config import Config, parse_config  # noqa: E402
from stgnn.data.dataset import prepare  # noqa: E402
from stgnn.data.sources.synthetic import make_market  # noqa: E402

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


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


@pytest.fixture
def poisoned():
    return poison


def poison(config: Config, panel, first_day: int):
    """The panel prepared again with every price field (close, open, high, low, volume) rewritten from
    ``first_day`` on: what a fold must not see after its training days (or its validation days)."""
    from dataclasses import replace

    rng = np.random.default_rng(123)
    fields = {}
    for name in ("close", "open", "high", "low", "volume"):
        frame = getattr(panel, name)
        if frame is not None:
            frame = frame.copy()
            frame.iloc[first_day:] *= np.exp(rng.normal(0, 0.3, size=frame.iloc[first_day:].shape))
            fields[name] = frame
    return prepare(replace(panel, **fields), features=config.features, labels=config.labels,
                   window=config.model.window)
