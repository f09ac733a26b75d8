"""ClassificationSTGNNTrainer: trains the STGNN on a fitted fold with a (weighted) focal loss,
early-stops on validation and raises a collapse alarm. It only trains: the scaler, graph, SMOTE
samples and class weights come fitted in the :class:`~stgnn.training.fold.FoldData`."""

from __future__ import annotations

import copy
import logging
import math
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from stgnn.classes import CLASS_NAMES, N_CLASSES
from stgnn.config import Config
from stgnn.data.batches import interpolate
from stgnn.data.dataset import PanelData
from stgnn.data.splits import Split
from stgnn.device import autocast, resolve_device
from stgnn.errors import StgnnError
from stgnn.evaluation.metrics import PROBA_COLUMNS, mean_rank_ic, monitor_metrics, proba_of
from stgnn.models.losses import WeightedFocalLoss
from stgnn.models.stgnn import STGNN
from stgnn.training import imbalance
from stgnn.training.fold import FoldData, FoldFitter

logger = logging.getLogger(__name__)


class TrainingCollapsed(StgnnError):
    """The model collapsed (one class for everything, or AUROC at chance) and abort was asked."""


@dataclass
class EpochRecord:
    epoch: int
    lr: float
    alpha: object
    train_loss: float
    train_loss_per_class: dict[str, float]
    val_loss: float
    val: dict[str, float]
    seconds: float
    alarm: str = ""


@dataclass
class TrainResult:
    history: list[EpochRecord]
    best_epoch: int
    best_score: float
    monitor: str
    stopped: str
    alarms: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {**asdict(self), "history": [asdict(h) for h in self.history]}


def seed_everything(seed: int) -> None:
    """The one place global seeds are set (numpy's global state is never used by stgnn)."""
    torch.manual_seed(seed)


FUSED_ADAMW_DEVICES = ("cpu", "cuda")
"""Devices whose AdamW step runs as one fused kernel: the same update (to rounding), and on 2 CPU
cores an epoch of the speed sample with latent SMOTE took 0.98 s against the per-tensor loop's 1.10 s."""


def batch_logits(model: STGNN, batch) -> torch.Tensor:
    """Logits of every node of a :class:`~stgnn.data.batches.GraphBatcher` batch: a series batch's
    day-graph nodes are read from the encoder's pass along each ticker's series, the nodes of ``x``
    (all, or those that follow the day graphs') from their windows, and SMOTE's ``latent`` nodes
    (last) mix the states of the node pairs they name."""
    states = model.encode(batch.x)
    if "series" in batch:
        days = model.encode_series(batch.series).flatten(0, 1).index_select(0, batch.series_index)
        states = torch.cat([days, states])
    if "synthetic_pair" in batch:
        base, other = batch.synthetic_pair
        states = torch.cat([states, interpolate(states[base], states[other], batch.synthetic_gap)])
    return model.propagate(states, batch.edge_index, batch.edge_weight)


class ClassificationSTGNNTrainer:
    """Train the STGNN on one fold.

    Parameters
    ----------
    config : Config
        Model, loss and optimisation settings (its data-dependent parts were used by the
        :class:`~stgnn.training.fold.FoldFitter` that made ``fold``).
    fold : FoldData
        Scaler, graph, SMOTE samples, class weights and batcher fitted on ``split.train``.
    split : Split
        ``train`` must be the fold's training days; ``val`` early-stops; ``test`` is not read.
    seed : int, optional
        Overrides ``config.training.seed`` for the weights' initialisation and the batch order.
    progress : bool, optional
        tqdm bars; by default only when stderr is a terminal.
    series_encoding : bool, default True
        Encode the day graphs' nodes along each ticker's series of days where that gives the
        windows' states exactly (:attr:`~stgnn.models.stgnn.STGNN.series_is_exact`): contiguous
        days then pass the encoder once each instead of once per window. False encodes every
        window apart; the results agree to float rounding, so only tests and the benchmark turn it off.
    log_level : int, default logging.INFO
        Level of the imbalance block, the epoch lines and the best epoch: a walk-forward logs them
        at DEBUG (``-v``), once per trial they would repeat the fold's block; warnings stay warnings.

    Examples
    --------
    >>> from stgnn.config import parse_config
    >>> from stgnn.data.dataset import prepare
    >>> from stgnn.data.sources.synthetic import make_market
    >>> from stgnn.data.splits import chronological_split
    >>> from stgnn.training.fold import FoldFitter
    >>> config = parse_config({"data": {"source": "synthetic", "synthetic": {"n_tickers": 10, "n_days": 300}},
    ...                        "graph": {"k": 3}, "model": {"window": 5, "hidden": 8}, "training": {"epochs": 1}})
    >>> data = prepare(make_market(config.data.synthetic).panel, window=5)
    >>> split = chronological_split(data.labelled_days, val_fraction=0.2, test_fraction=0.2, purge_days=1)
    >>> fold = FoldFitter(config).fit(data, split.train)
    >>> trainer = ClassificationSTGNNTrainer(config, fold, split, progress=False)
    >>> trainer.fit().best_epoch, trainer.predict_proba(split.test).shape == (len(split.test), 10, 3)
    (1, True)
    """

    def __init__(self, config: Config, fold: FoldData, split: Split, *, seed: int | None = None, progress=None,
                 series_encoding: bool = True, log_level: int = logging.INFO):
        self.config = config if seed is None else config.updated({"training.seed": seed})
        if not np.array_equal(split.train, fold.train_days):
            raise ValueError("Expected split.train to be the days the fold was fitted on; fit a FoldData on them.")
        if FoldFitter.key(self.config) != fold.key:
            raise ValueError("Expected the config the fold was fitted with (labels, features, graph, SMOTE, window, "
                             "scaler, sampler, class weights); fit a FoldData with this config.")
        split.check(config.labels.span)
        self.fold = fold
        self.split = split
        self.plan_ = fold.plan_for(self.config.loss)
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.series_encoding = series_encoding
        self.log_level = log_level
        self.device = resolve_device(self.config.training.device)
        self.batcher = fold.batcher.to(self.device)  # the panel on the device, once per fold and device

    @classmethod
    def from_model(cls, config: Config, fold: FoldData, split: Split, model: STGNN) -> ClassificationSTGNNTrainer:
        """A trainer that predicts with a model trained elsewhere: a copy of ``model`` on
        ``config``'s device (the original stays where it is), as though this trainer had fitted it.

        So one model's predictions on two devices can be compared."""
        trainer = cls(config, fold, split, progress=False)
        trainer.model_ = copy.deepcopy(model).to(trainer.device)
        return trainer

    @property
    def data(self) -> PanelData:
        return self.fold.data

    @property
    def series(self) -> bool:
        """Whether batches of day graphs come as series batches (see ``series_encoding``)."""
        return self.series_encoding and self.model_.series_is_exact

    # ------------------------------------------------------------------ training
    def fit(self) -> TrainResult:
        cfg = self.config.training
        seed_everything(cfg.seed)
        t0 = time.perf_counter()
        for line in self.plan_.lines():
            logger.log(self.log_level, line)
        logger.log(self.log_level, "%d train / %d val days; device %s", len(self.split.train), len(self.split.val),
                   self.device)
        self.model_ = STGNN(self.data.n_features, self.config.model, channels=self.data.features.channels).to(self.device)
        plan = self.plan_
        # Labels and sample weights were checked by the batcher: the loss reads nothing back.
        criterion = WeightedFocalLoss(torch.as_tensor(plan.class_weights, dtype=torch.float32), alpha=plan.alpha,
                                      gamma=plan.gamma, check_values=False).to(self.device)
        optimizer = torch.optim.AdamW(self.model_.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                                      fused=self.device.type in FUSED_ADAMW_DEVICES)
        scheduler = self._scheduler(optimizer)
        rng = np.random.default_rng(cfg.seed)
        monitor = cfg.monitor
        best = _Best(monitor)
        history: list[EpochRecord] = []
        alarms: list[str] = []
        chance_streak = 0
        stopped = "max epochs"
        bar = tqdm(range(cfg.epochs), desc="epochs", disable=not self.progress, leave=False)
        for epoch in bar:
            start = time.perf_counter()
            alpha = imbalance.alpha_at(self.config.loss, epoch) if self.config.loss.name == "focal" else None
            criterion.set_alpha(alpha)
            train_loss, per_class = self._train_epoch(criterion, optimizer, rng)
            val_loss, val = self._evaluate(self.split.val, criterion)
            record = EpochRecord(epoch + 1, optimizer.param_groups[0]["lr"], alpha, train_loss, per_class,
                                 val_loss, val, time.perf_counter() - start)
            chance_streak = chance_streak + 1 if abs(val["auroc_mean"] - 0.5) < 0.02 else 0
            record.alarm = _collapse_alarm(val, chance_streak)
            if record.alarm:
                alarms.append(f"epoch {epoch + 1}: {record.alarm}")
                logger.warning("COLLAPSE ALARM epoch %d: %s", epoch + 1, record.alarm)
                if self.config.training.collapse_abort:
                    raise TrainingCollapsed(f"Training collapsed at epoch {epoch + 1}: {record.alarm} "
                                            "(collapse_abort is on).")
            history.append(record)
            eligible = cfg.fnr_target is None or max(val["fnr_down"], val["fnr_up"]) <= cfg.fnr_target
            improved = best.update(epoch + 1, _monitored(val, val_loss, monitor), self.model_, eligible)
            logger.log(self.log_level, _epoch_line(record, monitor, improved))
            bar.set_postfix(val=f"{_monitored(val, val_loss, monitor):.4f}")
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(_monitored(val, val_loss, monitor) * (1 if monitor == "loss" else -1))
            elif scheduler is not None:
                scheduler.step()
            if best.waiting(epoch + 1) >= cfg.patience:
                stopped = f"early stop: no better val {monitor} for {cfg.patience} epochs"
                break
        if cfg.fnr_target is not None and best.epoch == 0:
            logger.warning("Validation FNR of Down/Up never reached fnr_target=%s; keeping the best %s epoch.",
                           cfg.fnr_target, monitor)
        best.restore(self.model_)
        self.result_ = TrainResult(history, best.epoch, best.score, monitor, stopped, alarms)
        logger.log(self.log_level, "best epoch %d (val %s %.4f); %s; %.0fs", best.epoch, monitor, best.score, stopped,
                   time.perf_counter() - t0)
        return self.result_

    def _scheduler(self, optimizer):
        cfg = self.config.training
        if cfg.scheduler == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
        if cfg.scheduler == "plateau":
            return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=max(1, cfg.patience // 2))
        return None

    def _epoch_batches(self, rng: np.random.Generator):
        """Day ids and ego ids of each batch: every synthetic ego graph once, spread evenly or, in
        SMOTE's ``centre`` and ``latent`` modes, in the batch that holds its base day (whose day
        graph has encoded its neighbours, and in ``latent`` the two samples it mixes; one drawn at
        random where the epoch did not draw that day).

        The days: shuffled; drawn with replacement by the balanced sampler; or, with
        ``batch_order: contiguous``, the training days in order, rotated by a random offset, cut into
        the same number of equal runs, the runs shuffled (the batch that wraps round holds the last
        days and the first)."""
        cfg = self.config.training
        days, day_probs = self.split.train, self.fold.day_probs
        n_batches = math.ceil(len(days) / cfg.batch_days)
        if day_probs is not None:
            day_batches = np.array_split(rng.choice(days, size=len(days), replace=True, p=day_probs), n_batches)
        elif cfg.batch_order == "contiguous":
            runs = np.array_split(np.roll(np.sort(days), -rng.integers(len(days))), n_batches)
            day_batches = [runs[i] for i in rng.permutation(n_batches)]
        else:
            day_batches = np.array_split(rng.permutation(days), n_batches)
        ego = rng.permutation(len(self.fold.ego))
        if self.batcher.ego_mode == "exact":
            return zip(day_batches, np.array_split(ego, n_batches))
        batch_of_day = np.full(len(self.data.dates), -1)
        for i, batch in reversed(list(enumerate(day_batches))):
            batch_of_day[batch] = i
        home = batch_of_day[self.fold.ego.base[ego, 0]]
        home = np.where(home >= 0, home, rng.integers(n_batches, size=len(ego)))
        return zip(day_batches, (ego[home == i] for i in range(n_batches)))

    def _train_epoch(self, criterion, optimizer, rng) -> tuple[float, dict[str, float]]:
        """One pass over the training days. Nothing is read back from the device until the end:
        the batches are cut on the device from host indices, and the per-class loss sums stay there."""
        self.model_.train()
        # The same loss per row, for the per-class log.
        per_row = copy.copy(criterion)
        per_row.reduction = "none"
        total = torch.zeros(N_CLASSES, device=self.device)
        count = torch.zeros(N_CLASSES, device=self.device)
        batches = list(self._epoch_batches(rng))
        for days, egos in tqdm(batches, desc="batches", disable=not self.progress, leave=False):
            self._step(self.batcher.batch(days, egos, series=self.series), criterion, per_row, optimizer, total, count)
        total, count = total.cpu().numpy().astype(np.float64), count.cpu().numpy().astype(np.float64)
        per_class = np.divide(total, count, out=np.full(N_CLASSES, np.nan), where=count > 0)
        return float(total.sum() / max(count.sum(), 1)), dict(zip(CLASS_NAMES, per_class.round(6).tolist()))

    def _step(self, batch, criterion, per_row, optimizer, total: torch.Tensor, count: torch.Tensor) -> None:
        """One optimisation step; adds each class's summed per-row loss and row count to ``total``
        and ``count`` on the device. Reads nothing back to the host."""
        logits, y, sample_weight = self._forward(batch)
        loss = criterion(logits, y, sample_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model_.parameters(), self.config.training.grad_clip)
        optimizer.step()
        with torch.no_grad():
            total.index_add_(0, y, per_row(logits, y, sample_weight))
            count.index_add_(0, y, torch.ones_like(y, dtype=count.dtype))

    def _forward(self, batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Float32 logits, labels and sample weights of the batch's labelled nodes."""
        with autocast(self.device, self.config.training.precision):
            logits = batch_logits(self.model_, batch)
        labelled = batch.labelled_index
        return logits[labelled].float(), batch.y[labelled], batch.sample_weight[labelled]

    # ------------------------------------------------------------------ inference
    #: Nodes per prediction chunk by device type: the CPU is fastest with chunks that stay in its
    #: caches (4,096 nodes predicted the demo's validation days in 60 ms, 65,536 in 106 ms), a GPU
    #: with chunks large enough to keep it busy.
    PREDICT_NODES = {"cpu": 1 << 12, "cuda": 1 << 16}
    #: The same for series batches, whose chunks also encode the W - 1 days before their first:
    #: larger chunks pay that less often (500 synthetic tickers, 179 days, 3-layer TCN on this
    #: project's 2-core CPU: 171 ms with 4,096 nodes, 123 ms with 16,384, 212 ms with 65,536).
    PREDICT_SERIES_NODES = {"cpu": 1 << 14, "cuda": 1 << 16}

    @torch.inference_mode()
    def predict_proba(self, days: np.ndarray, *, chunk_nodes: int | None = None) -> np.ndarray:
        """Probabilities of shape (n_days, n_tickers, 3) for day graphs of ``days``; NaN for the
        tickers not usable on a day (absent from its day graph). Chunks of about ``chunk_nodes``
        nodes (by default :attr:`PREDICT_NODES` or, for series batches, :attr:`PREDICT_SERIES_NODES`
        of the device), whole days each; the probabilities are read back once, at the end."""
        self.model_.eval()
        days = np.asarray(days, dtype=np.int64)
        out = np.full((len(days), len(self.data.tickers), N_CLASSES), np.nan)
        if chunk_nodes is None:
            chunks_by_device = self.PREDICT_SERIES_NODES if self.series else self.PREDICT_NODES
            chunk_nodes = chunks_by_device.get(self.device.type, 1 << 16)
        step = max(1, chunk_nodes // len(self.data.tickers))
        chunks = np.array_split(np.arange(len(days)), max(1, math.ceil(len(days) / step)))
        proba = []
        for chunk in chunks:
            batch = self.batcher.batch(days[chunk], series=self.series)
            with autocast(self.device, self.config.training.precision):
                logits = batch_logits(self.model_, batch)
            proba.append(torch.softmax(logits.float(), dim=-1))
        position, ticker = self.batcher.nodes(days)
        out[position, ticker] = torch.cat(proba).cpu().numpy()
        return out

    def predictions(self, days: np.ndarray) -> pd.DataFrame:
        """One row per (date, ticker): date, ticker, p_down, p_none, p_up, label, fwd_return."""
        return predictions_frame(self.data, days, self.predict_proba(days))

    @torch.no_grad()
    def _evaluate(self, days: np.ndarray, criterion) -> tuple[float, dict[str, float]]:
        """Validation loss (the training criterion on log-probabilities) and monitored metrics,
        the mean daily Rank IC of ``p_up - p_down`` among them."""
        frame = predictions_frame(self.data, days, self.predict_proba(days))
        proba, y = proba_of(frame), frame["label"].to_numpy()
        log_proba = torch.log(torch.tensor(proba).clamp_min(1e-12)).to(self.device)
        loss = float(criterion(log_proba, torch.tensor(y).to(self.device)))
        return loss, {**monitor_metrics(y, proba), "rank_ic": mean_rank_ic(frame)}


def predictions_frame(data: PanelData, days: np.ndarray, proba: np.ndarray, *, every_usable: bool = False) -> pd.DataFrame:
    """One row per labelled (date, ticker) of ``days``: the rows every metric counts.

    With ``every_usable``, one row per usable node of ``days``, its ``label`` empty where unknown:
    a test window's rows, which the book trades (a stock that stops trading within the horizon has
    no label, yet could be bought at t). ``fwd_return`` is what a position at t earns
    (:attr:`~stgnn.data.labels.Labels.exit_return`; the forward return on labelled rows) and
    ``target_return`` the return the label was cut from (the excess over peers for relative
    labels), which directional metrics score; both NaN where unknown."""
    days = np.asarray(days, dtype=np.int64)
    y = data.labels.y[days]
    position, ticker = np.nonzero(data.usable[days] if every_usable else y >= 0)
    day = days[position]
    label = data.labels.y[day, ticker]
    known = label >= 0
    return pd.DataFrame({
        "date": data.dates[day].strftime("%Y-%m-%d").to_numpy(),
        "ticker": np.array(data.tickers, dtype=object)[ticker],
        **{column: proba[position, ticker, c] for c, column in enumerate(PROBA_COLUMNS)},
        "label": pd.Series(label).where(known).astype("Int64") if every_usable else label,
        "fwd_return": data.labels.exit_return[day, ticker],
        "target_return": np.where(known, data.labels.target_return[day, ticker], np.nan),
    })


class _Best:
    """Best epoch so far on the monitored metric (lower is better only for loss)."""

    def __init__(self, monitor: str):
        self.sign = -1.0 if monitor == "loss" else 1.0
        self.epoch, self.score, self.last_change, self.state = 0, -math.inf, 0, None
        self.fallback = None

    def update(self, epoch: int, score: float, model, eligible: bool) -> bool:
        value = self.sign * (score if np.isfinite(score) else -math.inf * self.sign)
        if self.fallback is None or value > self.fallback[0]:
            self.fallback = (value, epoch, score, copy.deepcopy(model.state_dict()))
        if not eligible:
            self.last_change = epoch  # FNR target not met yet: keep training
            return False
        if self.state is None or value > self.sign * self.score:
            self.epoch, self.score, self.last_change = epoch, score, epoch
            self.state = copy.deepcopy(model.state_dict())
            return True
        return False

    def waiting(self, epoch: int) -> int:
        return epoch - self.last_change

    def restore(self, model) -> None:
        if self.state is None:
            _, self.epoch, self.score, self.state = self.fallback
        model.load_state_dict(self.state)


def _monitored(val: dict, val_loss: float, monitor: str) -> float:
    return val_loss if monitor == "loss" else val["auroc_mean"] if monitor == "auroc" else val[monitor]


def _collapse_alarm(val: dict, chance_streak: int) -> str:
    if val["n_predicted_classes"] == 1:
        return "one class predicted for every validation row"
    if chance_streak >= 3:
        return f"macro AUROC {val['auroc_mean']:.3f} within 0.02 of 0.5 for {chance_streak} epochs"
    return ""


def _epoch_line(r: EpochRecord, monitor: str, improved: bool) -> str:
    v = r.val
    return (f"epoch {r.epoch:3d}  loss {r.train_loss:.4f} (D {r.train_loss_per_class['Down']:.3f} "
            f"N {r.train_loss_per_class['None']:.3f} U {r.train_loss_per_class['Up']:.3f})  "
            f"val loss {r.val_loss:.4f}  macro-F1 (argmax) {v['macro_f1']:.3f}  recall D/N/U "
            f"{v['recall_down']:.2f}/{v['recall_none']:.2f}/{v['recall_up']:.2f}  Rank IC {v['rank_ic']:+.3f}  AUROC D/U "
            f"{v['auroc_down']:.3f}/{v['auroc_up']:.3f}  lr {r.lr:.2e}  {r.seconds:.1f}s"
            + ("  *" if improved else ""))
