"""Walk-forward optimization: per fold, tune on validation, predict the test window once.

Each fold is independent of every other (its own seed, its own scaler, graph and SMOTE fitted on
its training days), and its artefacts are written atomically with ``fold.json`` last, so a run
killed at any moment resumes by skipping the folds that have ``fold.json`` and gives the same
predictions as a run that was never interrupted. Stitching, metrics and the report read only
the fold files. Each fold keeps the model that made its test predictions (``model.pt``, the
seeds' models in one checkpoint).

After the folds, :func:`run_final` fits the model that makes tomorrow's calls on the latest
window by the same rules (:func:`tune_model`), written the same way: ``model.pt``, then
``final.json`` last.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stgnn.checkpoint import build_checkpoint, save_checkpoint
from stgnn.config import Config
from stgnn.data.dataset import PanelData
from stgnn.data.splits import Split, purge_for
from stgnn.errors import ConfigError
from stgnn.evaluation.metrics import headline, prediction_metrics, proba_of
from stgnn.io import atomic_write, write_json
from stgnn.registry import NO_GRAPH
from stgnn.runs import MODEL, FoldDir, RunDir
from stgnn.training.fold import FoldData, FoldFitter
from stgnn.training.thresholds import DecisionThresholds, apply_thresholds, tune_thresholds
from stgnn.training.trainer import ClassificationSTGNNTrainer, predictions_frame
from stgnn.walkforward.baselines import fit_on_validation
from stgnn.walkforward.folds import WalkForwardSplitter

logger = logging.getLogger(__name__)



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


@dataclass(frozen=True)
class TunedModel:
    """The model's part of a fold, or of the final window: what the validation search chose.

    Attributes
    ----------
    params : dict
        The chosen trial's grid values.
    trials : list of dict
        Every trial's params, validation score and best epochs.
    fit : dict
        The chosen trial's ensemble: mean ``val`` and ``test`` probabilities (``test`` None
        without a test window), ``models``, ``plan``, ``best_epochs``, ``seed_metrics``, ``alarms``.
    thresholds : DecisionThresholds
        Tuned on the chosen trial's validation probabilities.
    checkpoint : dict
        Its models with everything inference needs (:func:`stgnn.checkpoint.build_checkpoint`).
    """

    params: dict
    trials: list[dict]
    fit: dict
    thresholds: DecisionThresholds
    checkpoint: dict


def tune_model(config: Config, data: PanelData, split: Split, fold_for, seed: int, progress, name: str) -> TunedModel:
    """Search the grid on the validation window (each trial an ensemble of ``walkforward.seeds``
    models), tune the decision thresholds there and pack the chosen models into a checkpoint.

    One function for a fold and for the final model, so the model that makes tomorrow's calls is
    chosen exactly as the ones the walk-forward judged were."""
    params, fit, trials = _search(config, fold_for, split, seed, progress, name)
    thresholds = _tune_on_validation(config, data, split, fit["val"])
    chosen = config.updated(params)
    checkpoint = build_checkpoint(fit["models"], chosen, fold_for(chosen), fit["plan"], thresholds.to_dict())
    return TunedModel(params, trials, fit, thresholds, checkpoint)


def run_fold(config: Config, data: PanelData, split: Split, index: int, out: FoldDir, *,
             progress=False) -> FoldOutcome:
    """Tune, train, threshold and predict one fold, then write its artefacts (``fold.json`` last).

    The model and the temporal-only baseline each get their own search over the grid on the
    validation window, with the same seeds; the linear baselines choose their ``C`` there too."""
    wf = config.walkforward
    seed = _seed(config, index)
    started = time.perf_counter()
    fold_for = _fold_cache(data, split, seed)
    model = tune_model(config, data, split, fold_for, seed, progress, f"fold {index}")
    frames = {MODEL: _test_frame(data, split, model.fit["test"], model.thresholds)}
    thresholds, chosen_baselines = {MODEL: model.thresholds.to_dict()}, {}
    chosen = config.updated(model.params)
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
    out.root.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        atomic_write(out.test(name), lambda tmp, f=frame: f.to_csv(tmp, index=False))
    save_checkpoint(model.checkpoint, out.checkpoint)
    info = {
        "fold": index,
        "split": split.date_ranges(data.dates),
        "chosen": model.params,
        "trials": model.trials,
        "baselines": chosen_baselines,
        "thresholds": thresholds,
        "imbalance": model.fit["plan"].to_dict(),
        "seed_metrics": model.fit["seed_metrics"],
        "alarms": model.fit["alarms"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(out.info, info)
    return FoldOutcome(index, frames, info)


def run_final(config: Config, data: PanelData, split: Split, index: int, out: RunDir, *, progress=False) -> dict:
    """Fit the model that makes tomorrow's calls on ``split`` (see
    :meth:`~stgnn.walkforward.folds.WalkForwardSplitter.final`) and write ``model.pt``, then
    ``final.json`` (its windows and choices) into the run directory ``out``.

    ``index`` is the position it takes after the folds: its seed follows theirs. It is searched,
    trained and thresholded as a fold is (:func:`tune_model`); having no test window, it predicts
    nothing here."""
    seed = _seed(config, index)
    started = time.perf_counter()
    model = tune_model(config, data, split, _fold_cache(data, split, seed), seed, progress, "final model")
    save_checkpoint(model.checkpoint, out.checkpoint)
    info = {
        "split": split.date_ranges(data.dates),
        "chosen": model.params,
        "trials": model.trials,
        "thresholds": model.thresholds.to_dict(),
        "imbalance": model.fit["plan"].to_dict(),
        "n_seeds": config.walkforward.seeds,
        "seed": seed,
        "alarms": model.fit["alarms"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(out.final_info, info)
    return info


def _seed(config: Config, index: int) -> int:
    return config.training.seed + 1000 * index


def _fold_cache(data: PanelData, split: Split, seed: int):
    """``fold_for(cfg)``: one fitted fold per distinct set of data settings, shared by trials,
    seeds and baselines."""
    fitted: dict[tuple, FoldData] = {}

    def fold_for(cfg: Config) -> FoldData:
        key = FoldFitter.key(cfg)
        if key not in fitted:
            fitted[key] = FoldFitter(cfg, seed=seed).fit(data, split.train)
        return fitted[key]

    return fold_for


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


def load_fold(out: FoldDir, names: list[str]) -> FoldOutcome:
    info = out.read_info()
    frames = {name: pd.read_csv(out.test(name)) for name in names}
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
    """Train ``n_seeds`` models on one fold; their mean probabilities are the ensemble's predictions.

    Without a test window (the final model) there are no test probabilities and no seed metrics."""
    vals, tests, models, epochs, seed_metrics, alarms = [], [], [], [], [], []
    for s in range(n_seeds):
        trainer = ClassificationSTGNNTrainer(cfg, fold, split, seed=seed + s, progress=progress)
        result = trainer.fit()
        vals.append(trainer.predict_proba(split.val))
        models.append(trainer.model_)
        epochs.append(result.best_epoch)
        alarms.extend(result.alarms)
        if len(split.test):
            test = trainer.predict_proba(split.test)
            tests.append(test)
            frame = predictions_frame(fold.data, split.test, test)
            seed_metrics.append(headline(prediction_metrics(frame.assign(pred=proba_of(frame).argmax(1)))))
    return {"val": np.mean(vals, axis=0), "test": np.mean(tests, axis=0) if tests else None, "models": models,
            "best_epochs": epochs, "plan": trainer.plan_, "seed_metrics": seed_metrics, "alarms": alarms}


def _selection_score(data: PanelData, val_days: np.ndarray, proba: np.ndarray, select_on: str) -> float:
    """The validation score that chooses among trials (the model's and the baselines' alike)."""
    frame = predictions_frame(data, val_days, proba)
    proba = proba_of(frame)
    if select_on == "auroc":
        return prediction_metrics(frame.assign(pred=proba.argmax(1)))["auroc_mean"]
    thresholds = tune_thresholds(frame["label"].to_numpy(), proba)
    return thresholds.value


def _tune_on_validation(config: Config, data: PanelData, split: Split, val: np.ndarray) -> DecisionThresholds:
    t = config.thresholds
    val_frame = predictions_frame(data, split.val, val)
    return tune_thresholds(val_frame["label"].to_numpy(), proba_of(val_frame),
                           objective=t.objective, min_precision=t.min_precision, fnr_target=t.fnr_target)


def _test_frame(data: PanelData, split: Split, test: np.ndarray, thresholds: DecisionThresholds) -> pd.DataFrame:
    """Every usable node of the test days with its call: the labelled rows are scored, all are traded."""
    frame = predictions_frame(data, split.test, test, every_usable=True)
    frame["pred"] = apply_thresholds(proba_of(frame), thresholds)
    return frame


def _threshold_and_frame(config: Config, data: PanelData, split: Split, val: np.ndarray, test: np.ndarray):
    thresholds = _tune_on_validation(config, data, split, val)
    return _test_frame(data, split, test, thresholds), thresholds.to_dict()
