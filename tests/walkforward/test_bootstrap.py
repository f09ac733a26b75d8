import numpy as np
import pandas as pd
import pytest

from stgnn.training.metrics import classification_metrics
from stgnn.walkforward.bootstrap import (block_indices, bootstrap_ci, macro_f1_of, mcc_of, paired_block_bootstrap,
                                         rank_ic_of)


def _frame(rng, accuracy, n_days=60, n_tickers=8):
    label = rng.integers(0, 3, size=n_days * n_tickers)
    pred = np.where(rng.uniform(size=label.size) < accuracy, label, rng.integers(0, 3, size=label.size))
    ret = rng.normal(size=label.size)
    p_up = 1 / (1 + np.exp(-ret * accuracy * 3))
    return pd.DataFrame({"date": np.repeat([f"2020-{i:03d}" for i in range(n_days)], n_tickers),
                         "ticker": np.tile(list("ABCDEFGH"[:n_tickers]), n_days), "label": label, "pred": pred,
                         "p_down": (1 - p_up) / 2, "p_none": (1 - p_up) / 2, "p_up": p_up, "fwd_return": ret})


def test_block_indices_cover_n_days_in_blocks():
    idx = block_indices(10, block_days=4, n_boot=3, seed=0)
    assert idx.shape == (3, 10)
    assert ((np.diff(idx[:, :4]) % 10) == 1).all()


def test_fast_metrics_equal_their_definitions(rng):
    f = _frame(rng, 0.5)
    m = classification_metrics(f["label"], f["pred"])
    assert macro_f1_of(f) == pytest.approx(m["macro_f1"])
    assert mcc_of(f) == pytest.approx(m["mcc"])


def test_identical_frames_give_zero_and_a_better_one_is_significant(rng):
    f = _frame(rng, 0.3)
    same = paired_block_bootstrap(f, f, macro_f1_of, n_boot=100)
    assert same["diff"] == 0 and same["lo"] == 0 and same["hi"] == 0
    better = _frame(np.random.default_rng(1), 0.8)
    better[["label", "fwd_return"]] = f[["label", "fwd_return"]]
    better["pred"] = np.where(np.random.default_rng(2).uniform(size=len(f)) < 0.8, f["label"], f["pred"])
    res = paired_block_bootstrap(better, f, macro_f1_of, n_boot=200)
    assert res["lo"] > 0 and res["lo"] <= res["diff"] <= res["hi"]


def test_fast_path_equals_generic_path(rng):
    f, g = _frame(rng, 0.6, n_days=15), _frame(np.random.default_rng(5), 0.4, n_days=15)
    generic = lambda frame: classification_metrics(frame["label"], frame["pred"])["macro_f1"]  # noqa: E731
    fast = paired_block_bootstrap(f, g, macro_f1_of, n_boot=30, block_days=4, seed=3)
    slow = paired_block_bootstrap(f, g, generic, n_boot=30, block_days=4, seed=3)
    assert fast == pytest.approx(slow)


def test_rank_ic_ci_and_determinism(rng):
    f = _frame(rng, 0.5)
    a = bootstrap_ci(f, rank_ic_of, n_boot=100, seed=4)
    assert a == bootstrap_ci(f, rank_ic_of, n_boot=100, seed=4)
    assert a["lo"] <= a["value"] <= a["hi"] and a["value"] > 0.2
