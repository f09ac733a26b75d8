import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

from stgnn.classes import CLASS_NAMES, DOWN, NONE, UP
from stgnn.evaluation.metrics import (
    call_hit_rate,
    classification_metrics,
    daily_information_coefficients,
    daily_quantile_returns,
    information_coefficients,
    prediction_metrics,
    ranking_metrics,
    score_metrics,
)


def random_frame(rng, n_days=6, n_tickers=8):
    """A valid predictions frame with probabilities rounded to 0.1, so scores tie."""
    n = n_days * n_tickers
    counts = rng.multinomial(10, [0.3, 0.4, 0.3], size=n)
    proba = counts / 10
    return pd.DataFrame({
        "date": np.repeat([f"2024-01-{d + 2:02d}" for d in range(n_days)], n_tickers),
        "ticker": np.tile([f"T{t}" for t in range(n_tickers)], n_days),
        "p_down": proba[:, DOWN],
        "p_none": proba[:, NONE],
        "p_up": proba[:, UP],
        "pred": proba.argmax(axis=1),
        "label": rng.integers(0, 3, n),
        "fwd_return": rng.normal(0.0, 0.02, n),
    })


def frame_from_scores(dates, tickers, scores, labels, fwd_return=None):
    """Probabilities with ``p_up - p_down == score`` and ``p_none == 1/3``."""
    scores = np.asarray(scores, dtype=float)
    return pd.DataFrame({
        "date": dates,
        "ticker": tickers,
        "p_down": 1 / 3 - scores / 2,
        "p_none": np.full(len(scores), 1 / 3),
        "p_up": 1 / 3 + scores / 2,
        "pred": np.full(len(scores), NONE),
        "label": labels,
        "fwd_return": np.zeros(len(scores)) if fwd_return is None else fwd_return,
    })


@pytest.mark.parametrize("seed", range(5))
def test_classification_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 3, 200)
    y_pred = np.where(rng.random(200) < 0.5, y_true, rng.integers(0, 3, 200))
    m = classification_metrics(y_true, y_pred)
    labels = [DOWN, NONE, UP]
    assert m["macro_f1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert m["mcc"] == pytest.approx(skm.matthews_corrcoef(y_true, y_pred))
    assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y_true, y_pred))
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert m["confusion_matrix"] == skm.confusion_matrix(y_true, y_pred, labels=labels).tolist()
    precision, recall, f1, support = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels)
    for c, name in enumerate(CLASS_NAMES):
        row = m["per_class"][name]
        assert row["precision"] == pytest.approx(precision[c])
        assert row["recall"] == pytest.approx(recall[c])
        assert row["f1"] == pytest.approx(f1[c])
        assert row["fnr"] == pytest.approx(1 - recall[c])
        assert row["support"] == support[c]
        negatives = y_true != c
        assert row["fpr"] == pytest.approx(np.mean(y_pred[negatives] == c))


def test_classification_metrics_absent_class_is_zero_without_warnings():
    y_true = np.array([0, 0, 1, 1, 1])
    y_pred = np.array([0, 1, 1, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = classification_metrics(y_true, y_pred)
    assert m["confusion_matrix"] == [[1, 1, 0], [1, 2, 0], [0, 0, 0]]
    assert m["per_class"]["Up"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "fpr": 0.0, "fnr": 0.0, "support": 0}
    assert m["macro_f1"] == pytest.approx(
        skm.f1_score(y_true, y_pred, average="macro", labels=[0, 1, 2], zero_division=0)
    )
    assert m["balanced_accuracy"] == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_classification_metrics_constant_prediction_has_zero_mcc():
    assert classification_metrics([0, 1, 2], [1, 1, 1])["mcc"] == 0.0


def test_score_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    proba = rng.dirichlet([1, 1, 1], 300) + np.eye(3)[y] * 0.5
    proba /= proba.sum(axis=1, keepdims=True)
    m = score_metrics(y, proba)
    assert m["auc_pr_down"] == pytest.approx(skm.average_precision_score(y == DOWN, proba[:, DOWN]))
    assert m["auc_pr_up"] == pytest.approx(skm.average_precision_score(y == UP, proba[:, UP]))
    assert m["auroc_down"] == pytest.approx(skm.roc_auc_score(y == DOWN, proba[:, DOWN]))
    assert m["auroc_up"] == pytest.approx(skm.roc_auc_score(y == UP, proba[:, UP]))
    assert m["auc_pr_mean"] == pytest.approx((m["auc_pr_down"] + m["auc_pr_up"]) / 2)
    assert m["auroc_mean"] == pytest.approx((m["auroc_down"] + m["auroc_up"]) / 2)
    move = proba[:, DOWN] + proba[:, UP]
    assert m["auroc_move"] == pytest.approx(skm.roc_auc_score(y != NONE, move))
    directional = y != NONE
    assert m["auroc_direction"] == pytest.approx(
        skm.roc_auc_score(y[directional] == UP, proba[directional, UP] / move[directional])
    )


def test_score_metrics_absent_class_is_nan():
    proba = np.array([[0.2, 0.5, 0.3], [0.1, 0.6, 0.3], [0.1, 0.3, 0.6]])
    m = score_metrics([1, 1, 2], proba)
    assert np.isnan(m["auroc_down"]) and np.isnan(m["auc_pr_down"]) and np.isnan(m["auroc_mean"])
    assert np.isnan(m["auroc_direction"])  # only Up among the moves
    assert m["auroc_up"] == 1.0


def two_day_frame():
    """Day 1: A .4 None, B .1 None, C -.2 Up, D .1 Up -> ranks A, B, D, C (B, D tie: B first).
    Day 2: A -.5 Up, B .3 Up, C 0 Down, D .6 None -> ranks D, B, C, A."""
    return frame_from_scores(
        dates=["d1"] * 4 + ["d2"] * 4,
        tickers=list("ABCD") * 2,
        scores=[0.4, 0.1, -0.2, 0.1, -0.5, 0.3, 0.0, 0.6],
        labels=[NONE, NONE, UP, UP, UP, UP, DOWN, NONE],
    )


def test_ranking_metrics_hand_computed():
    m = ranking_metrics(two_day_frame(), k=2)
    assert m["mrr"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    assert m["hits_at_k"] == pytest.approx(0.5)
    assert m["precision_at_k"] == pytest.approx((0 / 2 + 1 / 2) / 2)
    m = ranking_metrics(two_day_frame(), k=3)
    assert m["hits_at_k"] == 1.0
    assert m["precision_at_k"] == pytest.approx((1 / 3 + 1 / 3) / 2)


def test_ranking_metrics_do_not_depend_on_row_order():
    frame = two_day_frame()
    shuffled = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    assert ranking_metrics(shuffled, k=2) == ranking_metrics(frame, k=2)


def test_ranking_metrics_cap_k_and_skip_days_without_up():
    frame = frame_from_scores(
        dates=["d1", "d1", "d2", "d2", "d2"],
        tickers=["A", "B", "A", "B", "C"],
        scores=[0.1, 0.2, 0.3, 0.2, 0.1],
        labels=[UP, UP, NONE, DOWN, NONE],
    )
    m = ranking_metrics(frame, k=5)
    assert m["mrr"] == 1.0 and m["hits_at_k"] == 1.0  # d2 has no Up: left out
    assert m["precision_at_k"] == pytest.approx((2 / 2 + 0 / 3) / 2)


def test_ranking_metrics_without_up_days_are_nan():
    frame = frame_from_scores(["d1", "d1"], ["A", "B"], [0.1, 0.2], [NONE, DOWN])
    m = ranking_metrics(frame)
    assert np.isnan(m["mrr"]) and np.isnan(m["hits_at_k"]) and m["precision_at_k"] == 0.0


def test_information_coefficients_match_scipy():
    rng = np.random.default_rng(1)
    frame = random_frame(rng, n_days=5, n_tickers=7)
    short_day = frame_from_scores(["short"] * 2, ["A", "B"], [0.1, 0.2], [UP, DOWN], [0.01, 0.02])
    flat_day = frame_from_scores(["flat"] * 3, ["A", "B", "C"], [0.1, 0.2, 0.3], [UP, DOWN, NONE], [0.01] * 3)
    frame = pd.concat([frame, short_day, flat_day], ignore_index=True)
    score = frame["p_up"] - frame["p_down"]
    pearson, spearman = [], []
    for _, day in frame.groupby("date"):
        if day["date"].iloc[0] in ("short", "flat"):
            continue
        pearson.append(stats.pearsonr(score[day.index], day["fwd_return"]).statistic)
        spearman.append(stats.spearmanr(score[day.index], day["fwd_return"]).statistic)
    daily = daily_information_coefficients(frame)
    assert list(daily.index) == sorted(set(frame["date"]) - {"short", "flat"})
    np.testing.assert_allclose(daily["ic"], pearson)
    np.testing.assert_allclose(daily["rank_ic"], spearman)
    m = information_coefficients(frame)
    assert m["ic"] == pytest.approx(np.mean(pearson))
    assert m["rank_ic"] == pytest.approx(np.mean(spearman))
    assert m["icir"] == pytest.approx(np.mean(spearman) / np.std(spearman, ddof=1))
    assert m["n_ic_days"] == 5


def test_quantile_returns_are_per_day_demeaned_and_skip_thin_days():
    rng = np.random.default_rng(0)
    rows = []
    for day in range(30):
        n = 3 if day == 0 else 20  # day 0 has fewer tickers than quantiles: left out
        ret = rng.normal(0.01 * day, 0.02, n)  # a market move per day, which demeaning removes
        score = ret - 0.01 * day + rng.normal(0, 0.005, n)  # the score ranks the excess return
        rows += [{"date": f"d{day:02d}", "ticker": f"T{i}", "p_up": 0.5 + s / 2, "p_down": 0.5 - s / 2,
                  "fwd_return": r} for i, (s, r) in enumerate(zip(score, ret))]
    daily = daily_quantile_returns(pd.DataFrame(rows), 4)
    assert list(daily.columns) == [1, 2, 3, 4] and "d00" not in daily.index and len(daily) == 29
    np.testing.assert_allclose(daily.mean(axis=1), 0.0, atol=1e-12)  # equal counts per quantile: sums to 0
    assert (np.diff(daily.mean().to_numpy()) > 0).all()
    with pytest.raises(ValueError, match="n_quantiles >= 2"):
        daily_quantile_returns(pd.DataFrame(rows), 1)


def test_icir_is_nan_with_one_day():
    frame = frame_from_scores(["d1"] * 3, list("ABC"), [0.1, 0.2, 0.3], [UP, DOWN, NONE], [0.01, 0.03, 0.02])
    m = information_coefficients(frame)
    assert m["rank_ic"] == pytest.approx(0.5) and np.isnan(m["icir"])


def test_prediction_metrics_combines_everything_as_plain_json():
    frame = random_frame(np.random.default_rng(2))
    m = prediction_metrics(frame, k=3)
    expected = {
        "macro_f1", "mcc", "balanced_accuracy", "accuracy", "auc_pr_down", "auc_pr_up", "auroc_down",
        "auroc_up", "auc_pr_mean", "auroc_mean", "auroc_move", "auroc_direction", "mrr", "hits_at_k",
        "precision_at_k", "ic", "rank_ic", "icir", "per_class", "confusion_matrix", "n_rows", "n_days", "k",
    }
    assert expected <= set(m)
    assert (m["n_rows"], m["n_days"], m["k"]) == (48, 6, 3)
    assert m["macro_f1"] == classification_metrics(frame["label"], frame["pred"])["macro_f1"]
    assert m["mrr"] == ranking_metrics(frame, k=3)["mrr"]
    assert json.loads(json.dumps(m)) == m
    assert all(type(v) in (float, int, list, dict) for v in m.values())


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.drop(columns=["fwd_return", "ticker"]), r"missing \['ticker', 'fwd_return'\]"),
        (lambda f: f.iloc[:0], "at least one prediction row"),
        (lambda f: f.assign(p_down=f["p_down"] + 1.0), r"probabilities in \[0, 1\]"),
        (lambda f: f.assign(p_none=f["p_none"] * 0.5), "sum to 1"),
        (lambda f: f.assign(p_up=np.nan), r"probabilities in \[0, 1\]"),
        (lambda f: f.assign(label=f["label"].replace({0: 3})), r"label in \{0, 1, 2\}.*\[3\]"),
        (lambda f: f.assign(pred=-1), r"pred in \{0, 1, 2\}.*\[-1\]"),
        (lambda f: f.assign(fwd_return=np.inf), "finite fwd_return"),
        (lambda f: pd.concat([f, f.iloc[:1]]), "one row per"),
    ],
)
def test_prediction_metrics_refuse_invalid_frames(change, match):
    frame = random_frame(np.random.default_rng(3))
    with pytest.raises(ValueError, match=match):
        prediction_metrics(change(frame))


@pytest.mark.parametrize("k", [0, 2.5, True])
def test_ranking_metrics_refuse_bad_k(k):
    with pytest.raises(ValueError, match="Expected k an integer >= 1"):
        ranking_metrics(two_day_frame(), k=k)


def test_array_metrics_refuse_bad_inputs():
    with pytest.raises(ValueError, match="of one length"):
        classification_metrics([0, 1], [0])
    with pytest.raises(ValueError, match="at least one row"):
        classification_metrics([], [])
    with pytest.raises(ValueError, match=r"shape \(n_rows, 3\)"):
        score_metrics([0, 1], [[0.5, 0.5], [0.5, 0.5]])


def test_call_hit_rate_by_hand():
    # Up +2% right, Down -1% right, Down +3% wrong, Up 0% counted but neither, Up NaN not counted
    pred = [UP, DOWN, DOWN, UP, UP, NONE]
    fwd = [0.02, -0.01, 0.03, 0.0, np.nan, -0.05]
    assert call_hit_rate(pred, fwd) == (2 / 3, 4)
    rate, n = call_hit_rate([NONE, NONE], [0.01, -0.01])
    assert np.isnan(rate) and n == 0
