
import numpy as np
import pandas as pd
import pytest

from stgnn.evaluation.bootstrap import (
    block_bootstrap,
    block_for_horizon,
    block_indices,
    bootstrap_ci,
    direction_auroc_of,
    icir_of,
    macro_f1_of,
    mcc_of,
    move_auroc_of,
    pair_counts,
    paired_block_bootstrap,
    rank_ic_of,
    resample_frame,
)
from stgnn.evaluation.metrics import classification_metrics, information_coefficients, score_metrics

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


def _icir(frame):
    return information_coefficients(frame)["icir"]


def _move_auroc(frame):
    return score_metrics(frame["label"], frame[["p_down", "p_none", "p_up"]])["auroc_move"]


def _direction_auroc(frame):
    return score_metrics(frame["label"], frame[["p_down", "p_none", "p_up"]])["auroc_direction"]


def test_block_indices_draw_whole_non_overlapping_blocks():
    idx = block_indices(10, block_days=4, n_boot=200, seed=0)
    assert idx.shape == (200, 10)
    starts = {0, 4}  # blocks [0..3] and [4..9]: the remainder joins the last block
    for row in idx:
        cuts = np.flatnonzero(np.diff(row) != 1) + 1
        assert {int(row[0]), *row[cuts].tolist()} <= starts
    np.testing.assert_array_equal(idx, block_indices(10, block_days=4, n_boot=200, seed=0))


def test_every_run_of_days_starts_at_a_block_start_whatever_the_remainder():
    """Blocks are fixed (no random start, no wrap): each run of consecutive days in a resample
    begins at one of the blocks' first days."""
    for n_days, block_days in ((10, 4), (7, 3), (30, 20), (9, 9), (103, 20)):
        block = min(block_days, n_days)
        starts = set(range(0, (n_days // block) * block, block))
        for row in block_indices(n_days, block_days=block_days, n_boot=300, seed=1):
            breaks = np.flatnonzero(np.diff(row) != 1) + 1
            assert {int(row[0]), *row[breaks].tolist()} <= starts, (n_days, block_days)


def test_every_day_is_drawn_equally_often_the_first_and_last_included():
    """The moving-block bootstrap draws the edge days less often; these blocks do not."""
    idx = block_indices(100, block_days=20, n_boot=4000, seed=2)
    counts = np.bincount(idx.ravel(), minlength=100) / 4000
    assert abs(counts[:5].mean() - 1) < 0.08 and abs(counts[-5:].mean() - 1) < 0.08
    # With a remainder (103 = 4 x 20 + 23) the cut at n_days shaves block ends a little: edge days
    # stay within 10% (moving blocks would draw the first day about 1/20 as often as the middle).
    counts = np.bincount(block_indices(103, block_days=20, n_boot=4000, seed=2).ravel(), minlength=103) / 4000
    assert np.abs(counts[[0, 1, 2, -3, -2, -1]] - 1).max() < 0.1


def test_a_block_as_long_as_the_sample_gives_the_sample_itself():
    for block_days in (6, 20):
        idx = block_indices(6, block_days=block_days, n_boot=5, seed=3)
        np.testing.assert_array_equal(idx, np.tile(np.arange(6), (5, 1)))


def test_block_for_horizon_covers_twice_the_label_horizon():
    assert block_for_horizon(20, 1) == 20 and block_for_horizon(20, 10) == 20
    assert block_for_horizon(20, 15) == 30 and block_for_horizon(5, 5) == 10
    with pytest.raises(ValueError, match="Expected horizon an integer >= 1, got 0"):
        block_for_horizon(20, 0)
    with pytest.raises(ValueError, match="Expected block_days an integer >= 1, got 0"):
        block_for_horizon(0, 5)


def test_fast_metrics_equal_their_definitions(rng):
    f = _frame(rng, 0.5)
    assert macro_f1_of(f) == pytest.approx(_macro_f1(f))
    assert mcc_of(f) == pytest.approx(_mcc(f))
    assert rank_ic_of(f) == pytest.approx(_rank_ic(f))
    _, noisy = _pair()  # the frame's own score ranks every day perfectly: an ICIR of 0 spread
    assert np.isfinite(_icir(noisy)) and icir_of(noisy) == pytest.approx(_icir(noisy))
    assert move_auroc_of(f) == _move_auroc(f) and direction_auroc_of(f) == _direction_auroc(f)


def _brute_pair_counts(target, score, day, n_days):
    out = np.zeros((n_days, n_days))
    for i in np.flatnonzero(target):
        for j in np.flatnonzero(~target):
            out[day[i], day[j]] += 1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0
    return out


@pytest.mark.parametrize("n_rows,n_days,decimals", [(1, 1, 2), (300, 7, 1), (700, 13, 2), (129, 3, 0)])
def test_pair_counts_equal_counting_every_pair(rng, n_rows, n_days, decimals):
    target = rng.uniform(size=n_rows) < 0.4
    score = rng.uniform(size=n_rows).round(decimals)  # ties within and across the chunks of 128 rows
    day = rng.integers(0, n_days, size=n_rows)
    np.testing.assert_array_equal(pair_counts(target, score, day, n_days),
                                  _brute_pair_counts(target, score, day, n_days))


@pytest.mark.parametrize("decimals", [None, 1])
@pytest.mark.parametrize("fast,slow", [(move_auroc_of, _move_auroc), (direction_auroc_of, _direction_auroc)])
def test_auroc_fast_path_equals_generic_resample_frame_path(fast, slow, decimals):
    f = _frame(np.random.default_rng(5), 0.5, n_days=12, n_tickers=6)
    if decimals is not None:  # ties: a probability grid, as a coarse or constant model makes
        p_up = f["p_up"].round(decimals)
        f = f.assign(p_up=p_up, p_down=(1 - p_up) / 2, p_none=(1 - p_up) / 2)
    idx = block_indices(12, block_days=3, n_boot=40, seed=6)
    slow_values = [slow(resample_frame(f, row)) for row in idx]
    np.testing.assert_allclose(fast.resampled(f, idx), slow_values, rtol=1e-12)
    assert bootstrap_ci(f, fast, n_boot=40, block_days=3, seed=6) == pytest.approx(
        bootstrap_ci(f, slow, n_boot=40, block_days=3, seed=6))


def test_auroc_of_a_resample_without_a_class_is_nan():
    p_up = np.array([0.5, 0.3, 0.4, 0.6])
    f = pd.DataFrame({"date": ["d1", "d1", "d2", "d2"], "ticker": ["A", "B"] * 2, "p_down": 0.7 - p_up, "p_none": 0.3,
                      "p_up": p_up, "pred": 2, "label": [1, 1, 2, 0], "fwd_return": 0.0})
    values = move_auroc_of.resampled(f, np.array([[0, 0], [1, 1], [0, 1]]))
    assert np.isnan(values[:2]).all() and values[2] == pytest.approx(_move_auroc(f))
    assert np.isnan(direction_auroc_of.resampled(f, np.array([[0, 0]]))).all()


def test_resample_frame_treats_a_repeated_day_as_a_new_day(rng):
    f = _frame(rng, 0.5, n_days=3, n_tickers=4)
    out = resample_frame(f, np.array([2, 2, 0]))
    assert len(out) == 12 and out["date"].nunique() == 3
    assert out["date"].iloc[0] == "2020-01-03#00000" and out["date"].iloc[4] == "2020-01-03#00001"
    np.testing.assert_array_equal(out["label"].iloc[:4], f["label"].iloc[8:])
    np.testing.assert_array_equal(out["label"].iloc[8:], f["label"].iloc[:4])


def test_identical_frames_give_zero(rng):
    f = _frame(rng, 0.3)
    for metric in (macro_f1_of, mcc_of, rank_ic_of, move_auroc_of, direction_auroc_of, _macro_f1):
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


@pytest.mark.parametrize("fast,slow", [(macro_f1_of, _macro_f1), (mcc_of, _mcc), (rank_ic_of, _rank_ic),
                                       (move_auroc_of, _move_auroc), (direction_auroc_of, _direction_auroc)])
def test_fast_path_equals_generic_path(fast, slow):
    a, b = _pair(n_days=15, n_tickers=5, better=0.6, worse=0.4)
    fast_res = paired_block_bootstrap(a, b, fast, n_boot=30, block_days=4, seed=3)
    slow_res = paired_block_bootstrap(a, b, slow, n_boot=30, block_days=4, seed=3)
    assert fast_res == pytest.approx(slow_res)
    assert bootstrap_ci(a, fast, n_boot=30, block_days=4, seed=3) == pytest.approx(
        bootstrap_ci(a, slow, n_boot=30, block_days=4, seed=3))


def test_icir_fast_path_equals_generic_path():
    _, b = _pair(n_days=15, n_tickers=5, better=0.6, worse=0.4)
    c = b.assign(p_up=np.random.default_rng(7).permutation(b["p_up"].to_numpy()))
    c["p_down"] = c["p_none"] = (1 - c["p_up"]) / 2
    fast_res = paired_block_bootstrap(b, c, icir_of, n_boot=30, block_days=4, seed=3)
    assert np.isfinite(fast_res["diff"])
    assert fast_res == pytest.approx(paired_block_bootstrap(b, c, _icir, n_boot=30, block_days=4, seed=3))


def test_deterministic_for_a_seed(rng):
    a, b = _pair()
    first = paired_block_bootstrap(a, b, rank_ic_of, n_boot=100, seed=4)
    assert first == paired_block_bootstrap(a, b, rank_ic_of, n_boot=100, seed=4)
    assert first != paired_block_bootstrap(a, b, rank_ic_of, n_boot=100, seed=5)
    ci = bootstrap_ci(a, rank_ic_of, n_boot=100, seed=4)
    assert ci == bootstrap_ci(a, rank_ic_of, n_boot=100, seed=4)
    assert ci["lo"] <= ci["value"] <= ci["hi"] and ci["value"] > 0.2


def test_block_bootstrap_resamples_whole_rows_in_fixed_non_overlapping_blocks():
    """The resamples the statistic sees, checked against the scheme as stated, not against
    ``block_indices``: 12 rows in blocks of 3 are the blocks [0, 1, 2], [3, 4, 5], [6, 7, 8] and
    [9, 10, 11]; a resample is four of them drawn uniformly with replacement, each whole (no
    wrap-around, no start between block starts), so every row is drawn once per resample on average."""
    rows = np.arange(12.0)
    seen = []

    def mean(stack):
        seen.append(stack)
        return stack[..., 0].mean(axis=1)

    res = block_bootstrap(np.column_stack([rows, -rows]), mean, block=3, n_boot=2000, seed=2)
    stack = seen[0]
    assert stack.shape == (2000, 12, 2)
    np.testing.assert_array_equal(stack[..., 1], -stack[..., 0])  # rows stay whole: columns move together
    drawn = stack[..., 0].astype(int).reshape(2000, 4, 3)  # each resample as its four drawn blocks
    np.testing.assert_array_equal(drawn, drawn[..., :1] + np.arange(3))
    assert (drawn[..., 0] % 3 == 0).all()
    counts = np.bincount(drawn.ravel(), minlength=12) / 2000
    np.testing.assert_allclose(counts, 1.0, atol=0.1)
    means = stack[..., 0].mean(axis=1)
    assert res == {"value": 5.5, "lo": np.quantile(means, 0.025), "hi": np.quantile(means, 0.975), "n_boot": 2000}
    with pytest.raises(ValueError, match="Expected block an integer >= 1, got 0"):
        block_bootstrap(rows, np.mean, block=0)


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
    with pytest.raises(ValueError, match="a date on every row, got 1 rows without one"):
        bootstrap_ci(a.assign(date=a["date"].where(a.index != 3)), macro_f1_of)
