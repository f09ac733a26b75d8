"""Walk-forward optimization: per fold, tune on validation, predict the test window once.

Each fold is independent of every other (its own seed, its own scaler, graph and SMOTE fitted on
its training days), and its artefacts are written atomically with ``fold.json`` last, so a run
killed at any moment resumes by skipping the folds that have ``fold.json`` and gives the same
predictions as a run that was never interrupted. Stitching, metrics and the report read only
the fold files.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stgnn.classes import N_CLASSES
from stgnn.config import Config
from stgnn.data.dataset import PanelData
from stgnn.data.splits import Split, purge_for
from stgnn.errors import ConfigError
from stgnn.io import atomic_write, write_json
from stgnn.training.fold import FoldData, FoldFitter
from stgnn.training.metrics import headline, prediction_metrics, proba_of
from stgnn.training.thresholds import apply_thresholds, tune_thresholds
from stgnn.training.trainer import ClassificationSTGNNTrainer, predictions_frame
from stgnn.walkforward.baselines import NO_GRAPH, fit_on_validation
from stgnn.walkforward.folds import WalkForwardSplitter

logger = logging.getLogger(__name__)

MODEL = "stgnn"


def make_splitter(config: Config) -> WalkForwardSplitter:
    wf = config.walkforward
    purge = purge_for(config.split.purge_days, config.labels.horizon)
    return WalkForwardSplitter(train_days=wf.train_days, val_days=wf.val_days, test_days=wf.test_days,
                               purge_days=purge, embargo_days=wf.embargo_days, expanding=wf.expanding,
                               max_folds=wf.folds)


def trial_grid(config: Config) -> list[dict]:
    """Every combination of the grid, each checked against the schema before any training."""
    grid = config.walkforward.grid
    trials = [dict(zip(grid, values)) for values in itertools.product(*grid.values())] or [{}]
    for params in trials:
        config.updated(params)  # raises ConfigError naming a bad key or value
    return trials


@dataclass(frozen=True)
class FoldOutcome:
    """What one fold leaves behind (also on disk as ``fold_XX/``)."""

    index: int
    frames: dict[str, pd.DataFrame]
    info: dict


def fold_dir(run_dir: Path, index: int) -> Path:
    return Path(run_dir) / "folds" / f"fold_{index:02d}"


def is_done(run_dir: Path, index: int) -> bool:
    return (fold_dir(run_dir, index) / "fold.json").is_file()


def run_fold(config: Config, data: PanelData, split: Split, index: int, out: Path, *, progress=False) -> FoldOutcome:
    """Tune, train, threshold and predict one fold, then write its artefacts (``fold.json`` last).

    The model and the temporal-only baseline each get their own search over the grid on the
    validation window, with the same seeds; the linear baselines choose their ``C`` there too."""
    wf = config.walkforward
    seed = config.training.seed + 1000 * index
    started = time.perf_counter()
    fitted: dict[tuple, FoldData] = {}

    def fold_for(cfg: Config) -> FoldData:
        """One fitted fold per distinct set of data settings, shared by trials, seeds and baselines."""
        key = FoldFitter.key(cfg)
        if key not in fitted:
            fitted[key] = FoldFitter(cfg, seed=seed).fit(data, split.train)
        return fitted[key]

    params, fit, trials = _search(config, fold_for, split, seed, progress, f"fold {index}")
    frames, thresholds, chosen_baselines = {}, {}, {}
    frames[MODEL], thresholds[MODEL] = _threshold_and_frame(config, data, split, fit["val"], fit["test"])
    chosen = config.updated(params)
    for name in wf.baselines:
        if name == NO_GRAPH:
            nog_params, nog, nog_trials = _search(config.updated({"model.graph": False}), fold_for, split, seed,
                                                  progress, f"fold {index} (no graph)")
            val, test = nog["val"], nog["test"]
            chosen_baselines[name] = {"chosen": nog_params, "trials": nog_trials, "n_seeds": wf.seeds}
        else:
            val, test, chosen_baselines[name] = fit_on_validation(
                name, data, split, fold_for(chosen).graph, C_grid=wf.baseline_C, seed=seed,
                window=chosen.model.window if wf.baseline_window == "model" else 1,
                score=lambda proba: _selection_score(data, split.val, proba, wf.select_on))
        frames[name], thresholds[name] = _threshold_and_frame(config, data, split, val, test)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        atomic_write(out / f"test_{name}.csv", lambda tmp, f=frame: f.to_csv(tmp, index=False))
    info = {
        "fold": index,
        "split": split.describe(data.dates),
        "chosen": params,
        "trials": trials,
        "baselines": chosen_baselines,
        "thresholds": thresholds,
        "imbalance": fit["imbalance"],
        "seed_metrics": fit["seed_metrics"],
        "alarms": fit["alarms"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(out / "fold.json", info)
    return FoldOutcome(index, frames, info)


def _search(config: Config, fold_for, split: Split, seed: int, progress, name: str):
    """The validation search of one fold: each trial an ensemble of ``walkforward.seeds`` models.

    Returns the chosen params, their fit (validation and test probabilities, seed metrics...) and
    every trial's record."""
    wf = config.walkforward
    trials, best = [], None

    def evaluate(params: dict) -> float:
        nonlocal best
        cfg = config.updated(params)
        fold = fold_for(cfg)
        fit = _fit_seeds(cfg, fold, split, seed, wf.seeds, progress)
        score = _selection_score(fold.data, split.val, fit["val"], wf.select_on)
        trials.append({"params": params, "val_score": score, "best_epochs": fit["best_epochs"]})
        logger.info("%s trial %s: val %s %.4f", name, params, wf.select_on, score)
        if best is None or score > best[0]:
            best = (score, params, fit)
        return score

    (_optuna_search if wf.search == "optuna" else _grid_search)(config, evaluate, seed=seed)
    _, params, fit = best
    return params, fit, trials


def load_fold(out: Path, names: list[str]) -> FoldOutcome:
    import json

    info = json.loads((out / "fold.json").read_text())
    frames = {name: pd.read_csv(out / f"test_{name}.csv") for name in names}
    return FoldOutcome(info["fold"], frames, info)


def _grid_search(config: Config, evaluate, *, seed: int) -> None:
    for params in trial_grid(config):
        evaluate(params)


def _optuna_search(config: Config, evaluate, *, seed: int) -> None:
    """Optuna's TPE over the grid's values (each key a categorical choice), ``n_trials`` per fold.

    Each fold's study lives in memory in the process running the fold, so folds spread over
    workers or Ray never share a storage (a shared SQLite file would not survive that)."""
    try:
        import optuna
    except ImportError:
        raise ConfigError("--search optuna needs Optuna: pip install optuna.") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    grid = config.walkforward.grid
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    for _ in range(config.walkforward.n_trials):
        trial = study.ask()
        params = {key: trial.suggest_categorical(key, values) for key, values in grid.items()}
        study.tell(trial, evaluate(params))


def _fit_seeds(cfg: Config, fold: FoldData, split: Split, seed: int, n_seeds: int, progress) -> dict:
    """Train ``n_seeds`` models on one fold; their mean probabilities are the ensemble's predictions."""
    vals, tests, epochs, seed_metrics, alarms = [], [], [], [], []
    for s in range(n_seeds):
        trainer = ClassificationSTGNNTrainer(cfg, fold, split, seed=seed + s, progress=progress)
        result = trainer.fit()
        val, test = trainer.predict_proba(split.val), trainer.predict_proba(split.test)
        vals.append(val)
        tests.append(test)
        epochs.append(result.best_epoch)
        alarms.extend(result.alarms)
        frame = predictions_frame(fold.data, split.test, test)
        seed_metrics.append(headline(prediction_metrics(frame.assign(pred=test.reshape(-1, N_CLASSES).argmax(1)))))
    return {"val": np.mean(vals, axis=0), "test": np.mean(tests, axis=0), "best_epochs": epochs,
            "imbalance": trainer.plan_.to_dict(), "seed_metrics": seed_metrics, "alarms": alarms}


def _selection_score(data: PanelData, val_days: np.ndarray, proba: np.ndarray, select_on: str) -> float:
    """The validation score that chooses among trials (the model's and the baselines' alike)."""
    frame = predictions_frame(data, val_days, proba)
    proba = proba_of(frame)
    if select_on == "auroc":
        return prediction_metrics(frame.assign(pred=proba.argmax(1)))["auroc_mean"]
    thresholds = tune_thresholds(frame["label"].to_numpy(), proba)
    return thresholds.value


def _threshold_and_frame(config: Config, data: PanelData, split: Split, val: np.ndarray, test: np.ndarray):
    t = config.thresholds
    val_frame = predictions_frame(data, split.val, val)
    thresholds = tune_thresholds(val_frame["label"].to_numpy(), proba_of(val_frame),
                                 objective=t.objective, min_precision=t.min_precision, fnr_target=t.fnr_target)
    frame = predictions_frame(data, split.test, test)
    frame["pred"] = apply_thresholds(proba_of(frame), thresholds)
    return frame, thresholds.to_dict()
