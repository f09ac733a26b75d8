"""Is there signal, and who finds it? Feature sets x label kinds, the STGNN beside the models a
practitioner would run instead, over the same walk-forward folds.

Each (feature set, labels) pair is one walk-forward: the STGNN with its graph, and on the same
rows its temporal-only twin, LightGBM (alone and with the neighbours' mean features), logistic
regression and the one-feature ``momentum`` rule (:data:`BASELINES`). Trials and epochs are chosen
by validation Rank IC (``walkforward.select_on`` is set to ``rank_ic``), and so is the headline:
the pair whose STGNN has the best mean validation Rank IC over folds runs again at
``long_horizon`` days, chosen before any out-of-sample figure is read.

Every row carries its Rank IC, ICIR, macro-F1 and the rank book's Sharpe after costs, each with a
95% block-bootstrap interval over days, and its paired Rank-IC differences from ``momentum`` and
from ``lightgbm`` of the same walk-forward (the same (date, ticker) rows, so the days' shared
noise cancels). Folds are anchored at the last labelled day, so every feature set is tested on
the same days; the long horizon's last labelled day is earlier, and its folds with it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

import pandas as pd

from stgnn.config import Config
from stgnn.data.dataset import PanelData
from stgnn.data.labels import delay_text
from stgnn.errors import ConfigError
from stgnn.evaluation.backtest import backtest, stat_intervals
from stgnn.evaluation.bootstrap import bootstrap_ci, icir_of, macro_f1_of, paired_block_bootstrap, rank_ic_of
from stgnn.evaluation.evaluate import EvaluationSettings
from stgnn.evaluation.metrics import labelled
from stgnn.io import atomic_write, atomic_write_text, write_json
from stgnn.registry import NO_GRAPH
from stgnn.reporting.report import markdown_table
from stgnn.research.studies import (
    bounds,
    check_run_dir,
    choose_on_validation,
    commit,
    excludes_zero,
    forest_figure,
    interval_text,
    walk_forward_row,
)
from stgnn.research.sweep import walk_forward_val_score
from stgnn.runs import MODEL, RunDir
from stgnn.walkforward.runner import WalkForwardResult

logger = logging.getLogger(__name__)

FEATURE_SETS: dict[str, dict] = {
    "basic": {"features.set": "basic"},
    "alpha158": {"features.set": "alpha158"},
    "alpha360": {"features.set": "alpha360", "model.window": 1},  # its day is already a 60-day sequence
}
LABELS: dict[str, dict] = {
    "threshold": {"labels.kind": "threshold", "labels.relative_to": "universe"},
    "quantile": {"labels.kind": "quantile", "labels.relative_to": "universe"},
}
"""Both relative to the universe's equal-weight move: the cross-section is what is asked."""
BASELINES = (NO_GRAPH, "lightgbm", "lightgbm_graph", "logistic", "momentum")
REFERENCES = ("momentum", "lightgbm")
"""Every row's Rank IC is compared with these, paired, in its own walk-forward."""
LONG_HORIZON = 5
METRICS = {"rank_ic": rank_ic_of, "icir": icir_of, "macro_f1": macro_f1_of}
"""Each row's metrics with a bootstrap interval (the rank book's Sharpe is added beside them)."""

Key = tuple[str, str, int]
"""(feature set, labels, horizon) of one walk-forward."""


def plan_study(config: Config, feature_sets: list[str] | None = None, labels: list[str] | None = None,
               long_horizon: int = LONG_HORIZON) -> dict[tuple[str, str], Config]:
    """The config of every run at the config's horizon, checked before anything trains; each is
    checked at ``long_horizon`` too, as any of them may be chosen for it.

    Raises
    ------
    ConfigError
        If a name is unknown or a combination is invalid, naming the run.
    """
    feature_sets, labels = list(feature_sets or FEATURE_SETS), list(labels or LABELS)
    for kind, names, known in (("feature sets", feature_sets, FEATURE_SETS), ("labels", labels, LABELS)):
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise ConfigError(f"Expected {kind} from {list(known)}, got {unknown}.")
    plan = {}
    for features in feature_sets:
        for label in labels:
            try:
                cfg = config.updated({**FEATURE_SETS[features], **LABELS[label], "walkforward.select_on": "rank_ic",
                                      "walkforward.baselines": list(BASELINES), "walkforward.final_model": False})
                cfg.updated({"labels.horizon": long_horizon})
            except ConfigError as exc:
                raise ConfigError(f"{features} features, {label} labels: {exc}") from None
            plan[features, label] = cfg
    return plan


def run_study(config: Config, run_dir: Path, *, load: Callable[[Config], PanelData],
              feature_sets: list[str] | None = None, labels: list[str] | None = None,
              long_horizon: int = LONG_HORIZON, resume: bool = False, execution: dict | None = None) -> dict:
    """Run every (feature set, labels) walk-forward under ``run_dir/<features>/<labels>``, the
    validation-best one again at ``long_horizon`` (``<labels>_h<long_horizon>``), and collate.

    Parameters
    ----------
    config : Config
        The study's base configuration (data, folds, epochs, grid, seeds, costs, delay, horizon).
    run_dir : Path
        Gets the sub run directories and ``results.csv``, ``results.json`` and ``results.md``.
    load : callable
        ``load(config) -> PanelData``: the panel with that config's features (one load per
        feature set; the label kinds relabel it).
    feature_sets, labels : list of str, optional
        Subsets of :data:`FEATURE_SETS` and :data:`LABELS` (default all).
    long_horizon : int, default 5
    resume : bool, default False
        Resume every sub run that has started; without it ``run_dir`` must be new or empty.
    execution : dict, optional
        Backend keyword arguments of each walk-forward (``backend``, ``workers``, ``ray_address``).

    Returns
    -------
    dict
        ``table`` (a DataFrame, one row per model and run), ``chosen`` (the headline pair, its
        validation Rank IC and every candidate's) and ``wall_seconds``.
    """
    started = time.perf_counter()
    plan = plan_study(config, feature_sets, labels, long_horizon)
    run_dir = Path(run_dir)
    check_run_dir(run_dir, resume)
    runs: dict[Key, tuple[Config, WalkForwardResult]] = {}
    for features in dict.fromkeys(f for f, _ in plan):
        data = None
        for (f, label), cfg in plan.items():
            if f == features:
                data = load(cfg) if data is None else data.relabel(cfg.labels)
                runs[f, label, cfg.labels.horizon] = cfg, walk_forward_row(cfg, data, run_dir / f / label, resume,
                                                                            execution)
        del data  # one feature set's panel in memory at a time
    scores = {f"{f}/{label}": walk_forward_val_score(result.metrics["folds"]) for (f, label, _), (_, result)
              in runs.items()}
    best = choose_on_validation(scores)
    features, label = best.split("/")
    logger.info("%s has the best mean validation Rank IC (%.4f); it runs again at h = %d",
                best, scores[best], long_horizon)
    cfg = plan[features, label].updated({"labels.horizon": long_horizon})
    runs[features, label, long_horizon] = cfg, walk_forward_row(cfg, load(cfg), run_dir / features /
                                                                f"{label}_h{long_horizon}", resume, execution)
    chosen = {"run": best, "val_rank_ic": scores[best], "candidates": scores, "long_horizon": long_horizon}
    table = collate(runs)
    wall = time.perf_counter() - started
    atomic_write(run_dir / "results.csv", lambda tmp: table.to_csv(tmp, index=False))
    write_json(run_dir / "results.json", {
        "rows": table.to_dict(orient="records"), "chosen": chosen, "chosen_on": "validation",
        "delay": config.labels.delay, "feature_sets": sorted({f for f, _ in plan}, key=list(FEATURE_SETS).index),
        "labels": sorted({lab for _, lab in plan}, key=list(LABELS).index),
        "config": config.model_dump(mode="json"), **commit(), "wall_seconds": round(wall, 1)})
    atomic_write_text(run_dir / "results.md", results_markdown(table, chosen, config))
    forest_figure(table, run_dir / FIGURE, rows=row_names(table), panels=FIGURE_PANELS,
                  title=f"Signal study, out of sample, delay {config.labels.delay} (95% CI)")
    return {"table": table, "chosen": chosen, "wall_seconds": wall}


FIGURE = "results.png"
FIGURE_PANELS = {"Rank IC": "rank_ic", "minus LightGBM": "d_rank_ic_lightgbm", "minus momentum": "d_rank_ic_momentum"}
"""The study's figure (:func:`stgnn.research.studies.forest_figure`): each row's Rank IC and its
paired differences from LightGBM and momentum."""


def row_names(table: pd.DataFrame) -> pd.Series:
    """``alpha158/quantile/h1/stgnn``: a row's features, labels, horizon and model."""
    return (table["features"] + "/" + table["labels"] + "/h" + table["horizon"].astype(str) + "/"
            + table["model"])


def collate(runs: dict[Key, tuple[Config, WalkForwardResult]]) -> pd.DataFrame:
    """One row per model of each walk-forward: the STGNN first, then its baselines."""
    rows = []
    for (features, label, horizon), (cfg, result) in runs.items():
        run = RunDir(result.run_dir)
        settings = EvaluationSettings.from_config(cfg)
        frames = {name: pd.read_csv(run.oos(name)).drop(columns="fold")
                  for name in (MODEL, *result.metrics["baselines"])}
        scored = {name: labelled(frame) for name, frame in frames.items()}
        val = walk_forward_val_score(result.metrics["folds"])
        for name, frame in frames.items():
            rows.append({"features": features, "labels": label, "horizon": horizon, "delay": cfg.labels.delay,
                         "model": name, "val_rank_ic": val if name == MODEL else float("nan"),
                         **row_metrics(frame, scored, name, settings),
                         "n_rows": len(scored[name]), "n_days": scored[name]["date"].nunique(),
                         "run_dir": str(run.root)})
    return pd.DataFrame(rows)


def row_metrics(frame: pd.DataFrame, scored: dict[str, pd.DataFrame], name: str,
                settings: EvaluationSettings) -> dict:
    """One model's intervals, rank book and paired differences from :data:`REFERENCES`.

    ``frame`` holds every row the model predicted (the book trades the unlabelled ones too);
    ``scored`` every model's labelled rows, which the metrics count."""
    boot = {"block_days": settings.block, "n_boot": settings.n_boot, "seed": settings.seed}
    row = {}
    for metric, fn in METRICS.items():
        ci = bootstrap_ci(scored[name], fn, **boot)
        row.update({metric: ci["value"], **bounds(metric, ci)})
    book = backtest(frame, horizon=settings.horizon, cost_bps=settings.cost_bps, book=settings.book,
                    rank_quantile=settings.rank_quantile)
    sharpe = stat_intervals(book, block_days=settings.block, n_boot=settings.n_boot,
                            seed=settings.seed)["rank"]["sharpe"]
    row.update({"rank_sharpe": sharpe["value"], **bounds("rank_sharpe", sharpe)})
    for ref in REFERENCES:
        diff = (paired_block_bootstrap(scored[name], scored[ref], rank_ic_of, **boot)
                if ref in scored and ref != name else {})
        row.update({f"d_rank_ic_{ref}": diff.get("diff", float("nan")), **bounds(f"d_rank_ic_{ref}", diff)})
    return row


INTERVAL_COLUMNS = (*METRICS, "rank_sharpe", *(f"d_rank_ic_{ref}" for ref in REFERENCES))


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as read: each estimate beside its 95% interval, differences signed."""
    out = table[["features", "labels", "horizon", "model"]].copy()
    out["val_rank_ic"] = table["val_rank_ic"].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
    for name in INTERVAL_COLUMNS:
        out[name] = [interval_text(r, name) for _, r in table.iterrows()]
    return out.assign(n_rows=table["n_rows"])


def reading(table: pd.DataFrame, chosen: dict) -> list[str]:
    """The plain reading: the headline STGNN against zero, momentum and LightGBM; who has signal."""
    features, label = chosen["run"].split("/")
    lines = []
    for horizon, rows in table[(table["features"] == features) & (table["labels"] == label)].groupby(
            "horizon", sort=False):
        stgnn = rows[rows["model"] == MODEL].iloc[0]
        verdict = [f"Rank IC {interval_text(stgnn, 'rank_ic')} ("
                   + ("above 0" if stgnn["rank_ic_lo"] > 0 else "below 0" if stgnn["rank_ic_hi"] < 0
                      else "the interval includes 0") + ")"]
        for ref in REFERENCES:
            col = f"d_rank_ic_{ref}"
            side = ("higher" if stgnn[f"{col}_lo"] > 0 else "lower" if stgnn[f"{col}_hi"] < 0
                    else "no difference shown")
            verdict.append(f"minus {ref} {interval_text(stgnn, col)} ({side})")
        lines.append(f"- **Headline STGNN ({features} features, {label} labels, h = {horizon}):** "
                     + "; ".join(verdict) + ".")
    skill = [f"{r['model']} ({r['features']}, {r['labels']}, h = {r['horizon']}) {interval_text(r, 'rank_ic')}"
             for _, r in table.iterrows() if r["rank_ic_lo"] > 0]
    lines.append("- **Rank IC above 0:** " + ("; ".join(skill) if skill else "no row's interval lies above 0."))
    beats = [f"{r['model']} ({r['features']}, {r['labels']}, h = {r['horizon']}) "
             f"{interval_text(r, 'd_rank_ic_lightgbm')}" for _, r in table.iterrows()
             if excludes_zero(r, "d_rank_ic_lightgbm")]
    lines.append("- **Rank IC differences from LightGBM that exclude 0:** " + ("; ".join(beats) if beats else "none."))
    return lines


def results_markdown(table: pd.DataFrame, chosen: dict, config: Config) -> str:
    """``results.md``: the table, how the headline was chosen, and the reading."""
    wf = config.walkforward
    n_tests = int(table[[f"d_rank_ic_{ref}" for ref in REFERENCES]].notna().to_numpy().sum())
    candidates = ", ".join(f"{run} {score:.4f}" for run, score in chosen["candidates"].items())
    return "\n".join([
        "# Signal study", "",
        f"Walk-forward out of sample over the same folds ({wf.folds or 'all'} folds of {wf.test_days} test days, "
        f"{config.training.epochs} epochs, {wf.seeds} seed(s)); labels relative to the universe's equal-weight "
        f"move, {delay_text(config.labels.delay)}. Trials and epochs chosen on validation Rank IC. Intervals "
        "are 95% block bootstraps over days; `d_rank_ic_<ref>` is the row's Rank IC minus the reference's, "
        "paired on the same rows of the same walk-forward. `rank_sharpe` is the rank book (top and bottom "
        f"{wf.rank_quantile:.0%}) after {wf.cost_bps:g} bps costs. `n_rows` is the labelled (date, ticker) rows "
        "compared.", "",
        markdown_table(shown_table(table)), "",
        "## The headline configuration", "",
        f"Chosen on validation before any out-of-sample figure was read: **{chosen['run']}** (mean validation "
        f"Rank IC over folds {chosen['val_rank_ic']:.4f}; {candidates}), run again at h = "
        f"{chosen['long_horizon']}.", "",
        "## Reading", "", *reading(table, chosen), "",
        f"{n_tests} paired differences are tested at 95%; about one in twenty would exclude 0 by chance alone.", ""])
