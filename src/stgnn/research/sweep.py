"""The focal-gamma sweep as one function: one experiment per gamma, each with its own
run directory and its own validation-tuned thresholds, collated into one comparison table.

The best gamma is chosen on validation only. The test (or walk-forward out-of-sample) columns sit
beside the validation ones for reading: a gamma chosen on them would be scored on the rows that
chose it, and the winner's score would be the maximum of N test results."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from stgnn.config import Config
from stgnn.data.dataset import PanelData
from stgnn.errors import ConfigError
from stgnn.io import atomic_write, atomic_write_text, write_json
from stgnn.reporting import plots
from stgnn.reporting.report import markdown_table
from stgnn.runs import RunDir
from stgnn.training.run import run_experiment
from stgnn.walkforward.runner import run_walk_forward

logger = logging.getLogger(__name__)

PRIORITIES = ("macro_f1", "recall_at_precision", "ranking")
NEEDS = {"macro_f1": ("macro_f1",), "recall_at_precision": ("recall_moves", "precision_moves"),
         "ranking": ("auc_pr_mean", "mrr", "hits_at_k")}
"""The validation metrics each priority is judged on."""
SCORES = ("auc_pr_down", "auc_pr_up", "auc_pr_mean", "mrr", "hits_at_k", "macro_f1")
MOVES = ("recall", "precision", "fpr")
METRICS = SCORES + tuple(f"{m}_moves" for m in MOVES)
WALK_FORWARD_VAL = ("macro_f1",)
"""The only validation metric a walk-forward keeps per fold (its trials' ``val_score``)."""
PLOTTED = ["macro_f1", "auc_pr_mean", "mrr", "hits_at_k", "recall_moves"]
VAL = "val_"


def comparison_columns(metrics: dict, prefix: str) -> dict:
    """One evaluation of one experiment as ``prefix``-named columns (``val_``, ``test_``, ``oos_``):
    threshold-free metrics and metrics at the tuned thresholds (mean of Down and Up where per class)."""
    per = metrics["per_class"]
    row = {m: metrics[m] for m in SCORES}
    row.update({f"{m}_moves": float(np.mean([per[c][m] for c in ("Down", "Up")])) for m in MOVES})
    return {prefix + k: v for k, v in row.items()}


def columns_of(table: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """The ``prefix`` columns of a comparison table, named without it."""
    return table.filter(regex=f"^{prefix}").rename(columns=lambda c: c[len(prefix):])


def split_stability(history: dict) -> dict:
    """Epochs to the best checkpoint, variance of the epoch-to-epoch change of the training loss
    (a jumpy curve is an unstable one), and collapse alarms."""
    losses = np.array([h["train_loss"] for h in history["history"]], dtype=float)
    return {"best_epoch": history["best_epoch"],
            "loss_curve_var": float(np.var(np.diff(losses))) if len(losses) > 1 else float("nan"),
            "collapse_alarms": len(history["alarms"])}


def walk_forward_stability(folds: list[dict]) -> dict:
    """The same over folds: mean best epoch of the chosen trials, alarms summed (no loss curves kept)."""
    epochs = [e for f in folds for t in f["trials"] if t["params"] == f["chosen"] for e in t["best_epochs"]]
    return {"best_epoch": float(np.mean(epochs)), "loss_curve_var": float("nan"),
            "collapse_alarms": sum(len(f["alarms"]) for f in folds)}


def walk_forward_val_score(folds: list[dict]) -> float:
    """Mean over folds of the chosen trial's validation score (the best one, by construction), in
    ``walkforward.select_on``'s metric: macro-F1 at thresholds tuned for it on that window, or the
    mean daily Rank IC."""
    return float(np.mean([max(t["val_score"] for t in f["trials"]) for f in folds]))


def check_priority(priority: str, available) -> None:
    """Refuse a priority that the validation metrics at hand cannot judge, before anything trains."""
    if priority not in PRIORITIES:
        raise ConfigError(f"Expected priority in {PRIORITIES}, got {priority!r}.")
    missing = [VAL + m for m in NEEDS[priority] if m not in available]
    if missing:
        raise ConfigError(f"Priority {priority!r} is judged on validation {missing}, which this sweep lacks: a "
                          "walk-forward keeps only each fold's validation macro-F1, so use priority 'macro_f1' "
                          f"with walk-forward, or sweep on a single split for {priority!r}.")


def best_gamma(table: pd.DataFrame, priority: str = "macro_f1", *, min_precision: float = 0.3) -> tuple[float, str]:
    """The gamma a priority prefers, and why (in words for the table's footer).

    Only the ``val_`` columns are read, so a test or out-of-sample column cannot choose."""
    val = columns_of(table, VAL)
    check_priority(priority, val.columns)
    if priority == "macro_f1":
        row = val.loc[val["macro_f1"].idxmax()]
        why = f"highest validation macro-F1 ({row['macro_f1']:.4f})"
    elif priority == "recall_at_precision":
        ok = val[val["precision_moves"] >= min_precision]
        if ok.empty:
            row = val.loc[val["precision_moves"].idxmax()]
            why = (f"no gamma reaches validation precision {min_precision:.2f} on Down/Up; "
                   f"highest validation precision ({row['precision_moves']:.4f})")
        else:
            row = ok.loc[ok["recall_moves"].idxmax()]
            why = f"highest validation Down/Up recall ({row['recall_moves']:.4f}) at precision >= {min_precision:.2f}"
    else:
        row = val.loc[val[list(NEEDS["ranking"])].rank().mean(axis=1).idxmax()]
        why = "best mean rank of validation AUC-PR, MRR and Hits@k"
    return float(table.loc[row.name, "gamma"]), why


def run_gamma_sweep(config: Config, data: PanelData, gammas: list[float], run_dir: Path, *,
                    walk_forward: bool = False, priority: str = "macro_f1", min_precision: float = 0.3,
                    execution: dict | None = None) -> dict:
    """Run one experiment per gamma under ``run_dir/gamma_<g>``, choose the best on validation, and
    write the comparison.

    A single split is judged on its validation metrics at the tuned thresholds (``val_``) and read
    on test (``test_``). A walk-forward is judged on :func:`walk_forward_val_score` and read out
    of sample (``oos_``); it keeps no other validation metric per fold, so it takes priority
    ``macro_f1`` only. Each fold's grid holds the one gamma, so ``select_on`` chooses nothing there
    and is set to ``macro_f1`` to make the folds record that score.

    ``execution`` (backend, workers, ray_address) spreads each walk-forward's folds; single-split
    experiments run here, one after the other."""
    check_priority(priority, WALK_FORWARD_VAL if walk_forward else METRICS)
    run_dir = Path(run_dir)
    held, shown = ("oos_", "walk-forward out-of-sample") if walk_forward else ("test_", "test-split")
    rows = []
    for gamma in gammas:
        cfg = config.updated({"loss.focal_gamma": gamma, "experiment": f"{config.experiment}-gamma{gamma:g}"})
        out = run_dir / f"gamma_{gamma:g}"
        if walk_forward:
            cfg = cfg.updated({"walkforward.grid": {"loss.focal_gamma": [gamma]}, "walkforward.select_on": "macro_f1",
                               "walkforward.final_model": False})  # a sweep compares, it serves no calls
            result = run_walk_forward(cfg, data, out, **(execution or {}))
            folds = result.metrics["folds"]
            scores = {VAL + "macro_f1": walk_forward_val_score(folds),
                      **comparison_columns(result.metrics["oos"], held)}
            stability = walk_forward_stability(folds)
        else:
            result = run_experiment(cfg, out, data=data)
            scores = {**comparison_columns(result.metrics["val"]["tuned"], VAL),
                      **comparison_columns(result.metrics["test"]["tuned"], held)}
            stability = split_stability(json.loads(RunDir(out).history.read_text()))
        rows.append({"gamma": gamma, "experiment": cfg.experiment, "run_dir": str(out), **scores, **stability})
        logger.info("gamma %g: validation macro-F1 %.4f", gamma, scores[VAL + "macro_f1"])
    table = pd.DataFrame(rows)
    gamma, why = best_gamma(table, priority, min_precision=min_precision)
    atomic_write(run_dir / "comparison.csv", lambda tmp: table.to_csv(tmp, index=False))
    val_source = ("each fold's validation macro-F1 at thresholds tuned for macro-F1, averaged over folds"
                  if walk_forward else "the validation split at the tuned thresholds")
    atomic_write_text(run_dir / "comparison.md", "\n".join([
        "# Focal-gamma sweep", "",
        "Each gamma is its own experiment with thresholds tuned on its own validation predictions. "
        f"The best gamma is chosen on validation only (`{VAL}` columns: {val_source}). "
        f"The `{held}` columns are {shown} metrics, for reading only: they never choose, since a gamma "
        "chosen on them would be scored on the rows that chose it.", "",
        markdown_table(table.drop(columns=["run_dir"])), "",
        f"**Best gamma for priority `{priority}`, chosen on validation: {gamma:g}** ({why}).", ""]))
    plots.plot_metric_vs_param(table, run_dir / "gamma_sweep.png", param="gamma", metrics=[held + m for m in PLOTTED],
                               title=f"{shown.capitalize()} metrics against focal gamma\n"
                                     f"(for reading; gamma {gamma:g} was chosen on validation)")
    at = table.index[table["gamma"] == gamma][0]
    summary = {"best_gamma": gamma, "priority": priority, "reason": why, "chosen_on": "validation",
               "val": columns_of(table, VAL).loc[at].to_dict(),
               held.rstrip("_"): columns_of(table, held).loc[at].to_dict()}
    write_json(run_dir / "best.json", summary)
    return {"table": table, **summary}
