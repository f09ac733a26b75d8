import numpy as np
import pytest

from stgnn.classes import DOWN, NONE, UP
from stgnn.evaluation.metrics import classification_metrics
from stgnn.training.thresholds import (DecisionThresholds, apply_thresholds, argmax_predict, grid_confusion,
                                       tune_thresholds)


def thresholds(down, up):
    return DecisionThresholds(down=down, up=up, objective="macro_f1", value=0.0)


def timid_model(rng, n=3000):
    """Informative probabilities pulled towards None, so argmax rarely says Down or Up."""
    y = rng.choice(3, size=n, p=[0.25, 0.5, 0.25])
    logits = 1.2 * np.eye(3)[y] + np.array([0.0, 1.0, 0.0]) + rng.normal(0.0, 0.8, (n, 3))
    proba = np.exp(logits)
    return y, proba / proba.sum(axis=1, keepdims=True)


def uninformative_model(n=300):
    """The same probabilities on every row: Down and Up are never both predicted."""
    return np.arange(n) % 3, np.tile([0.3, 0.4, 0.3], (n, 1))


def test_apply_thresholds_by_hand():
    rows = [
        [0.125, 0.75, 0.125],  # both margins negative -> None
        [0.5, 0.25, 0.25],  # m_down 0.25 > m_up -0.25 -> Down
        [0.25, 0.25, 0.5],  # m_down == m_up == 0: a tie -> None
        [0.25, 0.125, 0.625],  # m_up 0.125 > m_down 0 -> Up
        [0.375, 0.0, 0.625],  # m_down 0.125 == m_up 0.125 -> None
        [0.375, 0.5, 0.125],  # m_down 0.125 >= 0 > m_up -> Down
    ]
    assert apply_thresholds(rows, thresholds(0.25, 0.5)).tolist() == [NONE, DOWN, NONE, UP, NONE, DOWN]


def test_argmax_predict_breaks_ties_towards_lower_class():
    assert argmax_predict([[0.1, 0.2, 0.7], [0.4, 0.4, 0.2], [0.2, 0.4, 0.4]]).tolist() == [UP, DOWN, NONE]


def test_grid_confusion_equals_applying_each_grid_point():
    rng = np.random.default_rng(0)
    proba = rng.multinomial(20, [0.3, 0.4, 0.3], size=300) / 20  # coarse: many exact ties
    y = rng.integers(0, 3, 300)
    grid = np.arange(21) / 20
    confusion = grid_confusion(y, proba, grid, grid)
    for i, t_down in enumerate(grid):
        for j, t_up in enumerate(grid):
            pred = apply_thresholds(proba, thresholds(t_down, t_up))
            assert confusion[i, j].tolist() == classification_metrics(y, pred)["confusion_matrix"]


def test_tuned_thresholds_beat_argmax_and_report_their_value():
    y, proba = timid_model(np.random.default_rng(1))
    tuned = tune_thresholds(y, proba)
    argmax_f1 = classification_metrics(y, argmax_predict(proba))["macro_f1"]
    tuned_f1 = classification_metrics(y, apply_thresholds(proba, tuned))["macro_f1"]
    assert tuned.feasible and tuned.objective == "macro_f1"
    assert tuned_f1 == pytest.approx(tuned.value)
    assert tuned_f1 > argmax_f1 + 0.05


def test_tuned_value_is_the_grid_maximum():
    rng = np.random.default_rng(2)
    proba = rng.multinomial(10, [0.3, 0.4, 0.3], size=200) / 10
    y = rng.integers(0, 3, 200)
    grid = np.arange(11) / 10
    best = max(
        classification_metrics(y, apply_thresholds(proba, thresholds(d, u)))["macro_f1"] for d in grid for u in grid
    )
    assert tune_thresholds(y, proba, grid=(grid, grid)).value == pytest.approx(best)


def test_recall_at_precision_respects_the_floor():
    y, proba = timid_model(np.random.default_rng(3))
    tuned = tune_thresholds(y, proba, objective="recall_at_precision", min_precision=0.6)
    per_class = classification_metrics(y, apply_thresholds(proba, tuned))["per_class"]
    assert tuned.feasible
    assert per_class["Down"]["precision"] >= 0.6 and per_class["Up"]["precision"] >= 0.6
    assert tuned.value == pytest.approx((per_class["Down"]["recall"] + per_class["Up"]["recall"]) / 2)


def test_fnr_objective_meets_the_target():
    y, proba = timid_model(np.random.default_rng(4))
    tuned = tune_thresholds(y, proba, objective="fnr", fnr_target=0.3)
    m = classification_metrics(y, apply_thresholds(proba, tuned))
    assert tuned.feasible
    assert m["per_class"]["Down"]["fnr"] <= 0.3 and m["per_class"]["Up"]["fnr"] <= 0.3
    assert tuned.value == pytest.approx(m["macro_f1"])


@pytest.mark.parametrize(
    ("objective", "setting"), [("recall_at_precision", {"min_precision": 0.5}), ("fnr", {"fnr_target": 0.3})]
)
def test_infeasible_objectives_fall_back_to_best_macro_f1(objective, setting):
    y, proba = uninformative_model()
    tuned = tune_thresholds(y, proba, objective=objective, **setting)
    best_f1 = tune_thresholds(y, proba)
    assert not tuned.feasible and tuned.objective == objective
    assert (tuned.down, tuned.up) == (best_f1.down, best_f1.up)


def test_save_load_round_trip(tmp_path):
    tuned = tune_thresholds(*timid_model(np.random.default_rng(5), n=500), objective="fnr")
    path = tmp_path / "fold_0" / "thresholds.json"
    tuned.save(path)
    assert DecisionThresholds.load(path) == tuned
    assert list(path.parent.iterdir()) == [path]


def test_decision_thresholds_refuse_bad_values():
    with pytest.raises(ValueError, match=r"threshold up in \[0, 1\], got 1.5"):
        DecisionThresholds(down=0.3, up=1.5, objective="macro_f1", value=0.4)
    with pytest.raises(ValueError, match="objective in"):
        DecisionThresholds(down=0.3, up=0.3, objective="accuracy", value=0.4)
    with pytest.raises(ValueError, match=r"unknown \['t_up'\], missing \['up'\]"):
        DecisionThresholds.from_dict({"down": 0.3, "t_up": 0.3, "objective": "macro_f1", "value": 0.4})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"objective": "auc"}, "objective in"),
        ({"min_precision": 1.5}, r"min_precision in \[0, 1\]"),
        ({"fnr_target": -0.1}, r"fnr_target in \[0, 1\]"),
        ({"grid": ([0.2, 1.2], [0.5])}, "t_down candidates"),
        ({"grid": ([0.2], [])}, "t_up candidates"),
    ],
)
def test_tune_thresholds_refuses_bad_arguments(kwargs, match):
    y, proba = uninformative_model(30)
    with pytest.raises(ValueError, match=match):
        tune_thresholds(y, proba, **kwargs)


def test_tune_thresholds_refuses_mismatched_inputs():
    y, proba = uninformative_model(30)
    with pytest.raises(ValueError, match="of one length"):
        tune_thresholds(y[:-1], proba)
    with pytest.raises(ValueError, match=r"y_true in \{0, 1, 2\}"):
        tune_thresholds(y - 1, proba)
