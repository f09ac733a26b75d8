import pytest
import torch
import torch.nn.functional as F

from stgnn.classes import DOWN, NONE, UP
from stgnn.models.losses import FocalLoss, WeightedFocalLoss, alpha_vector, focal_loss


def random_batch(seed: int = 0, n: int = 32, c: int = 3):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, generator=gen) * 3
    target = torch.randint(0, c, (n,), generator=gen)
    return logits, target


@pytest.mark.parametrize("seed", range(3))
def test_gamma_zero_without_alpha_is_cross_entropy(seed):
    logits, target = random_batch(seed)
    loss = focal_loss(logits, target, gamma=0.0)
    torch.testing.assert_close(loss, F.cross_entropy(logits, target), atol=1e-6, rtol=0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_gamma_zero_is_weighted_cross_entropy(reduction):
    logits, target = random_batch(1)
    w = torch.tensor([3.0, 0.5, 2.0])
    expected = F.cross_entropy(logits, target, weight=w, reduction=reduction)
    torch.testing.assert_close(
        focal_loss(logits, target, gamma=0.0, weight=w, reduction=reduction),
        expected, atol=1e-6, rtol=1e-6,
    )
    module = WeightedFocalLoss(w, gamma=0.0, reduction=reduction)
    torch.testing.assert_close(module(logits, target), expected, atol=1e-6, rtol=1e-6)


def test_reductions_agree():
    logits, target = random_batch(2)
    alpha = [0.7, 0.2, 0.9]
    none = focal_loss(logits, target, alpha=alpha, reduction="none")
    assert none.shape == (32,)
    assert bool((none >= 0).all())
    torch.testing.assert_close(focal_loss(logits, target, alpha=alpha, reduction="sum"), none.sum())
    torch.testing.assert_close(focal_loss(logits, target, alpha=alpha), none.mean())
    w = torch.tensor([2.0, 1.0, 4.0])
    none_w = focal_loss(logits, target, alpha=alpha, weight=w, reduction="none")
    torch.testing.assert_close(
        focal_loss(logits, target, alpha=alpha, weight=w), none_w.sum() / w[target].sum()
    )


def test_focal_never_exceeds_cross_entropy():
    logits, target = random_batch(3, n=256)
    ce = F.cross_entropy(logits, target, reduction="none")
    for gamma in (0.5, 1.0, 2.0, 5.0):
        fl = focal_loss(logits, target, gamma=gamma, reduction="none")
        assert bool((fl <= ce + 1e-7).all())


def test_gamma_focuses_on_hard_examples():
    logits = torch.tensor([[-2.0, 0.0, 4.0], [-2.0, 0.0, 4.0]])
    target = torch.tensor([UP, DOWN])  # the first is easy (p_t ~ 0.98), the second hard
    losses = torch.stack(
        [focal_loss(logits, target, gamma=g, reduction="none") for g in (0.0, 1.0, 2.0, 3.0, 4.0)]
    )
    easy, hard = losses[:, 0], losses[:, 1]
    assert bool((easy.diff() < 0).all())
    assert easy[-1] / easy[0] < 1e-6
    assert hard[-1] / hard[0] > 0.99


def test_per_class_alpha_lands_on_true_class():
    logits, target = random_batch(4)
    loss = focal_loss(logits, target, alpha=[0.0, 0.0, 1.0], reduction="none")
    base = focal_loss(logits, target, reduction="none")
    assert bool((loss[target != UP] == 0).all())
    torch.testing.assert_close(loss[target == UP], base[target == UP])


def test_float_alpha_vector():
    vec = alpha_vector(0.25)
    assert vec[NONE].item() == pytest.approx(0.75)
    assert vec[DOWN].item() == pytest.approx(0.25)
    assert vec[UP].item() == pytest.approx(0.25)
    assert alpha_vector(None) is None
    torch.testing.assert_close(alpha_vector([1, 2, 3]), torch.tensor([1.0, 2.0, 3.0]))


def test_float_alpha_half_is_neutral_up_to_a_half():
    logits, target = random_batch(5)
    torch.testing.assert_close(
        focal_loss(logits, target, alpha=0.5), 0.5 * focal_loss(logits, target)
    )


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0])
def test_finite_for_huge_logits(gamma):
    logits = torch.tensor(
        [[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [1e4, -1e4, 1e4], [0.0, 0.0, 0.0]], requires_grad=True
    )
    target = torch.tensor([DOWN, UP, NONE, UP])  # confidently right, wrong, wrong, unsure
    loss = focal_loss(
        logits, target, alpha=[0.3, 0.4, 0.3], gamma=gamma, weight=torch.tensor([1.0, 2.0, 1.0]),
        reduction="none",
    )
    assert bool(torch.isfinite(loss).all())
    assert loss[0].item() == 0.0
    assert loss[1].item() == pytest.approx(0.3 * 2e4)
    loss.sum().backward()
    assert bool(torch.isfinite(logits.grad).all())


def test_sample_weight_scales_and_mean_divides():
    logits, target = random_batch(6)
    sw = torch.rand(32, generator=torch.Generator().manual_seed(6)) * 3
    w = torch.tensor([2.0, 0.5, 1.5])
    plain = focal_loss(logits, target, weight=w, reduction="none")
    scaled = focal_loss(logits, target, weight=w, sample_weight=sw, reduction="none")
    torch.testing.assert_close(scaled, plain * sw)
    torch.testing.assert_close(
        focal_loss(logits, target, weight=w, sample_weight=sw),
        scaled.sum() / (w[target] * sw).sum(),
    )
    torch.testing.assert_close(
        FocalLoss()(logits, target, sample_weight=sw),
        focal_loss(logits, target, reduction="none").mul(sw).sum() / sw.sum(),
    )


@pytest.mark.parametrize(
    ("alpha", "match"),
    [
        ([0.5, -0.1, 0.5], "alpha >= 0"),
        (1.5, r"float alpha in \(0, 1\)"),
        (0.0, r"float alpha in \(0, 1\)"),
        (float("nan"), r"float alpha in \(0, 1\)"),
        ([0.5, float("nan"), 0.5], "finite alpha"),
        ([0.5, 0.5], "sequence of 3 per-class"),
        ([0.0, 0.0, 0.0], "not all zero"),
    ],
)
def test_invalid_alpha(alpha, match):
    with pytest.raises(ValueError, match=match):
        alpha_vector(alpha)
    with pytest.raises(ValueError, match=match):
        focal_loss(*random_batch(), alpha=alpha)


def test_float_alpha_needs_three_classes():
    with pytest.raises(ValueError, match="pass a per-class sequence of length 2"):
        alpha_vector(0.25, n_classes=2)
    with pytest.raises(ValueError, match="pass a per-class sequence"):
        focal_loss(*random_batch(c=2), alpha=0.25)


@pytest.mark.parametrize("gamma", [-1.0, float("nan"), float("inf")])
def test_invalid_gamma(gamma):
    with pytest.raises(ValueError, match="gamma >= 0"):
        FocalLoss(gamma=gamma)
    with pytest.raises(ValueError, match="gamma >= 0"):
        focal_loss(*random_batch(), gamma=gamma)


def test_invalid_reduction():
    with pytest.raises(ValueError, match="reduction in"):
        FocalLoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction in"):
        focal_loss(*random_batch(), reduction="avg")


def test_invalid_inputs():
    logits, target = random_batch()
    with pytest.raises(ValueError, match=r"logits of shape \(N, C\)"):
        focal_loss(logits[0], target)
    with pytest.raises(ValueError, match=r"target of shape \(32,\)"):
        focal_loss(logits, target[:-1])
    with pytest.raises(ValueError, match="dtype torch.int64"):
        focal_loss(logits, target.float())
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        focal_loss(logits, torch.full((32,), 3))
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        focal_loss(logits, torch.full((32,), -1))
    with pytest.raises(ValueError, match="sample_weight of shape"):
        focal_loss(logits, target, sample_weight=torch.ones(31))
    with pytest.raises(ValueError, match="sample_weight >= 0"):
        focal_loss(logits, target, sample_weight=-torch.ones(32))
    with pytest.raises(ValueError, match="sequence of 3 per-class"):
        focal_loss(logits, target, weight=[1.0, 1.0])


def test_invalid_class_weights():
    with pytest.raises(ValueError, match="finite class_weights >= 0"):
        WeightedFocalLoss([1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="not all zero"):
        WeightedFocalLoss([0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="same length"):
        WeightedFocalLoss([1.0, 1.0], alpha=0.25)


def test_set_alpha_changes_loss():
    logits, target = random_batch(7)
    loss_fn = FocalLoss(alpha=0.25)
    before = loss_fn(logits, target)
    loss_fn.set_alpha(0.75)
    torch.testing.assert_close(loss_fn.alpha, torch.tensor([0.75, 0.25, 0.75]))
    assert not torch.isclose(loss_fn(logits, target), before)
    loss_fn.set_alpha(None)
    torch.testing.assert_close(loss_fn(logits, target), focal_loss(logits, target))
    with pytest.raises(ValueError, match="alpha"):
        loss_fn.set_alpha(-0.5)


def test_buffers_follow_dtype_and_repr():
    loss_fn = WeightedFocalLoss([2.0, 0.5, 2.0], alpha=0.25, gamma=1.5).to(torch.float64)
    assert loss_fn.alpha.dtype == torch.float64
    assert loss_fn.class_weights.dtype == torch.float64
    loss_fn.set_alpha([1.0, 1.0, 2.0])
    assert loss_fn.alpha.dtype == torch.float64
    logits, target = random_batch(8)
    assert loss_fn(logits.double(), target).dtype == torch.float64
    assert "class_weights" in dict(loss_fn.named_buffers())
    assert repr(loss_fn) == (
        "WeightedFocalLoss(class_weights=[2.0, 0.5, 2.0], alpha=[1.0, 1.0, 2.0], "
        "gamma=1.5, reduction='mean')"
    )
    assert repr(FocalLoss()) == "FocalLoss(alpha=None, gamma=2.0, reduction='mean')"
