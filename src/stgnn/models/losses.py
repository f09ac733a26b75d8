r"""Focal loss for the Down / None / Up classifier.

:func:`focal_loss` does the work; :class:`FocalLoss` and :class:`WeightedFocalLoss` keep
``alpha``, ``gamma`` and the class weights as state and call it.

.. math::

    \mathrm{FL}(p_t) = -\,w_t\,\alpha_t\,(1 - p_t)^{\gamma}\,\log p_t

where :math:`t` is the true class of a sample, :math:`p_t` its predicted probability,
:math:`w_t` its class weight and :math:`\alpha_t` the alpha of its class.

A warning on alpha. In the binary focal loss of Lin et al. (2017), ``alpha`` weights the
*positive* class, and their ``alpha=0.25`` *down*-weights the rare class: the focusing term already
spends the gradient on it. Reading ``alpha=0.25`` as "up-weight the rare class" is the inversion
that collapsed onto None a model in one of the systems this project grew from. Here a float ``alpha=a`` gives Down and Up the factor
``a`` and None ``1 - a``, so ``a < 0.5`` *down*-weights the event classes, ``a = 0.5`` is neutral
(up to a constant factor 0.5) and ``a > 0.5`` up-weights Down and Up. A per-class sequence says
the same without a convention to remember: ``alpha[c]`` multiplies the loss of samples whose
*true* class is ``c``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from stgnn.classes import N_CLASSES, NONE

AlphaLike = float | Sequence[float] | Tensor | None
REDUCTIONS = ("mean", "sum", "none")


def _per_class(values: Sequence[float] | Tensor, n_classes: int | None, name: str) -> Tensor:
    """A 1-D float tensor of ``n_classes`` finite values >= 0, not all zero (any length if None)."""
    out = torch.as_tensor(values).detach().clone()
    if not out.is_floating_point():
        out = out.to(torch.get_default_dtype())
    if out.dim() != 1 or (n_classes is not None and out.numel() != n_classes):
        expected = "C" if n_classes is None else n_classes
        raise ValueError(
            f"Expected {name} as a sequence of {expected} per-class values, "
            f"got shape {tuple(out.shape)}."
        )
    if not bool(torch.isfinite(out).all()) or bool((out < 0).any()):
        raise ValueError(f"Expected finite {name} >= 0, got {out.tolist()}.")
    if not bool((out > 0).any()):
        raise ValueError(f"Expected {name} not all zero, got {out.tolist()}.")
    return out


def alpha_vector(alpha: AlphaLike, n_classes: int | None = N_CLASSES) -> Tensor | None:
    r"""Turn a focal ``alpha`` into one factor per class, or ``None`` for no alpha.

    Parameters
    ----------
    alpha : float, sequence of float, Tensor or None
        - ``None``: no alpha factor (neutral); returns ``None``.
        - a float ``a`` in ``(0, 1)``: the event classes Down and Up get ``a``, None gets
          ``1 - a``, i.e. ``[a, 1 - a, a]``. ``a = 0.5`` is neutral up to a constant factor 0.5;
          ``a < 0.5`` **down**-weights Down and Up, which is rarely wanted. Only defined for the
          three classes Down/None/Up.
        - a sequence of ``n_classes`` finite values >= 0 (not all zero): ``alpha[c]`` multiplies
          the loss of samples whose **true** class is ``c``.
    n_classes : int or None, default 3
        Number of classes. ``None`` accepts a sequence of any length (a float still means the
        three classes).

    Returns
    -------
    Tensor of shape (n_classes,) or None

    Raises
    ------
    ValueError
        If a float is outside ``(0, 1)`` or ``n_classes != 3``, or a sequence has the wrong
        length, a negative or non-finite value, or only zeros.

    Examples
    --------
    >>> alpha_vector(0.25)
    tensor([0.2500, 0.7500, 0.2500])
    >>> alpha_vector([1.0, 0.5, 1.0])
    tensor([1.0000, 0.5000, 1.0000])
    """
    if alpha is None:
        return None
    if isinstance(alpha, Real):
        a = float(alpha)
        if not 0 < a < 1:
            raise ValueError(f"Expected a float alpha in (0, 1), got {alpha}.")
        if n_classes not in (None, N_CLASSES):
            raise ValueError(
                f"A float alpha is defined for the {N_CLASSES} classes Down/None/Up, "
                f"got n_classes={n_classes}; pass a per-class sequence of length {n_classes}."
            )
        out = torch.full((N_CLASSES,), a)
        out[NONE] = 1 - a
        return out
    return _per_class(alpha, n_classes, "alpha")


def _check_gamma(gamma: float) -> float:
    g = float(gamma)
    if not (math.isfinite(g) and g >= 0):
        raise ValueError(f"Expected a finite focal gamma >= 0, got {gamma}.")
    return g


def _check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"Expected reduction in {REDUCTIONS}, got {reduction!r}.")
    return reduction


def focal_loss(
    logits: Tensor,
    target: Tensor,
    *,
    alpha: AlphaLike = None,
    gamma: float = 2.0,
    weight: Sequence[float] | Tensor | None = None,
    sample_weight: Tensor | None = None,
    reduction: str = "mean",
    check_values: bool = True,
) -> Tensor:
    r"""Multi-class focal loss, computed from ``log_softmax``.

    .. math::

        \mathrm{FL}_i = -\,s_i\,w_{t_i}\,\alpha_{t_i}\,(1 - p_{t_i})^{\gamma}\,\log p_{t_i}

    with :math:`\log p_t` taken from ``log_softmax`` and :math:`1 - p_t = -\mathrm{expm1}(\log
    p_t)`, so the loss and its gradient stay finite for logits of any size. ``gamma = 0`` drops
    the focusing term exactly and gives (alpha-weighted) cross-entropy.

    Parameters
    ----------
    logits : Tensor of shape (N, C)
        Unnormalised scores, classes in the order Down, None, Up.
    target : Tensor of shape (N,), int64
        True class of each sample, in ``[0, C)``.
    alpha : float, sequence of float, Tensor or None, default None
        Per-class factor on the loss of samples of that **true** class; a float ``a`` means
        ``[a, 1 - a, a]`` (Down, None, Up), so ``a < 0.5`` down-weights Down and Up. See
        :func:`alpha_vector`.
    gamma : float, default 2.0
        Focusing parameter, finite and >= 0.
    weight : sequence of float or Tensor of shape (C,), optional
        Class weights :math:`w_c`, as in :func:`torch.nn.functional.cross_entropy`.
    sample_weight : Tensor of shape (N,), optional
        Per-sample multiplier :math:`s_i` (finite, >= 0), e.g. to up-weight hard negatives.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-sample losses; ``"sum"`` their sum; ``"mean"`` their sum
        divided by :math:`\sum_i s_i w_{t_i}` (with 1 for an absent factor), the convention of
        weighted cross-entropy. Alpha is *not* in the denominator, so ``gamma=0``, no alpha and
        ``weight=w`` equals ``F.cross_entropy(logits, target, weight=w)``.
    check_values : bool, default True
        Check that targets lie in ``[0, C)`` and sample weights are finite and >= 0. Each check
        reads tensor values back to the host, which makes a GPU wait; a training loop whose
        labels and weights were checked once, when its batches were made, turns it off.

    Returns
    -------
    Tensor
        Of shape (N,) for ``reduction="none"``, else a scalar.

    Raises
    ------
    ValueError
        If a tensor has the wrong shape or dtype, a target lies outside ``[0, C)``, or
        ``alpha``, ``gamma``, ``weight``, ``sample_weight`` or ``reduction`` is invalid.

    Examples
    --------
    >>> logits = torch.tensor([[2.0, 0.0, -2.0], [0.0, 3.0, 0.0]])
    >>> target = torch.tensor([0, 1])
    >>> loss = focal_loss(logits, target, gamma=0.0)
    >>> torch.allclose(loss, F.cross_entropy(logits, target))
    True
    """
    gamma = _check_gamma(gamma)
    _check_reduction(reduction)
    _check_inputs(logits, target, sample_weight, check_values)
    weight = None if weight is None else _per_class(weight, logits.shape[1], "weight")
    return _focal(logits, target, alpha_vector(alpha, logits.shape[1]), gamma, weight, sample_weight, reduction)


def _check_inputs(logits: Tensor, target: Tensor, sample_weight: Tensor | None, check_values: bool) -> None:
    """Shapes and dtypes always (free); values only with ``check_values`` (a host sync on a GPU)."""
    if logits.dim() != 2 or not logits.is_floating_point():
        raise ValueError(
            f"Expected floating logits of shape (N, C), got {logits.dtype} "
            f"of shape {tuple(logits.shape)}."
        )
    n, c = logits.shape
    if target.shape != (n,) or target.dtype != torch.long:
        raise ValueError(
            f"Expected target of shape ({n},) and dtype torch.int64, got {target.dtype} "
            f"of shape {tuple(target.shape)}."
        )
    if sample_weight is not None and sample_weight.shape != (n,):
        raise ValueError(
            f"Expected sample_weight of shape ({n},), got {tuple(sample_weight.shape)}."
        )
    if not check_values:
        return
    if n and (bool(target.min() < 0) or bool(target.max() >= c)):
        raise ValueError(
            f"Expected target classes in [0, {c}), "
            f"got values in [{int(target.min())}, {int(target.max())}]."
        )
    if sample_weight is not None and (
        not bool(torch.isfinite(sample_weight).all()) or bool((sample_weight < 0).any())
    ):
        raise ValueError(
            "Expected finite sample_weight >= 0, got a negative or non-finite value."
        )


def _focal(logits: Tensor, target: Tensor, alpha_c: Tensor | None, gamma: float, weight: Tensor | None,
           sample_weight: Tensor | None, reduction: str) -> Tensor:
    """The arithmetic of :func:`focal_loss` on checked inputs (per-class tensors of length C)."""
    logp_t = F.log_softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
    loss = -logp_t
    if gamma != 0:
        # Clamping at the smallest normal number, not 0, keeps the derivative of x**gamma finite
        # for gamma < 1 where p_t == 1; the loss there is 0 either way.
        one_minus_p = (-torch.expm1(logp_t)).clamp_min(torch.finfo(logp_t.dtype).tiny)
        loss = loss * one_minus_p**gamma
    if alpha_c is not None:
        loss = loss * alpha_c.to(logits)[target]
    w = None if weight is None else weight.to(logits)[target]
    if sample_weight is not None:
        sample_weight = sample_weight.to(logits)
        w = sample_weight if w is None else w * sample_weight
    if w is not None:
        loss = loss * w
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if w is None else loss.sum() / w.sum()


class FocalLoss(nn.Module):
    r"""Focal loss with a fixed ``gamma`` and an adjustable ``alpha``; calls :func:`focal_loss`.

    .. math::

        \mathrm{FL}(p_t) = -\,\alpha_t\,(1 - p_t)^{\gamma}\,\log p_t

    Parameters
    ----------
    alpha : float, sequence of float, Tensor or None, default None
        ``None`` is neutral. A float ``a`` in ``(0, 1)`` gives Down and Up ``a`` and None
        ``1 - a``: ``a < 0.5`` **down**-weights Down and Up (the binary-focal-loss convention,
        where alpha weights the positive class). A sequence gives ``alpha[c]`` to samples whose
        true class is ``c``. Kept as the non-persistent buffer ``alpha`` (or ``None``); change it
        with :meth:`set_alpha`.
    gamma : float, default 2.0
        Focusing parameter, finite and >= 0; ``0`` gives cross-entropy.
    reduction : {"mean", "sum", "none"}, default "mean"
        See :func:`focal_loss`.
    check_values : bool, default True
        Check target and sample-weight values on every call; see :func:`focal_loss`.

    Shapes:
        - **input:** ``logits (N, C)``, ``target (N,)`` int64, optional ``sample_weight (N,)``
        - **output:** ``(N,)`` for ``reduction="none"``, else a scalar
    """

    alpha: Tensor | None

    def __init__(self, alpha: AlphaLike = None, gamma: float = 2.0, reduction: str = "mean", *,
                 check_values: bool = True):
        super().__init__()
        self.gamma = _check_gamma(gamma)
        self.reduction = _check_reduction(reduction)
        self.check_values = check_values
        self.register_buffer("alpha", alpha_vector(alpha, None), persistent=False)

    def set_alpha(self, alpha: AlphaLike) -> None:
        """Replace ``alpha`` (validated as in the constructor), e.g. for an alpha ramp."""
        new = alpha_vector(alpha, None)
        if new is not None and self.alpha is not None:
            new = new.to(self.alpha)
        self.alpha = new

    def forward(
        self, logits: Tensor, target: Tensor, sample_weight: Tensor | None = None
    ) -> Tensor:
        # alpha (and class weights) were checked when set: only the inputs are checked here.
        _check_inputs(logits, target, sample_weight, self.check_values)
        weights = self._class_weights()
        for name, per_class in (("alpha", self.alpha), ("class_weights", weights)):
            if per_class is not None and per_class.numel() != logits.shape[1]:
                raise ValueError(f"Expected {name} of length {logits.shape[1]} (the logits' classes), "
                                 f"got {per_class.numel()}.")
        return _focal(logits, target, self.alpha, self.gamma, weights, sample_weight, self.reduction)

    def _class_weights(self) -> Tensor | None:
        return None

    def extra_repr(self) -> str:
        alpha = None if self.alpha is None else [round(a, 4) for a in self.alpha.tolist()]
        return f"alpha={alpha}, gamma={self.gamma}, reduction={self.reduction!r}"


class WeightedFocalLoss(FocalLoss):
    r"""Focal loss with class weights; calls :func:`focal_loss` with ``weight=class_weights``.

    .. math::

        \mathrm{FL}(p_t) = -\,w_t\,\alpha_t\,(1 - p_t)^{\gamma}\,\log p_t

    Class weights and alpha both rebalance classes, and their effects multiply. The trainer
    therefore computes the class weights from the class distribution the loss actually sees
    (after SMOTE and sampling), so that stacking them on a resampler does not count the
    imbalance twice. ``reduction="mean"`` divides by :math:`\sum_i w_{t_i}` as weighted
    cross-entropy does.

    Parameters
    ----------
    class_weights : sequence of float or Tensor of shape (C,)
        Finite weights >= 0, not all zero; kept as the buffer ``class_weights``.
    alpha, gamma, reduction, check_values
        As in :class:`FocalLoss`.

    Shapes:
        - **input:** ``logits (N, C)``, ``target (N,)`` int64, optional ``sample_weight (N,)``
        - **output:** ``(N,)`` for ``reduction="none"``, else a scalar

    Examples
    --------
    >>> loss = WeightedFocalLoss([2.0, 0.5, 2.0], alpha=None, gamma=2.0)
    >>> loss(torch.zeros(4, 3), torch.tensor([0, 1, 2, 1])).shape
    torch.Size([])
    """

    class_weights: Tensor

    def __init__(
        self,
        class_weights: Sequence[float] | Tensor,
        alpha: AlphaLike = None,
        gamma: float = 2.0,
        reduction: str = "mean",
        *,
        check_values: bool = True,
    ):
        super().__init__(alpha=alpha, gamma=gamma, reduction=reduction, check_values=check_values)
        weights = _per_class(class_weights, None, "class_weights")
        if self.alpha is not None and self.alpha.numel() != weights.numel():
            raise ValueError(
                f"Expected alpha and class_weights of the same length, "
                f"got {self.alpha.numel()} and {weights.numel()}."
            )
        self.register_buffer("class_weights", weights)

    def _class_weights(self) -> Tensor:
        return self.class_weights

    def extra_repr(self) -> str:
        weights = [round(w, 4) for w in self.class_weights.tolist()]
        return f"class_weights={weights}, {super().extra_repr()}"
