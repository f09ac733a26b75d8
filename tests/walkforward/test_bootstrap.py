import time

import numpy as np
import pandas as pd
import pytest

from stgnn.training.metrics import classification_metrics, information_coefficients
from stgnn.walkforward.bootstrap import (block_indices, bootstrap_ci, macro_f1_of, mcc_of, paired_block_bootstrap,
                                         rank_ic_of, resample_frame)

TICKERS = [f"T{i:02d}" for i in range(50)]


def _frame(rng, accuracy, n_days=60, n_tickers=8):
    label = rng.integers(0, 3, size=n_days * n_tickers)
    pred = np.where(rng.uniform(size=label.size) < accuracy, label, rng.integers(0, 3, size=label.size))
    ret = rng.normal(size=label.size)
    p_up = 1 / (1 + np.exp(-ret * accuracy * 3))
    dates = pd.bdate_range("2020-01-01", periods=n_days).strftime("%Y-%m-%d")
    return pd.DataFrame({"date": np.repeat(dates, n_tickers), "ticker": np.tile(TICKERS[:n_tickers], n_days),
                         "p_down": (1 - p_up) / 2, "p_none": (1 - p_up) / 2, "p_up": p_up, "pred": pred,
                         "label": label, "fwd_return": ret})


def _pair(n_days=60, n_tickers=8, better=0.8, worse=0.3):
    """Two models on the same rows and labels; ``a`` is right more often and ranks better."""
    a = _frame(np.random.default_rng(1), better, n_days, n_tickers)
    b = _frame(np.random.default_rng(2), worse, n_days, n_tickers)
    b[["label", "fwd_return"]] = a[["label", "fwd_return"]]
    b["pred"] = np.where(np.random.default_rng(3).uniform(size=len(a)) < worse, a["label"], b["pred"])
    return a, b


def _macro_f1(frame):
    return classification_metrics(frame["label"], frame["pred"])["macro_f1"]


def _mcc(frame):
    return classification_metrics(frame["label"], frame["pred"])["mcc"]


def _rank_ic(frame):
    return information_coefficients(frame)["rank_ic"]


def test_block_indices_cover_n_days_in_blocks():
    idx = block_indices(10, block_days=4, n_boot=3, seed=0)
    assert idx.shape == (3, 10)
    assert ((np.diff(idx[:, :4]) % 10) == 1).all()
    assert ((np.diff(idx[:, 4:8]) % 10) == 1).all()
    np.testing.assert_array_equal(idx, block_indices(10, block_days=4, n_boot=3, seed=0))
    assert block_indices(3, block_days=20, n_boot=2, seed=0).shape == (2, 3)


def test_fast_metrics_equal_their_definitions(rng):
    f = _frame(rng, 0.5)
    assert macro_f1_of(f) == pytest.approx(_macro_f1(f))
    assert mcc_of(f) == pytest.approx(_mcc(f))
    assert rank_ic_of(f) == pytest.approx(_rank_ic(f))


def test_resample_frame_treats_a_repeated_day_as_a_new_day(rng):
    f = _frame(rng, 0.5, n_days=3, n_tickers=4)
    out = resample_frame(f, np.array([2, 2, 0]))
    assert len(out) == 12 and out["date"].nunique() == 3
    assert out["date"].iloc[0] == "2020-01-03#00000" and out["date"].iloc[4] == "2020-01-03#00001"
    np.testing.assert_array_equal(out["label"].iloc[:4], f["label"].iloc[8:])
    np.testing.assert_array_equal(out["label"].iloc[8:], f["label"].iloc[:4])


def test_identical_frames_give_zero(rng):
    f = _frame(rng, 0.3)
    for metric in (macro_f1_of, mcc_of, rank_ic_of, _macro_f1):
        same = paired_block_bootstrap(f, f, metric, n_boot=100)
        assert same == {"diff": 0.0, "lo": 0.0, "hi": 0.0, "n_boot": 100, "block_days": 20}


def test_a_clearly_better_frame_is_significant_and_the_ci_holds_the_difference():
    a, b = _pair()
    for metric in (macro_f1_of, mcc_of, rank_ic_of):
        res = paired_block_bootstrap(a, b, metric, n_boot=300, block_days=5)
        assert 0 < res["lo"] <= res["diff"] <= res["hi"], metric
        reverse = paired_block_bootstrap(b, a, metric, n_boot=300, block_days=5)
        assert reverse["hi"] < 0 and reverse["diff"] == pytest.approx(-res["diff"])


def test_row_order_does_not_matter():
    a, b = _pair()
    shuffled = b.sample(frac=1.0, random_state=0)
    for metric in (macro_f1_of, rank_ic_of):
        assert paired_block_bootstrap(a, shuffled, metric, n_boot=50) == paired_block_bootstrap(a, b, metric, n_boot=50)


@pytest.mark.parametrize("fast,slow", [(macro_f1_of, _macro_f1), (mcc_of, _mcc), (rank_ic_of, _rank_ic)])
def test_fast_path_equals_generic_path(fast, slow):
    a, b = _pair(n_days=15, n_tickers=5, better=0.6, worse=0.4)
    fast_res = paired_block_bootstrap(a, b, fast, n_boot=30, block_days=4, seed=3)
    slow_res = paired_block_bootstrap(a, b, slow, n_boot=30, block_days=4, seed=3)
    assert fast_res == pytest.approx(slow_res)
    assert bootstrap_ci(a, fast, n_boot=30, block_days=4, seed=3) == pytest.approx(
        bootstrap_ci(a, slow, n_boot=30, block_days=4, seed=3))


def test_deterministic_for_a_seed(rng):
    a, b = _pair()
    first = paired_block_bootstrap(a, b, rank_ic_of, n_boot=100, seed=4)
    assert first == paired_block_bootstrap(a, b, rank_ic_of, n_boot=100, seed=4)
    assert first != paired_block_bootstrap(a, b, rank_ic_of, n_boot=100, seed=5)
    ci = bootstrap_ci(a, rank_ic_of, n_boot=100, seed=4)
    assert ci == bootstrap_ci(a, rank_ic_of, n_boot=100, seed=4)
    assert ci["lo"] <= ci["value"] <= ci["hi"] and ci["value"] > 0.2


def test_fast_path_is_fast():
    a, b = _pair(n_days=250, n_tickers=20)
    started = time.perf_counter()
    for metric in (macro_f1_of, mcc_of, rank_ic_of):
        paired_block_bootstrap(a, b, metric, n_boot=500)
    assert time.perf_counter() - started < 3.0


def test_errors():
    a, b = _pair(n_days=10)
    with pytest.raises(ValueError, match="same \\(date, ticker\\) rows"):
        paired_block_bootstrap(a, b.assign(ticker=b["ticker"].str.lower()), macro_f1_of)
    with pytest.raises(ValueError, match="same rows, got 80 and 72"):
        paired_block_bootstrap(a, b.iloc[8:], macro_f1_of)
    with pytest.raises(ValueError, match="same labels"):
        paired_block_bootstrap(a, b.assign(label=(b["label"] + 1) % 3), macro_f1_of)
    with pytest.raises(ValueError, match="Expected block_days an integer >= 1, got 0"):
        paired_block_bootstrap(a, b, macro_f1_of, block_days=0)
    with pytest.raises(ValueError, match="Expected n_boot an integer >= 1"):
        bootstrap_ci(a, macro_f1_of, n_boot=0)
    with pytest.raises(ValueError, match="Expected alpha in \\(0, 1\\), got 1.5"):
        bootstrap_ci(a, macro_f1_of, alpha=1.5)
    with pytest.raises(ValueError, match="at least one prediction row"):
        bootstrap_ci(a.iloc[:0], macro_f1_of)
    with pytest.raises(ValueError, match="Expected pred in \\{0, 1, 2\\}"):
        macro_f1_of(a.assign(pred=5))
