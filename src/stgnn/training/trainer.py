"""ClassificationSTGNNTrainer: fits scaler, graph and SMOTE on training days, trains the STGNN with
a (weighted) focal loss, early-stops on validation and raises a collapse alarm."""

from __future__ import annotations

import copy
import logging
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from stgnn.classes import CLASS_NAMES, DOWN, N_CLASSES, UP
from stgnn.config import Config
from stgnn.data.batches import EgoSamples, GraphBatcher
from stgnn.data.dataset import PanelData
from stgnn.data.graph import Graph, build_graph
from stgnn.data.scaling import FeatureScaler
from stgnn.data.splits import Split, chronological_split
from stgnn.errors import ConfigError, StgnnError
from stgnn.models.losses import WeightedFocalLoss, focal_loss
from stgnn.models.stgnn import STGNN
from stgnn.training import imbalance
from stgnn.training.metrics import classification_metrics, score_metrics
from stgnn.training.smote import EgoSMOTE

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 1


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


def resolve_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("Device 'cuda' asked for, but torch sees no CUDA GPU; use --device cpu or auto.")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """The one place global seeds are set (numpy's global state is never used by stgnn)."""
    torch.manual_seed(seed)


class ClassificationSTGNNTrainer:
    """Train the STGNN on one split of a panel.

    Parameters
    ----------
    config : Config
    data : PanelData
        Features and labels of the whole panel (computed once, shared by splits and folds).
    split : Split, optional
        Train / val / test days; by default the chronological split of ``config.split``.
    focal_alpha, focal_gamma, price_threshold : optional
        Overrides of ``config.loss.focal_alpha``, ``config.loss.focal_gamma`` and
        ``config.labels.threshold`` (the seed's constructor arguments).
    seed : int, optional
        Overrides ``config.training.seed``; SMOTE, the sampler and the torch generator use it.
    progress : bool, optional
        tqdm bars; by default only when stderr is a terminal.

    Everything learned from data (scaler, graph, SMOTE) is fitted on ``split.train`` days only.
    """

    def __init__(self, config: Config, data: PanelData, *, split: Split | None = None,
                 focal_alpha=None, focal_gamma=None, price_threshold=None, seed=None, progress=None):
        given = {"loss.focal_alpha": focal_alpha, "loss.focal_gamma": focal_gamma,
                 "labels.threshold": price_threshold, "training.seed": seed}
        self.config = config.updated({k: v for k, v in given.items() if v is not None})
        if self.config.labels != data.label_config:
            data = data.relabel(self.config.labels)
        self.data = data
        if split is None:
            purge = self.config.split.purge_days
            split = chronological_split(
                data.labelled_days,
                val_fraction=self.config.split.val_fraction,
                test_fraction=self.config.split.test_fraction,
                purge_days=self.config.labels.horizon if purge is None else max(purge, self.config.labels.horizon),
                embargo_days=self.config.split.embargo_days,
            )
        split.check(self.config.labels.horizon)
        if self.config.graph.k >= len(data.tickers):
            raise ConfigError(f"Graph k={self.config.graph.k} needs at least {self.config.graph.k + 1} tickers, "
                              f"got {len(data.tickers)}; lower --k.")
        self.split = split
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.device = resolve_device(self.config.training.device)

    # ------------------------------------------------------------------ fitting on training days
    def _fit_transforms(self) -> None:
        cfg, data, train = self.config, self.data, self.split.train
        self.scaler_ = FeatureScaler(kind=cfg.training.scaler).fit(data.features.values[train])
        self.x_ = self.scaler_.transform(data.features.values)
        self.graph_ = build_graph(cfg.graph, data.returns()[train], data.tickers)
        labels = data.labels
        self.sample_weight_ = imbalance.hard_negative_weights(labels.y, labels.fwd_return, labels.threshold, cfg.loss)
        smote = EgoSMOTE(
            sampling_strategy=cfg.smote.sampling_strategy,
            target_ratio=cfg.smote.target_ratio,
            k_neighbors=cfg.smote.k_neighbors,
            random_state=cfg.training.seed,
            max_pool=cfg.smote.max_pool,
        )
        if cfg.smote.enabled:
            self.ego_ = smote.fit_resample(self.x_, labels.y, train, self.graph_, cfg.model.window)
            report = smote.report_
            before, after, note = report.counts_before, report.counts_after, report.note
        else:
            self.ego_ = EgoSamples.empty(self.graph_.k, cfg.model.window, data.n_features)
            before = after = labels.class_counts(train)
            note = "off"
        y_train = labels.y[train]
        self.day_probs_ = imbalance.day_sampling_weights(y_train) if cfg.training.balanced_sampler else None
        seen = imbalance.expected_counts(y_train, self.day_probs_) + np.bincount(self.ego_.y, minlength=N_CLASSES)
        weights = imbalance.balanced_class_weights(seen) if cfg.loss.class_weights == "balanced" else np.ones(N_CLASSES)
        sw = self.sample_weight_[train]
        hn_mean = np.array([sw[y_train == c].mean() if (y_train == c).any() else 1.0 for c in range(N_CLASSES)])
        self.plan_ = imbalance.ImbalancePlan(
            loss=cfg.loss.name,
            alpha=imbalance.alpha_at(cfg.loss, 0) if cfg.loss.name == "focal" else None,
            gamma=cfg.loss.focal_gamma if cfg.loss.name == "focal" else 0.0,
            counts_before_smote=before, counts_after_smote=after, smote_note=note,
            sampler=cfg.training.balanced_sampler, seen=seen, class_weights=weights,
            hard_negative_mean=hn_mean,
        )
        self.batcher_ = GraphBatcher(self.x_, labels.y, self.graph_, cfg.model.window,
                                     sample_weight=self.sample_weight_, ego=self.ego_)

    def _make_loss(self) -> WeightedFocalLoss:
        plan = self.plan_
        return WeightedFocalLoss(
            torch.as_tensor(plan.class_weights, dtype=torch.float32), alpha=plan.alpha, gamma=plan.gamma
        ).to(self.device)

    # ------------------------------------------------------------------ training
    def fit(self) -> TrainResult:
        cfg = self.config.training
        seed_everything(cfg.seed)
        t0 = time.perf_counter()
        self._fit_transforms()
        for line in self.plan_.lines():
            logger.info(line)
        logger.info("graph: %s; scaler: %s; %d train / %d val / %d test days; device %s",
                    f"k={self.graph_.k} ({self.config.graph.method})", cfg.scaler,
                    len(self.split.train), len(self.split.val), len(self.split.test), self.device)
        self.model_ = STGNN(self.data.n_features, self.config.model).to(self.device)
        criterion = self._make_loss()
        optimizer = torch.optim.AdamW(self.model_.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
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
            logger.info(_epoch_line(record, monitor, improved))
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
        logger.info("best epoch %d (val %s %.4f); %s; %.0fs", best.epoch, monitor, best.score, stopped,
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
        """Day ids and ego ids of each batch: every synthetic ego graph once, spread evenly."""
        days = self.split.train
        if self.day_probs_ is None:
            order = rng.permutation(days)
        else:
            order = rng.choice(days, size=len(days), replace=True, p=self.day_probs_)
        n_batches = math.ceil(len(order) / self.config.training.batch_days)
        egos = np.array_split(rng.permutation(len(self.ego_)), n_batches)
        return zip(np.array_split(order, n_batches), egos)

    def _train_epoch(self, criterion, optimizer, rng) -> tuple[float, dict[str, float]]:
        self.model_.train()
        total = np.zeros(N_CLASSES)
        count = np.zeros(N_CLASSES)
        batches = list(self._epoch_batches(rng))
        for days, egos in tqdm(batches, desc="batches", disable=not self.progress, leave=False):
            batch = self.batcher_.batch(days, egos).to(self.device)
            logits = self.model_(batch.x, batch.edge_index, batch.edge_weight)
            mask = batch.y >= 0
            y = batch.y[mask]
            per_sample, loss = _loss_terms(criterion, logits[mask], y, batch.sample_weight[mask])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model_.parameters(), self.config.training.grad_clip)
            optimizer.step()
            with torch.no_grad():
                y_np = y.cpu().numpy()
                l_np = per_sample.detach().cpu().numpy()
                total += np.bincount(y_np, weights=l_np, minlength=N_CLASSES)
                count += np.bincount(y_np, minlength=N_CLASSES)
        per_class = np.divide(total, count, out=np.full(N_CLASSES, np.nan), where=count > 0)
        return float(total.sum() / max(count.sum(), 1)), dict(zip(CLASS_NAMES, per_class.round(6).tolist()))

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def predict_proba(self, days: np.ndarray) -> np.ndarray:
        """Probabilities of shape (n_days, n_tickers, 3) for day graphs of ``days``."""
        self.model_.eval()
        n = len(self.data.tickers)
        out = []
        step = max(1, 4 * self.config.training.batch_days)
        for chunk in np.array_split(days, max(1, math.ceil(len(days) / step))):
            batch = self.batcher_.batch(chunk).to(self.device)
            logits = self.model_(batch.x, batch.edge_index, batch.edge_weight)
            out.append(torch.softmax(logits.float(), dim=-1).cpu().numpy().reshape(len(chunk), n, N_CLASSES))
        return np.concatenate(out) if out else np.zeros((0, n, N_CLASSES))

    def predictions(self, days: np.ndarray) -> pd.DataFrame:
        """One row per (date, ticker): date, ticker, p_down, p_none, p_up, label, fwd_return."""
        return predictions_frame(self.data, days, self.predict_proba(days))

    @torch.no_grad()
    def _evaluate(self, days: np.ndarray, criterion) -> tuple[float, dict[str, float]]:
        proba = self.predict_proba(days).reshape(-1, N_CLASSES)
        y = self.data.labels.y[days].reshape(-1)
        known = y >= 0
        proba, y = proba[known], y[known]
        logits = torch.log(torch.as_tensor(proba).clamp_min(1e-12)).to(self.device)
        target = torch.as_tensor(y).to(self.device)
        loss = float(_loss_terms(criterion, logits, target, None)[1])
        pred = proba.argmax(axis=1)
        cls = classification_metrics(y, pred)
        scores = score_metrics(y, proba)
        per = cls["per_class"]
        return loss, {
            "macro_f1": cls["macro_f1"],
            "mcc": cls["mcc"],
            "recall_down": per["Down"]["recall"], "recall_none": per["None"]["recall"], "recall_up": per["Up"]["recall"],
            "fnr_down": per["Down"]["fnr"], "fnr_up": per["Up"]["fnr"],
            "auroc_down": scores["auroc_down"], "auroc_up": scores["auroc_up"],
            "auroc_mean": scores["auroc_mean"],
            "n_predicted_classes": int(len(np.unique(pred))),
        }

    # ------------------------------------------------------------------ persistence
    def checkpoint(self, thresholds: dict | None = None) -> dict:
        """Everything inference needs, in types ``torch.load(weights_only=True)`` accepts."""
        return {
            "format": CHECKPOINT_FORMAT,
            "state_dict": self.model_.state_dict(),
            "config": self.config.model_dump(mode="json"),
            "n_features": self.data.n_features,
            "feature_names": self.data.features.names,
            "tickers": self.data.tickers,
            "graph": self.graph_.to_dict(),
            "scaler": self.scaler_.state(),
            "loss": {"name": self.config.loss.name, "alpha": _jsonable(self.plan_.alpha),
                     "gamma": self.plan_.gamma, "class_weights": self.plan_.class_weights.tolist()},
            "imbalance": self.plan_.to_dict(),
            "thresholds": thresholds,
        }


def predictions_frame(data: PanelData, days: np.ndarray, proba: np.ndarray) -> pd.DataFrame:
    n = len(data.tickers)
    flat = proba.reshape(-1, N_CLASSES)
    return pd.DataFrame({
        "date": np.repeat(data.dates[days].strftime("%Y-%m-%d").to_numpy(), n),
        "ticker": np.tile(np.array(data.tickers, dtype=object), len(days)),
        "p_down": flat[:, DOWN], "p_none": flat[:, 1], "p_up": flat[:, UP],
        "label": data.labels.y[days].reshape(-1),
        "fwd_return": data.labels.fwd_return[days].reshape(-1),
    })


def load_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint safely (``weights_only=True``); a clear error if it is not one of ours."""
    path = Path(path)
    if not path.is_file():
        raise StgnnError(f"Checkpoint {path} does not exist; pass the model.pt of a run directory.")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt or foreign file
        raise StgnnError(f"{path} is not a readable stgnn checkpoint ({type(exc).__name__}).") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise StgnnError(f"{path} is not an stgnn checkpoint (format {CHECKPOINT_FORMAT}).")
    return ckpt


def model_from_checkpoint(ckpt: dict) -> tuple[STGNN, Config, FeatureScaler, Graph]:
    config = Config.model_validate(ckpt["config"])
    model = STGNN(ckpt["n_features"], config.model)
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, config, FeatureScaler.from_state(ckpt["scaler"]), Graph.from_dict(ckpt["graph"])


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
            self.last_change = epoch  # FNR target not met yet: keep training (seed 001)
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


def _loss_terms(criterion: WeightedFocalLoss, logits, target, sample_weight):
    """Per-sample losses (for the per-class log) and their weighted mean (what is optimised):
    the mean divides by the summed class x sample weights, like weighted cross entropy."""
    per_sample = focal_loss(logits, target, alpha=criterion.alpha, gamma=criterion.gamma,
                            weight=criterion.class_weights, sample_weight=sample_weight, reduction="none")
    denom = criterion.class_weights[target]
    if sample_weight is not None:
        denom = denom * sample_weight
    return per_sample, per_sample.sum() / denom.sum().clamp_min(1e-12)


def _epoch_line(r: EpochRecord, monitor: str, improved: bool) -> str:
    v = r.val
    return (f"epoch {r.epoch:3d}  loss {r.train_loss:.4f} (D {r.train_loss_per_class['Down']:.3f} "
            f"N {r.train_loss_per_class['None']:.3f} U {r.train_loss_per_class['Up']:.3f})  "
            f"val loss {r.val_loss:.4f}  macro-F1 {v['macro_f1']:.3f}  recall D/N/U "
            f"{v['recall_down']:.2f}/{v['recall_none']:.2f}/{v['recall_up']:.2f}  AUROC D/U "
            f"{v['auroc_down']:.3f}/{v['auroc_up']:.3f}  lr {r.lr:.2e}  {r.seconds:.1f}s"
            + ("  *" if improved else ""))


def _jsonable(alpha):
    return list(alpha) if isinstance(alpha, tuple) else alpha
