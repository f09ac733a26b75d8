"""One experiment on one chronological split, written to a run directory.

The run directory appears only when the run is complete: everything is written into a hidden
sibling folder and renamed at the end, and every input a user can get wrong (config, flags, data,
split) is checked before that folder is made.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from stgnn.checkpoint import build_checkpoint, save_checkpoint
from stgnn.config import Config, write_config
from stgnn.data.dataset import PanelData, prepare
from stgnn.data.graph import configured_sectors
from stgnn.data.sources import load_panel
from stgnn.data.sources.synthetic import bayes_posterior
from stgnn.data.splits import Split, chronological_split, purge_for
from stgnn.device import check_device
from stgnn.errors import ConfigError
from stgnn.evaluation.metrics import HEADLINE_METRICS, PREDICTION_COLUMNS, prediction_metrics, proba_of
from stgnn.formats import metric
from stgnn.io import atomic_write, write_json
from stgnn.registry import BAYES
from stgnn.reporting import plots
from stgnn.runs import RunDir
from stgnn.training.fold import FoldFitter
from stgnn.training.thresholds import DecisionThresholds, apply_thresholds, argmax_predict, tune_thresholds
from stgnn.training.trainer import ClassificationSTGNNTrainer, predictions_frame

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    metrics: dict
    best_epoch: int


def default_run_dir(config: Config, root: Path = Path("runs")) -> Path:
    """``runs/<experiment>-<YYYYmmdd-HHMMSS>-<config hash>``: sortable, unique, traceable."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return root / f"{config.experiment}-{stamp}-{config.hash()}"


def load_data(config: Config) -> PanelData:
    """The panel of ``config.data``, prepared; with ``graph.sector_file`` its sectors travel along, so
    that sector-relative labels can be cut (and cut again by ``relabel``). A training device this
    machine lacks is refused first: every experiment command loads its data here."""
    check_device(config.training.device)
    panel = load_panel(config.data)
    return prepare(panel, features=config.features, labels=config.labels, window=config.model.window,
                   sectors=configured_sectors(config.graph))


def single_split(config: Config, data: PanelData) -> Split:
    """The chronological train / val / test split of ``config.split`` over the labelled days."""
    return chronological_split(
        data.labelled_days, val_fraction=config.split.val_fraction, test_fraction=config.split.test_fraction,
        purge_days=purge_for(config.split.purge_days, config.labels.span), embargo_days=config.split.embargo_days)


def run_experiment(config: Config, run_dir: Path | None = None, *, data: PanelData | None = None) -> RunResult:
    """Train, tune thresholds on validation, evaluate on test, write the run directory."""
    run_dir = Path(run_dir) if run_dir is not None else default_run_dir(config)
    if run_dir.exists() and any(run_dir.iterdir()):
        raise ConfigError(f"Run directory {run_dir} exists and is not empty; pass a new --run-dir.")
    data = data if data is not None else load_data(config)
    if config.labels != data.label_config:
        data = data.relabel(config.labels)
    split = single_split(config, data)
    fitter = FoldFitter(config)
    staging = run_dir.parent / f".{run_dir.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    staged = RunDir(staging)
    handler = _log_to(staged.log)
    try:
        logger.info("run %s", run_dir)
        for name, part in split.date_ranges(data.dates).items():
            logger.info("%-5s %s to %s (%d days)", name, part["first"], part["last"], part["days"])
        trainer = ClassificationSTGNNTrainer(config, fitter.fit(data, split.train), split)
        result = trainer.fit()
        metrics = _evaluate_and_write(trainer, staged)
        write_json(staged.history, result.to_dict())
        plots.plot_training_curves([h for h in result.to_dict()["history"]], staged.split_figure("training_curves"),
                                   best_epoch=result.best_epoch)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # no half-written run, whatever stopped it
        raise
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    if run_dir.exists():
        run_dir.rmdir()
    os.replace(staging, run_dir)
    return RunResult(run_dir, metrics, result.best_epoch)


def _evaluate_and_write(trainer: ClassificationSTGNNTrainer, out: RunDir) -> dict:
    cfg = trainer.config
    val = trainer.predictions(trainer.split.val)
    test = trainer.predictions(trainer.split.test)
    val_proba = proba_of(val)
    thresholds = _tune(cfg, val)
    thresholds.save(out.thresholds)
    atomic_write(out.val_scores, lambda tmp: _save_npz(
        tmp, proba=val_proba, label=val["label"].to_numpy(),
        date=val["date"].to_numpy(dtype=str), ticker=val["ticker"].to_numpy(dtype=str)))
    metrics = _split_metrics(val, test, thresholds)
    posterior = bayes_posterior(cfg.data, trainer.data)
    if posterior is not None:
        metrics[BAYES] = _reference_metrics(cfg, trainer.data, trainer.split, posterior)
    test = test.assign(pred=apply_thresholds(proba_of(test), thresholds))
    atomic_write(out.test_predictions,
                 lambda tmp: test[list(PREDICTION_COLUMNS)].to_csv(tmp, index=False))
    metrics["thresholds"] = thresholds.to_dict()
    metrics["imbalance"] = trainer.plan_.to_dict()
    metrics["split"] = trainer.split.date_ranges(trainer.data.dates)
    metrics = out.write_metrics(metrics)
    save_checkpoint(build_checkpoint(trainer.model_, cfg, trainer.fold, trainer.plan_, thresholds.to_dict()),
                    out.checkpoint)
    write_config(cfg, out.config)
    trainer.fold.graph.save(out.graph)
    tuned = metrics["test"]["tuned"]
    plots.plot_confusion_matrix(tuned["confusion_matrix"], out.split_figure("confusion_matrix"),
                                title="Test confusion matrix (tuned thresholds)")
    plots.plot_pr_curves(test["label"].to_numpy(), proba_of(test),
                         out.split_figure("pr_curves"), title="Test precision-recall (one vs rest)")
    return metrics


def _tune(cfg: Config, val) -> DecisionThresholds:
    """Decision thresholds tuned on a validation predictions frame, as ``cfg.thresholds`` asks."""
    return tune_thresholds(val["label"].to_numpy(), proba_of(val), objective=cfg.thresholds.objective,
                           min_precision=cfg.thresholds.min_precision, fnr_target=cfg.thresholds.fnr_target)


def _split_metrics(val, test, thresholds: DecisionThresholds) -> dict:
    """Metrics of the validation and test frames, by argmax and at ``thresholds``."""
    return {name: {"argmax": prediction_metrics(frame.assign(pred=argmax_predict(proba_of(frame)))),
                   "tuned": prediction_metrics(frame.assign(pred=apply_thresholds(proba_of(frame), thresholds)))}
            for name, frame in (("val", val), ("test", test))}


def _reference_metrics(cfg: Config, data: PanelData, split: Split, posterior: np.ndarray) -> dict:
    """The synthetic market's exact posterior scored like the model: on the same rows, its thresholds
    tuned on the validation rows alone."""
    val, test = (predictions_frame(data, days, posterior[days]) for days in (split.val, split.test))
    thresholds = _tune(cfg, val)
    return {**_split_metrics(val, test, thresholds), "thresholds": thresholds.to_dict()}


def summary_lines(result: RunResult) -> list[str]:
    """A short table: val and test, argmax and tuned, the headline metrics; on the synthetic market
    the exact posterior's test metrics at its tuned thresholds beside them (the best possible)."""
    cols = [("val", "argmax"), ("val", "tuned"), ("test", "argmax"), ("test", "tuned")]
    cols += [(BAYES, "test")] if BAYES in result.metrics else []

    def cell(a: str, b: str) -> dict:
        return result.metrics[a]["test"]["tuned"] if a == BAYES else result.metrics[a][b]

    lines = [f"{'metric':<18}" + "".join(f"{a + ' ' + b:>14}" for a, b in cols)]
    for key in HEADLINE_METRICS:
        lines.append(f"{key:<18}" + "".join(f"{metric(cell(a, b)[key]):>14}" for a, b in cols))
    if BAYES in result.metrics:
        lines.append(f"{BAYES} test: the synthetic market's exact posterior on the test rows, its thresholds tuned "
                     "on validation")
    lines.append(f"best epoch {result.best_epoch}; run directory: {result.run_dir}")
    return lines


def _save_npz(path: str, **arrays) -> None:
    with open(path, "wb") as f:  # a file object: np.savez would append ".npz" to a temp name
        np.savez_compressed(f, **arrays)


def _log_to(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return handler
