import numpy as np

from stgnn.config import LossConfig
from stgnn.training import imbalance


def test_balanced_class_weights_from_what_the_loss_sees():
    np.testing.assert_allclose(imbalance.balanced_class_weights([10, 80, 10]), [10 / 3, 100 / 240, 10 / 3])
    # Once SMOTE has balanced the classes, balanced weights are 1: nothing is counted twice.
    np.testing.assert_allclose(imbalance.balanced_class_weights([50, 50, 50]), [1, 1, 1])


def test_day_sampler_prefers_days_with_moves():
    y = np.array([[1, 1, 1, 1], [0, 1, 1, 2], [1, 1, 1, -1]])
    p = imbalance.day_sampling_weights(y)
    assert np.isclose(p.sum(), 1) and p[1] > p[0] and p[1] > p[2]
    seen = imbalance.expected_counts(y, p)
    uniform = imbalance.expected_counts(y, None)
    assert uniform.tolist() == [1, 9, 1]
    np.testing.assert_allclose(seen.sum(), 3 * (p * [4, 4, 3]).sum())  # 3 days drawn per epoch
    assert seen[0] / seen.sum() > uniform[0] / uniform.sum()


def test_hard_negatives_are_none_rows_just_under_theta():
    y = np.array([[1, 1, 1, 2]])
    fwd = np.array([[0.017, 0.005, -0.016, 0.03]])
    theta = np.full_like(fwd, 0.018)
    w = imbalance.hard_negative_weights(y, fwd, theta, LossConfig(hard_negative_weight=2.0, hard_negative_band=0.8))
    assert w.tolist() == [[2.0, 1.0, 2.0, 1.0]]


def test_dynamic_alpha_ramps_linearly_then_holds():
    cfg = LossConfig(focal_alpha=0.5, dynamic_alpha=True, max_focal_alpha=0.75, alpha_ramp_epochs=5)
    assert [round(imbalance.alpha_at(cfg, e), 3) for e in (0, 1, 5, 9)] == [0.5, 0.55, 0.75, 0.75]
    assert imbalance.alpha_at(LossConfig(focal_alpha=0.3), 7) == 0.3


def test_plan_multiplies_every_mechanism_once():
    plan = imbalance.ImbalancePlan(
        loss="focal", alpha=0.25, gamma=2.0, counts_before_smote=np.array([10, 80, 10]),
        counts_after_smote=np.array([40, 80, 40]), smote_note="", sampler=False,
        seen=np.array([40.0, 80.0, 40.0]), class_weights=np.array([4 / 3, 2 / 3, 4 / 3]),
        hard_negative_mean=np.array([1.0, 1.5, 1.0]),
    )
    np.testing.assert_allclose(plan.effective_weight, [4 / 3 * 0.25, 2 / 3 * 0.75 * 1.5, 4 / 3 * 0.25])
    np.testing.assert_allclose(plan.loss_share.sum(), 1.0)
    text = "\n".join(plan.lines())
    assert "DOWN-weights Down and Up" in text and "effective weight" in text
    assert plan.to_dict()["effective_weight"]["None"] == 0.75
