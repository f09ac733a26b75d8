"""Run a whole walk-forward into a run directory, resumable, then evaluate and report.

The run directory (:class:`~stgnn.runs.RunDir`) ends up with a model per fold and, unless
``walkforward.final_model`` is off, the final model fitted on the latest window: what
``stgnn predict --from-run`` scores tomorrow's calls with.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from stgnn.config import Config, load_config, write_config
from stgnn.data.dataset import PanelData
from stgnn.data.graph import known_sectors
from stgnn.data.labels import rule_text
from stgnn.data.sources.synthetic import bayes_unavailable
from stgnn.data.splits import purge_for
from stgnn.errors import ConfigError
from stgnn.evaluation.backtest import BOOKS
from stgnn.evaluation.evaluate import EvaluationSettings, evaluate, stitch
from stgnn.formats import count, interval, metric, per_year, percent, ratio
from stgnn.io import atomic_write
from stgnn.registry import BASELINES, BAYES, NO_GRAPH
from stgnn.reporting.report import format_interval, rank_label
from stgnn.runs import MODEL, RunDir
from stgnn.walkforward.backends import run_tasks
from stgnn.walkforward.baselines import MODELS
from stgnn.walkforward.fold_run import load_fold, run_final, run_fold
from stgnn.walkforward.folds import WalkForwardSplitter, fold_table
from stgnn.walkforward.search import trial_grid

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WalkForwardResult:
    run_dir: Path
    metrics: dict
    fold_table: pd.DataFrame
    seconds: float


def make_splitter(config: Config) -> WalkForwardSplitter:
    """The walk-forward's windows as the config sets them, purged for the label horizon."""
    wf = config.walkforward
    purge = purge_for(config.split.purge_days, config.labels.span)
    return WalkForwardSplitter(train_days=wf.train_days, val_days=wf.val_days, test_days=wf.test_days,
                               purge_days=purge, embargo_days=wf.embargo_days, expanding=wf.expanding,
                               max_folds=wf.folds)


def plan_folds(config: Config, data: PanelData):
    """The folds of this config over the panel's labelled days (errors quote the numbers)."""
    splits = make_splitter(config).split(data.labelled_days)
    return splits, fold_table(splits, data.dates)


def reference_names(config: Config, data: PanelData) -> list[str]:
    """``[BAYES]`` where the folds score the synthetic market's exact posterior, else none (on the
    synthetic source the log says why not)."""
    why_not = bayes_unavailable(config.data, data)
    if why_not is None:
        return [BAYES]
    if config.data.source == "synthetic":
        logger.info("no Bayes reference: %s", why_not)
    return []


@dataclass(frozen=True)
class FitCount:
    """How many models one part of a walk-forward fits: ``n = windows x per_window``; ``stgnn``
    when they are STGNN trainings (where a run's time goes)."""

    name: str
    windows: int
    per_window: int
    how: str
    stgnn: bool = False

    @property
    def n(self) -> int:
        return self.windows * self.per_window


def models_to_fit(config: Config, n_folds: int) -> list[FitCount]:
    """Every model a walk-forward of ``n_folds`` folds fits: the STGNN's trials x seeds per fold, the
    temporal-only STGNN the same, each other baseline one fit per candidate setting it tries on
    validation (an untuned one, one), and the final model's trials x seeds."""
    wf = config.walkforward
    trials = wf.n_trials if wf.search == "optuna" else len(trial_grid(config))
    search = f"{trials} trial(s) x {wf.seeds} seed(s)"
    counts = [FitCount(MODEL, n_folds, trials * wf.seeds, search, stgnn=True)]
    for name in wf.baselines:
        if name == NO_GRAPH:
            counts.append(FitCount(name, n_folds, trials * wf.seeds, search, stgnn=True))
        else:
            settings = len(MODELS[name].candidates(wf.baseline_C)) if BASELINES[name].tuned else 1
            how = f"{settings} setting(s) tried on validation" if BASELINES[name].tuned else "1 fit (nothing to tune)"
            counts.append(FitCount(name, n_folds, settings, how))
    if wf.final_model:
        counts.append(FitCount("final model", 1, trials * wf.seeds, search, stgnn=True))
    return counts


def fit_count_lines(counts: list[FitCount]) -> list[str]:
    """``models to fit: 30 (14 STGNN trainings)`` and one line per part:
    ``stgnn  3 fold(s) x 2 trial(s) x 1 seed(s) = 6``."""
    width = max(len(c.name) for c in counts)
    trainings = sum(c.n for c in counts if c.stgnn)
    return [f"models to fit: {count(sum(c.n for c in counts))} ({count(trainings)} STGNN trainings)", *(
        f"  {c.name:<{width}}  {c.windows} {'fold(s)' if c.name != 'final model' else 'window'} x {c.how} "
        f"= {count(c.n)}" for c in counts)]


def check_resume(config: Config, run_dir: Path) -> None:
    """A resumed run must have the same config, or its folds would not fit together."""
    saved = RunDir(run_dir).config
    if not saved.is_file():
        raise ConfigError(f"--resume {run_dir}: no {saved.name} there; is it a walk-forward run directory?")
    if load_config(saved) != config:
        raise ConfigError(f"--resume {run_dir}: the config differs from the saved config.yaml; "
                          "resume with the same flags (or --config that file).")


def run_walk_forward(config: Config, data: PanelData, run_dir: Path, *, resume: bool = False,
                     progress: bool | None = None, backend: str = "local", workers: int = 1,
                     ray_address: str | None = None) -> WalkForwardResult:
    started = time.perf_counter()
    progress = sys.stderr.isatty() if progress is None else progress
    splits, table = plan_folds(config, data)
    trial_grid(config)
    names = [MODEL, *config.walkforward.baselines, *reference_names(config, data)]
    run_dir = Path(run_dir)
    run = RunDir(run_dir)
    if resume:
        check_resume(config, run_dir)
    elif run_dir.exists() and any(run_dir.iterdir()):
        raise ConfigError(f"Run directory {run_dir} exists and is not empty; pass a new --run-dir or --resume it.")
    run_dir.mkdir(parents=True, exist_ok=True)
    write_config(config, run.config)
    atomic_write(run.fold_table, lambda tmp: table.to_csv(tmp, index=False))
    todo = [(config, data, split, i, run.fold(i)) for i, split in enumerate(splits) if not run.fold(i).done]
    if len(todo) < len(splits):
        logger.info("resuming: %d of %d folds already done", len(splits) - len(todo), len(splits))
    with tqdm(total=len(splits), initial=len(splits) - len(todo), desc="folds", unit="fold",
              disable=not progress) as bar:
        run_tasks(run_fold, todo, backend=backend, workers=workers, ray_address=ray_address,
                  on_done=lambda i: (bar.update(), logger.info("fold %d done", i)))
    if config.walkforward.final_model and not run.final_done:
        final = run_final(config, data, make_splitter(config).final(data.labelled_days), len(splits), run,
                          progress=progress)
        logger.info("final model done: trained %s to %s, validated to %s; tomorrow's calls: "
                    "stgnn predict --from-run %s", final["split"]["train"]["first"],
                    final["split"]["train"]["last"], final["split"]["val"]["last"], run_dir)
    if BAYES in names and not all(run.fold(i).test(BAYES).is_file() for i in range(len(splits))):
        logger.info("no Bayes reference: folds resumed from a run written before it have none")
        names.remove(BAYES)
    # Finished folds are read back from disk: a resumed fold and a fresh one take the same path.
    outcomes = [load_fold(run.fold(i), names) for i in range(len(splits))]
    frames = {name: stitch(outcomes, name) for name in names}
    metrics, bt = evaluate(frames, EvaluationSettings.from_config(config), model=MODEL)
    metrics["folds"] = [o.info for o in outcomes]
    metrics["seeds"] = seed_spread(outcomes)
    panel = data.panel
    metrics["data"] = {"source": panel.source, "n_tickers": len(data.tickers), "universe": panel.universe,
                       "caveats": list(panel.caveats), "labels": rule_text(config.labels)}
    for name in names:
        atomic_write(run.oos(name), lambda tmp, n=name: frames[n].to_csv(tmp, index=False))
    metrics = run.write_metrics(metrics)
    for path, frame in ((run.equity, bt.equity), (run.turnover, bt.turnover)):
        named = frame.rename(columns=equity_columns(metrics["backtest"]))
        atomic_write(path, lambda tmp, f=named: f.to_csv(tmp))
    sectors = known_sectors(config)
    if sectors:
        known = pd.DataFrame({"ticker": data.tickers, "sector": [sectors.get(t) for t in data.tickers]}).dropna()
        atomic_write(run.sectors, lambda tmp: known.to_csv(tmp, index=False))
    seconds = time.perf_counter() - started
    return WalkForwardResult(run_dir, metrics, table, seconds)


def seed_spread(outcomes) -> dict:
    """With ``--seeds N``: each model's test metrics (argmax) averaged over folds, and the spread
    across seeds within a fold, averaged over folds (the ensemble's own metrics are ``oos``)."""
    per_fold = [pd.DataFrame(o.info["seed_metrics"]) for o in outcomes]
    keys = per_fold[0].columns
    return {"n_seeds": len(per_fold[0]),
            **{k: {"mean": float(np.mean([f[k].mean() for f in per_fold])),
                   "std_across_seeds": float(np.mean([f[k].std(ddof=1) if len(f) > 1 else 0.0 for f in per_fold]))}
               for k in keys}}


def equity_columns(backtest: dict) -> dict[str, str]:
    """Each portfolio of ``metrics["backtest"]`` and its name in ``equity.csv`` and the summary."""
    return {"strategy": f"stgnn ({BOOKS[backtest['book']]})",
            "rank": f"stgnn ({rank_label(backtest['rank_quantile'])})", "equal_weight": "equal-weight universe"}


def summary_lines(result: WalkForwardResult) -> list[str]:
    """What a person reads at the end of a run: each model's headline metrics, the STGNN's
    differences from the baselines and its books, every number written by :mod:`stgnn.formats`."""
    m = result.metrics
    rows = [("stgnn", m["oos"])] + list(m["baselines"].items())
    columns = {"macro_f1": ("macro-F1", 10), "mcc": ("MCC", 9), "auroc_down": ("AUROC D", 9),
               "auroc_up": ("AUROC U", 9), "auroc_move": ("move", 9), "auroc_direction": ("dir", 9),
               "rank_ic": ("RankIC", 9)}
    lines = [f"{'model':<16}" + "".join(f"{label:>{width}}" for label, width in columns.values())]
    for name, r in rows:
        lines.append(f"{name:<16}" + "".join(f"{metric(r[k]):>{width}}" for k, (_, width) in columns.items()))
    if BAYES in m["baselines"]:
        lines.append(f"{BAYES}: the synthetic market's exact posterior, the best possible on these rows "
                     "(its decision thresholds tuned on validation, as every model's)")
    lines.append("stgnn - baseline, macro-F1 [95% CI]: " + ", ".join(
        f"{name} {format_interval(c['macro_f1'])}" for name, c in m["comparisons"].items()))
    bt = m["backtest"]
    for name, label in equity_columns(bt).items():
        b = bt[name]
        sharpe = b["intervals"]["sharpe"]
        exposure = f", beta {ratio(b['beta'])}, alpha {per_year(b['alpha_annual'])}" if name != "equal_weight" else ""
        lines.append(f"backtest {label:<36} annual return {percent(b['annual_return'])}, Sharpe "
                     f"{interval(b['sharpe'], sharpe['lo'], sharpe['hi'], ratio)}, max drawdown "
                     f"{percent(b['max_drawdown'])}{exposure} (after {bt['cost_bps']:g} bps costs)")
    lines.append(f"{count(len(result.fold_table))} folds, {result.seconds:.0f}s; run directory: {result.run_dir}")
    return lines
