"""Out-of-sample evaluation of a walk-forward: stitched predictions, metrics beside every baseline
with block-bootstrap confidence intervals, move-versus-direction skill, and a backtest.

Everything here is a function of the stitched prediction frames, so every number in
``metrics.json`` can be recomputed from ``oos_predictions.csv`` and ``baselines/*.csv``.
"""

from __future__ import annotations

import pandas as pd

from stgnn.training.metrics import call_hit_rate, prediction_metrics
from stgnn.walkforward.backtest import backtest
from stgnn.walkforward.bootstrap import macro_f1_of, mcc_of, paired_block_bootstrap, rank_ic_of

COMPARED = {"macro_f1": macro_f1_of, "mcc": mcc_of, "rank_ic": rank_ic_of}


def stitch(folds, name: str) -> pd.DataFrame:
    """One model's test predictions of every fold, in time order, with a ``fold`` column."""
    frames = [f.frames[name].assign(fold=f.index) for f in sorted(folds, key=lambda f: f.index)]
    return pd.concat(frames, ignore_index=True)


def directional_skill(frame: pd.DataFrame) -> dict:
    """Move detection apart from direction (most skill on daily prices is volatility timing)."""
    m = prediction_metrics(frame)
    hit_rate, n_calls = call_hit_rate(frame["pred"], frame["fwd_return"])
    return {
        "move_auroc": m["auroc_move"],
        "direction_auroc": m["auroc_direction"],
        "directional_hit_rate": hit_rate,
        "n_calls": n_calls,
        "rank_ic": m["rank_ic"],
    }


def per_year(frame: pd.DataFrame) -> dict:
    years = pd.to_datetime(frame["date"]).dt.year
    return {str(y): _headline(prediction_metrics(part)) for y, part in frame.groupby(years)}


def per_fold(frame: pd.DataFrame) -> dict:
    return {str(f): _headline(prediction_metrics(part.drop(columns="fold"))) for f, part in frame.groupby("fold")}


def compare(model: pd.DataFrame, baseline: pd.DataFrame, *, n_boot: int, block_days: int, seed: int) -> dict:
    """Differences model - baseline with 95% block-bootstrap intervals over days."""
    return {name: paired_block_bootstrap(model, baseline, fn, block_days=block_days, n_boot=n_boot, seed=seed)
            for name, fn in COMPARED.items()}


def evaluate(frames: dict[str, pd.DataFrame], *, model: str, horizon: int, cost_bps: float,
             n_boot: int, block_days: int, seed: int) -> dict:
    """The whole ``metrics.json`` of a walk-forward from stitched frames (model and baselines)."""
    main = frames[model]
    core = main.drop(columns="fold")
    argmax = core.assign(pred=core[["p_down", "p_none", "p_up"]].to_numpy().argmax(axis=1))
    bt = backtest(core, horizon=horizon, cost_bps=cost_bps)
    return {
        "oos": prediction_metrics(core),
        "oos_argmax": prediction_metrics(argmax),
        "per_fold": per_fold(main),
        "per_year": per_year(core),
        "skill": directional_skill(core),
        "baselines": {name: prediction_metrics(f.drop(columns="fold")) for name, f in frames.items() if name != model},
        "baseline_skill": {name: directional_skill(f.drop(columns="fold")) for name, f in frames.items() if name != model},
        "comparisons": {
            name: compare(core, f.drop(columns="fold"), n_boot=n_boot, block_days=block_days, seed=seed)
            for name, f in frames.items() if name != model
        },
        "backtest": bt.stats,
    }, bt


def _headline(m: dict) -> dict:
    keys = ("macro_f1", "mcc", "auroc_down", "auroc_up", "auroc_move", "auroc_direction", "rank_ic", "n_rows")
    return {k: m[k] for k in keys}
