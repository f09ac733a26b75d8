"""Imbalance mechanisms, stacked without double counting (seeds 001, 003, 004).

SMOTE adds minority samples, a balanced sampler draws days rich in Down/Up more often, class
weights rebalance the loss, focal alpha re-weights classes, hard negatives up-weight None rows
that almost moved. Each of them shifts the weight the loss gives each class, so:

- class weights are computed from the class distribution the loss actually *sees* (after SMOTE,
  under the sampler's expected draw), never from the raw labels: with SMOTE and a balanced
  sampler already at work, "balanced" weights come out near 1 instead of multiplying again;
- the effective weight of each class, every mechanism together, is computed in one place
  (:class:`ImbalancePlan`) and logged at the start of training and saved with the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stgnn.classes import CLASS_NAMES, N_CLASSES, NONE
from stgnn.config import LossConfig
from stgnn.models.losses import alpha_vector


def day_sampling_weights(y: np.ndarray) -> np.ndarray:
    """Balanced-sampler weight of each training day: mean inverse class frequency of its labels.

    Parameters
    ----------
    y : np.ndarray of shape (n_days, n_tickers)
        Labels of the training days (-1 ignored).

    Returns
    -------
    np.ndarray of shape (n_days,)
        Probabilities (sum to 1) of drawing each day.
    """
    known = y >= 0
    counts = np.bincount(y[known], minlength=N_CLASSES).astype(np.float64)
    inv = np.divide(1.0, counts, out=np.zeros(N_CLASSES), where=counts > 0)
    per_node = np.where(known, inv[np.clip(y, 0, None)], 0.0)
    w = per_node.sum(axis=1) / np.maximum(known.sum(axis=1), 1)
    return w / w.sum()


def expected_counts(y: np.ndarray, day_probs: np.ndarray | None) -> np.ndarray:
    """Class counts one epoch of real day graphs shows the loss (uniform days if no sampler)."""
    n_days = len(y)
    per_day = np.stack([(y == c).sum(axis=1) for c in range(N_CLASSES)], axis=1).astype(np.float64)
    if day_probs is None:
        return per_day.sum(axis=0)
    return n_days * day_probs @ per_day


def balanced_class_weights(seen: np.ndarray) -> np.ndarray:
    """``n / (C * n_c)`` from the counts the loss sees (scikit-learn's "balanced"); 0 for absent classes."""
    seen = np.asarray(seen, dtype=np.float64)
    present = seen > 0
    return np.divide(seen.sum(), present.sum() * seen, out=np.zeros_like(seen), where=present)


def hard_negative_weights(y: np.ndarray, fwd: np.ndarray, threshold: np.ndarray, config: LossConfig) -> np.ndarray:
    """Per-sample weight: ``hard_negative_weight`` for None rows with ``|fwd| >= band * theta``, else 1."""
    hard = (y == NONE) & (np.abs(np.nan_to_num(fwd)) >= config.hard_negative_band * threshold)
    return np.where(hard, config.hard_negative_weight, 1.0).astype(np.float32)


def alpha_at(config: LossConfig, epoch: int) -> float | tuple[float, ...] | None:
    """Focal alpha for an epoch: constant, or a linear ramp from ``focal_alpha`` to
    ``max_focal_alpha`` over ``alpha_ramp_epochs`` (a dynamic alpha)."""
    if not config.dynamic_alpha:
        return config.focal_alpha
    progress = min(epoch / config.alpha_ramp_epochs, 1.0)
    return config.focal_alpha + (config.max_focal_alpha - config.focal_alpha) * progress


def alpha_per_class(alpha) -> np.ndarray:
    """The focal alpha factor of each class (ones when alpha is None)."""
    vector = alpha_vector(alpha)
    return np.ones(N_CLASSES) if vector is None else vector.double().numpy()


@dataclass(frozen=True)
class ImbalancePlan:
    """What every imbalance mechanism does, and their product per class."""

    loss: str
    alpha: object
    gamma: float
    counts_before_smote: np.ndarray
    counts_after_smote: np.ndarray
    smote_note: str
    sampler: bool
    seen: np.ndarray
    class_weights: np.ndarray
    hard_negative_mean: np.ndarray

    @property
    def effective_weight(self) -> np.ndarray:
        """Per-sample weight of each class: class weight x alpha x mean hard-negative factor."""
        return self.class_weights * alpha_per_class(self.alpha) * self.hard_negative_mean

    @property
    def loss_share(self) -> np.ndarray:
        """Share of the total loss weight each class carries (before focusing by gamma)."""
        mass = self.seen * self.effective_weight
        return mass / mass.sum()

    def to_dict(self) -> dict:
        per = lambda a: {n: round(float(v), 6) for n, v in zip(CLASS_NAMES, a)}  # noqa: E731
        alpha = self.alpha if not isinstance(self.alpha, tuple) else list(self.alpha)
        return {
            "loss": self.loss,
            "alpha": alpha,
            "gamma": self.gamma,
            "counts_before_smote": per(self.counts_before_smote),
            "counts_after_smote": per(self.counts_after_smote),
            "smote_note": self.smote_note,
            "balanced_sampler": self.sampler,
            "seen_share": per(self.seen / self.seen.sum()),
            "class_weights": per(self.class_weights),
            "hard_negative_mean": per(self.hard_negative_mean),
            "effective_weight": per(self.effective_weight),
            "loss_share": per(self.loss_share),
        }

    def lines(self) -> list[str]:
        def row(label, values, fmt="{:.3f}"):
            return f"  {label:<22}" + "  ".join(f"{n}={fmt.format(v)}" for n, v in zip(CLASS_NAMES, values))

        alpha = "none (neutral)" if self.alpha is None else self.alpha
        loss = f"focal (alpha={alpha}, gamma={self.gamma:g})" if self.loss == "focal" else "cross entropy"
        lines = [
            f"imbalance: loss {loss}",
            row("counts before SMOTE", self.counts_before_smote, "{:,.0f}"),
            row("counts after SMOTE", self.counts_after_smote, "{:,.0f}"),
            row("seen by the loss", self.seen / self.seen.sum(), "{:.1%}"),
            row("class weights", self.class_weights),
            row("alpha factor", alpha_per_class(self.alpha)),
            row("hard-negative factor", self.hard_negative_mean),
            row("effective weight", self.effective_weight),
            row("share of loss weight", self.loss_share, "{:.1%}"),
            f"  sampler                {'balanced days' if self.sampler else 'uniform days'}"
            + (f"; SMOTE: {self.smote_note}" if self.smote_note else ""),
        ]
        if isinstance(self.alpha, float) and self.alpha < 0.5:
            lines.append(f"  WARNING focal_alpha={self.alpha} < 0.5 DOWN-weights Down and Up (the inversion that collapses a model onto None).")
        return lines
