"""The fitted fold: everything learned from a fold's training days, fitted once and shared.

The README's stage "fitted on TRAIN only" (What it does): the feature scaler, the graph (top-k neighbours from
training returns), SMOTE's synthetic ego graphs, hard-negative weights, the balanced sampler's
day weights and the class weights the loss will use. :class:`FoldFitter` is configured in
``__init__`` and fitted on ``(data, train_days)``; the :class:`FoldData` it returns is frozen and
inspectable, and is shared by every trial, seed and baseline of the fold (the walk-forward keys
its cache on :meth:`FoldFitter.key`, the parts of the config a fold depends on).

Everything here is fitted on ``train_days`` alone; only :attr:`FoldData.x` spans the whole panel
(scaled with training statistics), because the batches of validation and test days are cut from it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from stgnn.classes import N_CLASSES
from stgnn.config import Config, LossConfig
from stgnn.data.batches import EgoSamples, GraphBatcher
from stgnn.data.dataset import PanelData
from stgnn.data.graph import Graph, build_graph
from stgnn.data.scaling import FeatureScaler
from stgnn.training import imbalance
from stgnn.training.smote import EgoSMOTE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoldData:
    """What :meth:`FoldFitter.fit` learned from one fold's training days.

    Attributes
    ----------
    data : PanelData
        The panel, labelled as the config asks (features and labels of every day).
    train_days : np.ndarray
        The days everything below was fitted on.
    scaler : FeatureScaler
    x : np.ndarray of shape (n_days, n_tickers, n_features), float32
        The whole panel scaled with the statistics of the usable training rows (0 where absent).
    graph : Graph
    ego : EgoSamples
        SMOTE's synthetic ego graphs as recipes (empty with SMOTE off); the plan has its counts and note.
    sample_weight : np.ndarray of shape (n_days, n_tickers)
        Hard-negative loss multipliers.
    day_probs : np.ndarray or None
        Balanced sampler's probability of each training day (None: every day once per epoch).
    plan : imbalance.ImbalancePlan
        Class weights from the distribution the loss sees, with the fitter's loss settings.
    batcher : GraphBatcher
        Collates day graphs (of any day) and the ego graphs into batches.
    key : tuple
        :meth:`FoldFitter.key` of the config it was fitted with.
    seed : int
        SMOTE's seed.
    """

    data: PanelData
    train_days: np.ndarray
    scaler: FeatureScaler
    x: np.ndarray
    graph: Graph
    ego: EgoSamples
    sample_weight: np.ndarray
    day_probs: np.ndarray | None
    plan: imbalance.ImbalancePlan
    batcher: GraphBatcher
    key: tuple
    seed: int

    def plan_for(self, loss: LossConfig) -> imbalance.ImbalancePlan:
        """The imbalance plan with another trial's focal alpha and gamma (class weights unchanged)."""
        return replace(self.plan, loss=loss.name, alpha=imbalance.alpha_at(loss, 0) if loss.name == "focal" else None,
                       gamma=loss.focal_gamma if loss.name == "focal" else 0.0)


class FoldFitter:
    """Fit a fold's scaler, graph, SMOTE and imbalance plan on its training days.

    Parameters
    ----------
    config : Config
        Read: ``labels``, ``features``, ``graph``, ``smote``, ``model.window``,
        ``training.scaler``, ``training.balanced_sampler`` and the loss's class weights and hard
        negatives (:meth:`key`).
    seed : int, optional
        SMOTE's seed; ``config.training.seed`` by default. The models trained on the fold take
        their own seeds.

    Examples
    --------
    >>> from stgnn.config import parse_config
    >>> from stgnn.data.dataset import prepare
    >>> from stgnn.data.sources.synthetic import make_market
    >>> config = parse_config({"data": {"source": "synthetic", "synthetic": {"n_tickers": 10, "n_days": 300}},
    ...                        "graph": {"k": 3}, "model": {"window": 5}})
    >>> data = prepare(make_market(config.data.synthetic).panel, window=5)
    >>> fold = FoldFitter(config).fit(data, data.labelled_days[:150])
    >>> fold.graph.k, fold.x.shape == data.features.values.shape, len(fold.ego) > 0
    (3, True, True)
    """

    def __init__(self, config: Config, *, seed: int | None = None):
        self.config = config
        self.seed = config.training.seed if seed is None else seed

    def __repr__(self) -> str:
        return f"FoldFitter(experiment={self.config.experiment!r}, seed={self.seed})"

    @staticmethod
    def key(config: Config) -> tuple:
        """The settings a fitted fold depends on: two configs with equal keys share one fold."""
        loss = config.loss
        return (config.labels, config.features, config.graph, config.smote, config.model.window,
                config.training.scaler, config.training.balanced_sampler, loss.class_weights, loss.hard_negative_weight, loss.hard_negative_band)

    def fit(self, data: PanelData, train_days: np.ndarray) -> FoldData:
        cfg = self.config
        train_days = np.asarray(train_days)
        if cfg.labels != data.label_config:
            data = data.relabel(cfg.labels)
        values = data.features.values
        scaler = FeatureScaler(kind=cfg.training.scaler).fit(values[train_days][data.usable[train_days]])
        # Absent days are NaN; no usable node's window reads them, and none travels further than here.
        x = np.ascontiguousarray(np.nan_to_num(scaler.transform(values), nan=0.0), dtype=np.float32)
        graph = build_graph(cfg.graph, data.returns()[train_days], data.tickers)
        labels = data.labels
        y_train = labels.y[train_days]
        sample_weight = imbalance.hard_negative_weights(labels.y, labels.target_return, labels.threshold, cfg.loss)
        if cfg.smote.enabled:
            smote = EgoSMOTE(sampling_strategy=cfg.smote.sampling_strategy, target_ratio=cfg.smote.target_ratio,
                             k_neighbors=cfg.smote.k_neighbors, random_state=self.seed,
                             max_pool=cfg.smote.max_pool, same_day=cfg.smote.mode == "latent")
            ego = smote.fit_resample(x, labels.y, train_days, graph, cfg.model.window, usable=data.usable)
            before, after, note = smote.report_.counts_before, smote.report_.counts_after, smote.report_.note
        else:
            ego = EgoSamples.empty(graph.k)
            before = after = labels.class_counts(train_days)
            note = "off"
        day_probs = imbalance.day_sampling_weights(y_train) if cfg.training.balanced_sampler else None
        seen = imbalance.expected_counts(y_train, day_probs) + np.bincount(ego.y, minlength=N_CLASSES)
        weights = imbalance.balanced_class_weights(seen) if cfg.loss.class_weights == "balanced" else np.ones(N_CLASSES)
        sw = sample_weight[train_days]
        hn_mean = np.array([sw[y_train == c].mean() if (y_train == c).any() else 1.0 for c in range(N_CLASSES)])
        plan = imbalance.ImbalancePlan(
            loss=cfg.loss.name,
            alpha=imbalance.alpha_at(cfg.loss, 0) if cfg.loss.name == "focal" else None,
            gamma=cfg.loss.focal_gamma if cfg.loss.name == "focal" else 0.0,
            counts_before_smote=before, counts_after_smote=after, smote_note=note,
            sampler=cfg.training.balanced_sampler, seen=seen, class_weights=weights,
            hard_negative_mean=hn_mean,
        )
        batcher = GraphBatcher(x, labels.y, graph, cfg.model.window, usable=data.usable, sample_weight=sample_weight,
                               ego=ego, ego_mode=cfg.smote.mode)
        logger.info("fold fitted on %d training days: graph k=%d (%s), scaler %s, SMOTE %s",
                    len(train_days), graph.k, cfg.graph.method, cfg.training.scaler, note or f"+{len(ego)} ego graphs")
        return FoldData(data=data, train_days=train_days, scaler=scaler, x=x, graph=graph, ego=ego,
                        sample_weight=sample_weight,
                        day_probs=day_probs, plan=plan, batcher=batcher, key=self.key(cfg), seed=self.seed)
