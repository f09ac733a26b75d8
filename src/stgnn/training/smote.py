"""SMOTE on ego windows of training (day, ticker) samples; synthetic rows become ego graphs.

Each real training sample is flattened as its ego window (centre + K neighbours, W days, F
features, plus the K edge weights) in float32; SMOTE interpolates two same-class samples. The
synthetic samples are kept as recipes (which two real samples, how far between them: an
:class:`~stgnn.data.batches.EgoSamples`) and their windows are made when a batch needs them, so
memory grows with the number of samples, not with their (K + 1) x W x F values. The recipes are
imbalanced-learn's: the same neighbours and random draws as
``imblearn.over_sampling.SMOTE`` (a test checks that they make the same rows), which would instead return
every synthetic row materialised. With ``same_day`` a sample's two rows share a day (each row's
neighbours are searched among its own day's rows of its class), so that both are nodes of the
day graph a batch holds: SMOTE's ``latent`` mode interpolates their encoder states there. Only
training rows are ever resampled: validation and test never pass through here.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import get_args

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors

from stgnn.classes import CLASS_NAMES, N_CLASSES
from stgnn.config import SmoteStrategy
from stgnn.data.batches import EgoSamples, ego_windows, interpolate
from stgnn.data.graph import Graph
from stgnn.errors import ConfigError

logger = logging.getLogger(__name__)

_STRATEGIES = get_args(SmoteStrategy)


def target_counts(counts: np.ndarray, *, sampling_strategy="auto", target_ratio: float | None = None) -> np.ndarray:
    """Class counts after over-sampling.

    ``target_ratio`` r raises every class below r x the majority count to that level (for three
    classes imbalanced-learn refuses a float strategy, so we resolve it here); otherwise an
    imbalanced-learn strategy string, or a dict of target counts keyed by class name.

    Examples
    --------
    >>> target_counts(np.array([10, 100, 20]), target_ratio=0.5).tolist()
    [50, 100, 50]
    >>> target_counts(np.array([10, 100, 20]), sampling_strategy="minority").tolist()
    [100, 100, 20]
    """
    counts = np.asarray(counts, dtype=np.int64)
    majority = int(counts.max())
    target = counts.copy()
    if target_ratio is not None:
        return np.maximum(counts, math.ceil(target_ratio * majority))
    if isinstance(sampling_strategy, dict):
        for name, n in sampling_strategy.items():
            c = CLASS_NAMES.index(name)
            if n < counts[c]:
                raise ConfigError(
                    f"SMOTE sampling_strategy asks {n} {name} samples, fewer than the {counts[c]} present; "
                    "SMOTE only adds samples."
                )
            target[c] = n
        return target
    if sampling_strategy not in _STRATEGIES:
        raise ConfigError(f"Expected SMOTE sampling_strategy in {_STRATEGIES} or a dict, got {sampling_strategy!r}.")
    present = np.flatnonzero(counts > 0)
    minority = present[np.argmin(counts[present])]
    raise_ = {
        "auto": counts < majority,
        "not majority": counts < majority,
        "minority": np.arange(N_CLASSES) == minority,
        "not minority": np.arange(N_CLASSES) != minority,
        "all": np.ones(N_CLASSES, bool),
    }[sampling_strategy]
    target[raise_ & (counts > 0)] = majority
    return target


@dataclass(frozen=True)
class SmoteReport:
    counts_before: np.ndarray
    counts_after: np.ndarray
    k_neighbors: int
    note: str


class EgoSMOTE:
    """Over-sample training ego windows of the minority classes.

    Parameters
    ----------
    sampling_strategy, target_ratio
        See :func:`target_counts`.
    k_neighbors : int
        Same-class neighbours SMOTE interpolates towards; shrunk (with a warning) when a class
        to over-sample has too few rows, and SMOTE is skipped when a class has fewer than 2.
    random_state : int
    max_pool : int, optional
        Real rows per class SMOTE interpolates between (a seeded sample when a class has more).
        Not used with ``same_day``, whose neighbour search is quadratic in one day's rows only.
    same_day : bool, default False
        Pair each row only with rows of its own day (see :func:`same_day_recipe`).
    """

    def __init__(self, *, sampling_strategy="auto", target_ratio=0.5, k_neighbors=5, random_state=0,
                 max_pool: int | None = 5000, same_day: bool = False):
        self.max_pool = max_pool
        self.same_day = same_day
        self.sampling_strategy = sampling_strategy
        self.target_ratio = target_ratio
        self.k_neighbors = k_neighbors
        self.random_state = random_state

    def __repr__(self) -> str:
        return (f"EgoSMOTE(sampling_strategy={self.sampling_strategy!r}, target_ratio={self.target_ratio}, "
                f"k_neighbors={self.k_neighbors}, random_state={self.random_state}, max_pool={self.max_pool}, "
                f"same_day={self.same_day})")

    def fit_resample(self, x: np.ndarray, y: np.ndarray, days: np.ndarray, graph: Graph, window: int, *,
                     usable: np.ndarray | None = None) -> EgoSamples:
        """Synthetic ego graphs from the training samples ``(day, ticker)`` for day in ``days``.

        Class counts (and so the targets) count every known training label; SMOTE interpolates
        only between real samples whose whole ego window is real: every neighbour slot filled and
        every neighbour usable that day, so a synthetic sample never mixes in an absent window.

        Parameters
        ----------
        x : np.ndarray of shape (n_days, n_tickers, n_features)
            Scaled features of the panel (only the windows of ``days`` are read).
        y : np.ndarray of shape (n_days, n_tickers)
            Labels; -1 (unknown) rows are ignored.
        days : np.ndarray
            Training day indices.
        usable : np.ndarray of shape (n_days, n_tickers), bool, optional
            Which nodes are usable (all, by default).
        """
        day_idx, centre = np.nonzero(y[days] >= 0)
        day_idx = days[day_idx]
        labels = y[day_idx, centre]
        counts = np.bincount(labels, minlength=N_CLASSES)
        target = target_counts(counts, sampling_strategy=self.sampling_strategy, target_ratio=self.target_ratio)
        grow = np.flatnonzero(target > counts)
        empty = EgoSamples.empty(graph.k)
        if len(grow) == 0:
            return self._done(empty, counts, counts, 0, "nothing to over-sample")
        whole = _whole_ego(day_idx, centre, graph, usable)
        pool_counts = np.bincount(labels[whole], minlength=N_CLASSES)
        k = min(self.k_neighbors, int(pool_counts[grow].min()) - 1)
        if k < 1:
            note = (f"skipped: class {CLASS_NAMES[grow[np.argmin(pool_counts[grow])]]} has "
                    f"{pool_counts[grow].min()} training samples with a whole ego window, SMOTE needs at least 2")
            logger.warning("SMOTE %s.", note)
            return self._done(empty, counts, counts, 0, note)
        note = ""
        if k < self.k_neighbors:
            note = (f"k_neighbors shrunk from {self.k_neighbors} to {k}: a class has only "
                    f"{pool_counts[grow].min()} samples")
            logger.warning("SMOTE %s.", note)
        rng = np.random.default_rng(self.random_state)
        recipes = []
        for c in grow:
            n = int(target[c] - counts[c])
            if self.same_day:
                pool = np.flatnonzero((labels == c) & whole)
                base, other, gap = same_day_recipe(
                    lambda rows: self._flatten(x, day_idx[pool[rows]], centre[pool[rows]], graph, window),
                    day_idx[pool], self.k_neighbors, n, self.random_state)
                if len(gap) == 0:
                    note = (f"skipped: no two {CLASS_NAMES[c]} training samples with a whole ego window share a "
                            "day, and same-day SMOTE needs a pair")
                    logger.warning("SMOTE %s.", note)
                    return self._done(empty, counts, counts, 0, note)
            else:
                pool = self._pool(np.flatnonzero((labels == c) & whole), rng)
                flat = self._flatten(x, day_idx[pool], centre[pool], graph, window)
                base, other, gap = smote_recipe(flat, k, n, self.random_state)
            recipes.append((pool[base], pool[other], gap, np.full(len(gap), c)))
        base, other, gap, y_syn = (np.concatenate(parts) for parts in zip(*recipes))
        weights = torch.from_numpy(graph.weights.astype(np.float32))
        edge_weight = interpolate(weights[centre[base]], weights[centre[other]], torch.from_numpy(gap)).numpy()
        ego = EgoSamples(base=np.stack([day_idx[base], centre[base]], axis=1),
                         other=np.stack([day_idx[other], centre[other]], axis=1),
                         gap=gap, y=y_syn.astype(np.int64), edge_weight=edge_weight)
        return self._done(ego, counts, counts + np.bincount(y_syn, minlength=N_CLASSES), k, note)

    def _pool(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """At most ``max_pool`` real rows of a class to interpolate between (seeded, in time order).

        SMOTE's neighbour search is quadratic in the rows of a class; a fixed pool keeps it
        constant, so a fold's time grows linearly with the number of tickers."""
        if self.max_pool is None or len(rows) <= self.max_pool:
            return rows
        return np.sort(rng.choice(rows, self.max_pool, replace=False))

    def _done(self, ego, before, after, k, note) -> EgoSamples:
        self.report_ = SmoteReport(before, after, k, note)
        return ego

    @staticmethod
    def _flatten(x, days, centres, graph: Graph, window: int) -> np.ndarray:
        windows = ego_windows(x, days, centres, graph, window).reshape(len(days), -1)
        weights = graph.weights[centres].astype(np.float32)
        return np.ascontiguousarray(np.concatenate([windows, weights], axis=1), dtype=np.float32)


def _whole_ego(days: np.ndarray, centres: np.ndarray, graph: Graph, usable: np.ndarray | None) -> np.ndarray:
    """Whether each (day, centre) sample has all K neighbour slots filled, each usable that day."""
    nodes = graph.neighbours[centres]
    whole = (nodes >= 0).all(axis=1)
    if usable is not None:
        whole &= usable[days[:, None], np.where(nodes >= 0, nodes, 0)].all(axis=1)
    return whole


def smote_recipe(flat: np.ndarray, k: int, n: int, random_state: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` SMOTE samples of one class as (base row, other row, gap) into ``flat``'s rows.

    imbalanced-learn's algorithm and random stream for a class: the ``k`` nearest same-class
    neighbours of every row, then ``n`` draws of a (row, neighbour) pair and a uniform gap from
    a fresh ``RandomState(random_state)``; sample ``i`` is ``flat[base] + gap * (flat[other] -
    flat[base])``.
    """
    neighbours = NearestNeighbors(n_neighbors=k + 1).fit(flat).kneighbors(flat, return_distance=False)[:, 1:]
    return _draw(neighbours, n, random_state)


def same_day_recipe(flatten, days: np.ndarray, k: int, n: int, random_state: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` SMOTE samples of one class whose two rows share a day, as (base row, other row, gap).

    :func:`smote_recipe` with the neighbour search done day by day: each row's ``k`` nearest rows
    of its own day (all of them on a day with ``k`` or fewer others), then ``n`` draws of a (row,
    neighbour) pair, uniform over the pairs there are, and a uniform gap, from a fresh
    ``RandomState(random_state)``. Nothing is returned when no two rows share a day.

    Parameters
    ----------
    flatten : callable
        Row indices -> their flattened samples (n_rows, D) float32; called once per day, so that
        only one day's rows are ever held at once.
    days : np.ndarray of shape (n_rows,)
        Each row's day.
    """
    neighbours = np.full((len(days), k), -1, dtype=np.int64)
    order = np.argsort(days, kind="stable")
    for rows in np.split(order, np.flatnonzero(np.diff(days[order])) + 1):
        if len(rows) < 2:
            continue
        flat = torch.from_numpy(flatten(rows))
        distance = torch.cdist(flat, flat).fill_diagonal_(math.inf)
        near = torch.topk(distance, min(k, len(rows) - 1), largest=False).indices.numpy()
        neighbours[rows, :near.shape[1]] = rows[near]
    if (neighbours < 0).all():
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return _draw(neighbours, n, random_state)


def _draw(neighbours: np.ndarray, n: int, random_state: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` (row, neighbour, gap) draws: a pair uniform over the filled slots of ``neighbours``
    (n_rows, k; -1 where empty), then a uniform gap, from a fresh ``RandomState(random_state)``.
    With every slot filled this is imbalanced-learn's random stream."""
    filled = np.flatnonzero(neighbours.reshape(-1) >= 0)
    state = np.random.RandomState(random_state)
    picks = filled[state.randint(low=0, high=len(filled), size=n)]
    gap = state.uniform(size=n)
    rows, cols = np.divmod(picks, neighbours.shape[1])
    return rows, neighbours[rows, cols], gap
