"""The focal-gamma sweep (seed 000) as one function: one experiment per gamma, each with its own
run directory and its own validation-tuned thresholds, collated into one comparison table."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from stgnn.config import Config
from stgnn.data.dataset import PanelData
from stgnn.io import atomic_write, atomic_write_text, write_json
from stgnn.reporting import plots
from stgnn.reporting.report import markdown_table
from stgnn.training.run import run_experiment
from stgnn.walkforward.runner import run_walk_forward

logger = logging.getLogger(__name__)

PRIORITIES = ("macro_f1", "recall_at_precision", "ranking")
PLOTTED = ["macro_f1", "auc_pr_mean", "mrr", "hits_at_k", "recall_moves"]


def comparison_row(metrics: dict, stability: dict) -> dict:
    """The seed-000 comparison of one experiment: threshold-free metrics, metrics at the tuned
    thresholds (mean of Down and Up where per class), and training stability."""
    per = metrics["per_class"]
    moves = ("Down", "Up")
    return {
        "auc_pr_down": metrics["auc_pr_down"], "auc_pr_up": metrics["auc_pr_up"],
        "auc_pr_mean": metrics["auc_pr_mean"], "mrr": metrics["mrr"], "hits_at_k": metrics["hits_at_k"],
        "macro_f1": metrics["macro_f1"],
        "recall_moves": float(np.mean([per[c]["recall"] for c in moves])),
        "precision_moves": float(np.mean([per[c]["precision"] for c in moves])),
        "fpr_moves": float(np.mean([per[c]["fpr"] for c in moves])),
        **stability,
    }


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


def best_gamma(table: pd.DataFrame, priority: str = "macro_f1", *, min_precision: float = 0.3) -> tuple[float, str]:
    """The gamma a priority prefers, and why (in words for the table's footer)."""
    if priority == "macro_f1":
        row = table.loc[table["macro_f1"].idxmax()]
        return float(row["gamma"]), f"highest macro-F1 ({row['macro_f1']:.4f})"
    if priority == "recall_at_precision":
        ok = table[table["precision_moves"] >= min_precision]
        if ok.empty:
            row = table.loc[table["precision_moves"].idxmax()]
            return float(row["gamma"]), (f"no gamma reaches precision {min_precision:.2f} on Down/Up; "
                                         f"highest precision ({row['precision_moves']:.4f})")
        row = ok.loc[ok["recall_moves"].idxmax()]
        return float(row["gamma"]), f"highest Down/Up recall ({row['recall_moves']:.4f}) at precision >= {min_precision:.2f}"
    if priority == "ranking":
        score = table[["auc_pr_mean", "mrr", "hits_at_k"]].rank().mean(axis=1)
        row = table.loc[score.idxmax()]
        return float(row["gamma"]), "best mean rank of AUC-PR, MRR and Hits@k"
    raise ValueError(f"Expected priority in {PRIORITIES}, got {priority!r}.")


def run_gamma_sweep(config: Config, data: PanelData, gammas: list[float], run_dir: Path, *,
                    walk_forward: bool = False, priority: str = "macro_f1", min_precision: float = 0.3,
                    execution: dict | None = None) -> dict:
    """Run one experiment per gamma under ``run_dir/gamma_<g>`` and write the comparison.

    ``execution`` (backend, workers, ray_address) spreads each walk-forward's folds; single-split
    experiments run here, one after the other."""
    run_dir = Path(run_dir)
    rows = []
    for gamma in gammas:
        cfg = config.updated({"loss.focal_gamma": gamma, "experiment": f"{config.experiment}-gamma{gamma:g}"})
        out = run_dir / f"gamma_{gamma:g}"
        if walk_forward:
            cfg = cfg.updated({"walkforward.grid": {"loss.focal_gamma": [gamma]}})
            result = run_walk_forward(cfg, data, out, **(execution or {}))
            metrics, stability = result.metrics["oos"], walk_forward_stability(result.metrics["folds"])
        else:
            result = run_experiment(cfg, out, data=data)
            metrics = result.metrics["test"]["tuned"]
            stability = split_stability(json.loads((out / "history.json").read_text()))
        rows.append({"gamma": gamma, "experiment": cfg.experiment, "run_dir": str(out),
                     **comparison_row(metrics, stability)})
        logger.info("gamma %g: macro-F1 %.4f, AUC-PR mean %.4f", gamma, rows[-1]["macro_f1"], rows[-1]["auc_pr_mean"])
    table = pd.DataFrame(rows)
    gamma, why = best_gamma(table, priority, min_precision=min_precision)
    atomic_write(run_dir / "comparison.csv", lambda tmp: table.to_csv(tmp, index=False))
    shown = table.drop(columns=["run_dir"])
    atomic_write_text(run_dir / "comparison.md", "\n".join([
        "# Focal-gamma sweep", "",
        f"Each gamma is its own experiment with thresholds tuned on its own validation predictions; "
        f"metrics are on {'the walk-forward out-of-sample rows' if walk_forward else 'the test split'}.", "",
        markdown_table(shown), "", f"**Best gamma for priority `{priority}`: {gamma:g}** ({why}).", ""]))
    plots.plot_metric_vs_param(table, run_dir / "gamma_sweep.png", param="gamma", metrics=PLOTTED,
                               title="Test metrics against focal gamma")
    summary = {"best_gamma": gamma, "priority": priority, "reason": why}
    write_json(run_dir / "best.json", summary)
    return {"table": table, **summary}
