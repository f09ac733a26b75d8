"""One window of a walk-forward run: a fold tuned on validation that predicts its test window
once (:func:`run_fold`), or the final model (:func:`run_final`), written into the run directory
(:mod:`stgnn.runs` names every file) and read back (:func:`load_fold`).

Each fold is independent of every other (its own seed, its own scaler, graph and SMOTE fitted on
its training days), and its files are written atomically with the fold's info last, so a run
killed at any moment resumes by skipping the folds that are done and gives the same predictions as
a run that was never interrupted. Stitching, metrics and the report read only the fold files. Each
fold keeps the models that made its test predictions (the seeds' models in one checkpoint).

After the folds, :func:`run_final` fits the model that makes tomorrow's calls on the latest window
by the same search (:meth:`~stgnn.walkforward.search.Window.tune`), written the same way: its
checkpoint, then its info last.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stgnn.checkpoint import save_checkpoint
from stgnn.config import Config
from stgnn.data.dataset import PanelData
from stgnn.data.sources.synthetic import bayes_posterior
from stgnn.data.splits import Split
from stgnn.evaluation.metrics import proba_of
from stgnn.io import atomic_write, write_json
from stgnn.registry import BAYES, NO_GRAPH
from stgnn.runs import MODEL, FoldDir, RunDir
from stgnn.training.thresholds import DecisionThresholds, apply_thresholds
from stgnn.training.trainer import predictions_frame
from stgnn.walkforward.baselines import fit_on_validation
from stgnn.walkforward.search import Window


@dataclass(frozen=True)
class FoldOutcome:
    """What one fold leaves behind (also on disk, in its :class:`~stgnn.runs.FoldDir`)."""

    index: int
    frames: dict[str, pd.DataFrame]
    info: dict


def run_fold(config: Config, data: PanelData, split: Split, index: int, out: FoldDir, *,
             progress=False) -> FoldOutcome:
    """Tune, train, threshold and predict one fold, then write its files (its info last).

    The model and the temporal-only baseline each get their own search over the grid on the
    validation window, with the same seeds; the linear baselines choose their ``C`` there too. On
    the synthetic market the exact posterior is scored beside them (:data:`~stgnn.registry.BAYES`),
    its decision thresholds tuned on the same validation rows. The info records each model's seconds
    (the model's include building the fold's features, scaler and graph, which the rest reuse)."""
    wf = config.walkforward
    started = time.perf_counter()
    window = _window(config, data, split, index, f"fold {index}", progress)
    model = window.tune()
    frames = {MODEL: _test_frame(window, model.ensemble.test, model.thresholds)}
    thresholds, chosen_baselines = {MODEL: model.thresholds.to_dict()}, {}
    seconds = {MODEL: round(time.perf_counter() - started, 1)}
    chosen = config.updated(model.params)
    for name in wf.baselines:
        fitting = time.perf_counter()
        if name == NO_GRAPH:
            found = window.search({"model.graph": False}, "no graph")
            val, test = found.ensemble.val, found.ensemble.test
            chosen_baselines[name] = {"chosen": found.params, "trials": found.trials, "n_seeds": wf.seeds}
        else:
            val, test, chosen_baselines[name] = fit_on_validation(
                name, data, split, window.fold_for(chosen).graph, C_grid=wf.baseline_C, seed=window.seed,
                window=chosen.model.window if wf.baseline_window == "model" else 1, score=window.score)
        tuned = window.thresholds(val)
        frames[name], thresholds[name] = _test_frame(window, test, tuned), tuned.to_dict()
        seconds[name] = round(time.perf_counter() - fitting, 1)
    posterior = bayes_posterior(config.data, data)
    if posterior is not None:  # the synthetic market's best possible, thresholded on validation like the rest
        tuned = window.thresholds(posterior[split.val])
        frames[BAYES], thresholds[BAYES] = _test_frame(window, posterior[split.test], tuned), tuned.to_dict()
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
        "imbalance": model.ensemble.plan.to_dict(),
        "seed_metrics": model.ensemble.seed_metrics,
        "alarms": model.ensemble.alarms,
        "seconds": round(time.perf_counter() - started, 1),
        "model_seconds": seconds,
    }
    write_json(out.info, info)
    return FoldOutcome(index, frames, info)


def run_final(config: Config, data: PanelData, split: Split, index: int, out: RunDir, *, progress=False) -> dict:
    """Fit the model that makes tomorrow's calls on ``split`` (see
    :meth:`~stgnn.walkforward.folds.WalkForwardSplitter.final`) and write its checkpoint, then its
    info (windows and choices) into the run directory ``out``; returns the info.

    ``index`` is the position it takes after the folds: its seed follows theirs. It is searched,
    trained and thresholded as a fold is; having no test window, it predicts nothing here."""
    started = time.perf_counter()
    window = _window(config, data, split, index, "final model", progress)
    model = window.tune()
    save_checkpoint(model.checkpoint, out.checkpoint)
    info = {
        "split": split.date_ranges(data.dates),
        "chosen": model.params,
        "trials": model.trials,
        "thresholds": model.thresholds.to_dict(),
        "imbalance": model.ensemble.plan.to_dict(),
        "n_seeds": config.walkforward.seeds,
        "seed": window.seed,
        "alarms": model.ensemble.alarms,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(out.final_info, info)
    return info


def load_fold(out: FoldDir, names: list[str]) -> FoldOutcome:
    """A finished fold read back: its info and the test predictions of the models ``names``."""
    info = out.read_info()
    frames = {name: pd.read_csv(out.test(name)) for name in names}
    return FoldOutcome(info["fold"], frames, info)


def _window(config: Config, data: PanelData, split: Split, index: int, name: str, progress) -> Window:
    """The search of window ``index``, seeded apart from every other window's."""
    return Window(config, data, split, seed=config.training.seed + 1000 * index, name=name, progress=progress)


def _test_frame(window: Window, test: np.ndarray, thresholds: DecisionThresholds) -> pd.DataFrame:
    """Every usable node of the test days with its call: the labelled rows are scored, all are traded."""
    frame = predictions_frame(window.data, window.split.test, test, every_usable=True)
    frame["pred"] = apply_thresholds(proba_of(frame), thresholds)
    return frame
