"""Does the graph help? Graph variants against a temporal-only twin, over the same walk-forward folds.

Each label setting (raw labels, or labels relative to the universe's equal-weight move) runs the
temporal-only model (``model.graph`` off, the reference, with the linear and volatility baselines
scored on the same rows) and each graph variant (correlation, residual, sector neighbours). The
graph variant with the best validation score then runs twice more, without SMOTE and without SMOTE
but with the balanced sampler, so that the imbalance question is asked of the model worth asking
it of, chosen without looking at any test row.

Every row of the table carries its own metrics with 95% block-bootstrap intervals (from the run's
``metrics.json``) and its difference from the reference of the same labels, recomputed with a
paired block bootstrap over the same days from the two runs' stitched predictions: both runs
predict the same (date, ticker) rows, so the pairing removes the days' shared noise.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import pandas as pd

from stgnn.config import Config
from stgnn.data.dataset import PanelData
from stgnn.errors import ConfigError
from stgnn.evaluation.bootstrap import block_for_horizon, macro_f1_of, paired_block_bootstrap, rank_ic_of
from stgnn.io import atomic_write, atomic_write_text, write_json
from stgnn.registry import BAYES
from stgnn.reporting.report import NO_DIFFERENCE, markdown_table
from stgnn.research.ablation import VARIANTS as ABLATIONS
from stgnn.research.studies import (
    bounds,
    check_run_dir,
    choose_on_validation,
    commit,
    excludes_zero,
    forest_figure,
    interval_text,
    num,
    walk_forward_row,
)
from stgnn.research.sweep import walk_forward_val_score
from stgnn.runs import MODEL, RunDir
from stgnn.walkforward.runner import WalkForwardResult, equity_columns

logger = logging.getLogger(__name__)

REFERENCE = "temporal_only"
VARIANTS: dict[str, dict] = {
    REFERENCE: ABLATIONS["no_graph"],
    "correlation": {"graph.method": "correlation"},
    "residual": {"graph.method": "residual"},
    "sector": {"graph.method": "sector"},
}
"""STGNN variants; the reference is always run, as every difference is taken from it."""
LABELS: dict[str, dict] = {"raw": {"labels.relative_to": "none"}, "universe": {"labels.relative_to": "universe"}}
IMBALANCE: dict[str, dict] = {
    "no_smote": ABLATIONS["no_smote"],
    "no_smote_balanced": {**ABLATIONS["no_smote"], **ABLATIONS["balanced_sampler"]},
}
"""Extra runs of the validation-best graph variant, named ``<variant>_<key>``."""
STUDY_BASELINES = ("logistic", "logistic_graph", "volatility")
"""Scored once per label setting, in the reference run (the other runs would refit the same models)."""
METRICS = ("macro_f1", "mcc", "auroc_move", "auroc_direction", "rank_ic")
DIFFS = {"macro_f1": macro_f1_of, "rank_ic": rank_ic_of}
"""Metrics whose difference from the reference gets a paired interval."""
BOOK_PREFIXES = {"calls": "strategy", "rank": "rank"}
"""Table prefix -> the backtest portfolio of ``metrics["backtest"]`` (after costs)."""
BOOK_STATS = {"sharpe": "sharpe", "alpha": "alpha"}
"""Table suffix -> the statistic of the portfolio's ``intervals`` (``alpha`` is the annual alpha)."""


def plan_study(config: Config, labels: list[str] | None = None,
               variants: list[str] | None = None) -> dict[str, dict[str, Config]]:
    """The config of every run, checked before anything trains.

    Every graph variant's imbalance runs are checked too, since any of them may be chosen.

    Returns
    -------
    dict
        ``{labels: {variant: Config}}``, the reference first in each; imbalance runs are not
        included (their variant is chosen later).

    Raises
    ------
    ConfigError
        If a name is unknown, or a combination is invalid (the sector graph with no
        ``graph.sector_file``, as on the synthetic source), naming the run.
    """
    labels = list(labels or LABELS)
    variants = [REFERENCE, *[v for v in (variants or VARIANTS) if v != REFERENCE]]
    for kind, names, known in (("labels", labels, LABELS), ("variants", variants, VARIANTS)):
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise ConfigError(f"Expected {kind} from {sorted(known)}, got {unknown}.")
    plan: dict[str, dict[str, Config]] = {}
    for label in labels:
        plan[label] = {}
        for variant in variants:
            baselines = list(STUDY_BASELINES) if variant == REFERENCE else []
            try:
                cfg = config.updated({**LABELS[label], **VARIANTS[variant], "walkforward.baselines": baselines,
                                      "walkforward.final_model": False})  # the study serves no calls
                if variant != REFERENCE:
                    for change in IMBALANCE.values():
                        cfg.updated(change)
            except ConfigError as exc:
                raise ConfigError(f"variant {variant} ({label} labels): {exc}") from None
            plan[label][variant] = cfg
    return plan




def run_study(config: Config, data: PanelData, run_dir: Path, *, labels: list[str] | None = None,
              variants: list[str] | None = None, resume: bool = False, execution: dict | None = None) -> dict:
    """Run every (labels, variant) walk-forward under ``run_dir/<labels>/<variant>`` and collate them.

    Parameters
    ----------
    config : Config
        The study's base configuration (folds, epochs, grid, seeds, costs, bootstrap).
    data : PanelData
        The panel, prepared with any labels; each label setting relabels it.
    run_dir : Path
        Gets one sub run directory per run and ``results.csv``, ``results.json``, ``results.md``
        and ``rank_equity.csv``.
    labels, variants : list of str, optional
        Subsets of :data:`LABELS` and :data:`VARIANTS` (default all; the reference always runs).
    resume : bool, default False
        Resume every sub run that has started (finished folds are read back, not retrained);
        without it ``run_dir`` must be new or empty.
    execution : dict, optional
        Backend keyword arguments of :func:`~stgnn.walkforward.runner.run_walk_forward` (``backend``, ``workers``,
        ``ray_address``): each walk-forward spreads its folds.

    Returns
    -------
    dict
        ``table`` (the results as a DataFrame), ``imbalance`` (per label setting the chosen
        variant, its validation score and every candidate's) and ``wall_seconds``.
    """
    started = time.perf_counter()
    plan = plan_study(config, labels, variants)
    run_dir = Path(run_dir)
    check_run_dir(run_dir, resume)
    results: dict[str, dict[str, WalkForwardResult]] = {}
    imbalance = {}
    for label, configs in plan.items():
        relabelled = data.relabel(configs[REFERENCE].labels)
        runs = results[label] = {}
        for variant, cfg in configs.items():
            runs[variant] = walk_forward_row(cfg, relabelled, run_dir / label / variant, resume, execution)
        scores = {v: walk_forward_val_score(runs[v].metrics["folds"]) for v in configs if v != REFERENCE}
        if not scores:
            logger.info("%s labels: no graph variant requested, so no imbalance runs", label)
            continue
        best = choose_on_validation(scores)
        imbalance[label] = {"variant": best, "val_score": scores[best], "candidates": scores}
        logger.info("%s labels: %s has the best validation score (%.4f); its imbalance runs follow",
                    label, best, scores[best])
        for name, change in IMBALANCE.items():
            variant = f"{best}_{name}"
            runs[variant] = walk_forward_row(configs[best].updated(change), relabelled, run_dir / label / variant,
                                          resume, execution)
    table = collate(results, config)
    wall = time.perf_counter() - started
    atomic_write(run_dir / "results.csv", lambda tmp: table.to_csv(tmp, index=False))
    atomic_write(run_dir / "rank_equity.csv", lambda tmp: rank_equity(results).to_csv(tmp))
    write_json(run_dir / "results.json", {
        "rows": table.to_dict(orient="records"), "imbalance": imbalance, "chosen_on": "validation",
        "select_on": config.walkforward.select_on, "labels": list(plan), "variants": list(next(iter(plan.values()))),
        "config": config.model_dump(mode="json"), **commit(), "wall_seconds": round(wall, 1)})
    atomic_write_text(run_dir / "results.md", results_markdown(table, imbalance, config))
    forest_figure(table, run_dir / FIGURE, rows=table["labels"] + "/" + table["variant"] + "/" + table["model"],
                  panels=FIGURE_PANELS, title="Graph study, out of sample (95% CI)")
    return {"table": table, "imbalance": imbalance, "wall_seconds": wall}


FIGURE = "results.png"
FIGURE_PANELS = {"Rank IC": "rank_ic", "minus temporal-only": "d_rank_ic"}
"""The study's figure: each row's Rank IC and its paired difference from the temporal-only STGNN."""




def collate(results: dict[str, dict[str, WalkForwardResult]], config: Config) -> pd.DataFrame:
    """One row per STGNN run and per baseline, each label setting's reference first.

    The differences are recomputed from the stitched predictions, as ``metrics.json`` only holds
    the model's differences from its own run's baselines."""
    wf = config.walkforward
    block = block_for_horizon(wf.block_days, config.labels.horizon)
    rows = []
    for label, runs in results.items():
        reference_run = runs[REFERENCE]
        reference = RunDir(reference_run.run_dir).read_oos()
        scored = [(variant, MODEL, run, RunDir(run.run_dir).read_oos()) for variant, run in runs.items()]
        scored[1:1] = [(name, "reference" if name == BAYES else "baseline", reference_run,
                        RunDir(reference_run.run_dir).read_oos(name))
                       for name in reference_run.metrics["baselines"]]
        for variant, model, run, frame in scored:
            m = run.metrics
            row = {"labels": label, "variant": variant, "model": model,
                   "val_score": walk_forward_val_score(m["folds"]) if model == MODEL else math.nan}
            own = m["intervals"][MODEL if model == MODEL else variant]
            row.update({name: num(own[name]["value"]) for name in METRICS})
            row.update(bounds("rank_ic", own["rank_ic"]))
            for name, fn in DIFFS.items():
                diff = (paired_block_bootstrap(frame, reference, fn, block_days=block, n_boot=wf.n_boot,
                                               seed=config.training.seed)
                        if run is not reference_run or model != MODEL else {})
                row.update({f"d_{name}": num(diff.get("diff")), **bounds(f"d_{name}", diff)})
            seeds = m["seeds"] if model == MODEL else {"n_seeds": 1}
            for name in DIFFS:
                row[f"seed_std_{name}"] = (seeds[name]["std_across_seeds"] if seeds["n_seeds"] > 1 else math.nan)
            for prefix, book in BOOK_PREFIXES.items():
                bands = m["backtest"][book]["intervals"] if model == MODEL else {}
                for suffix, stat in BOOK_STATS.items():
                    band = bands.get(stat, {})
                    row.update({f"{prefix}_{suffix}": num(band.get("value")), **bounds(f"{prefix}_{suffix}", band)})
            row["run_dir"] = str(run.run_dir)
            rows.append(row)
    return pd.DataFrame(rows)






def rank_equity(results: dict[str, dict[str, WalkForwardResult]]) -> pd.DataFrame:
    """Each STGNN run's rank book equity (after costs), one column per ``labels/variant``."""
    return pd.concat({f"{label}/{variant}": pd.read_csv(RunDir(run.run_dir).equity, index_col=0)[
                          equity_columns(run.metrics["backtest"])["rank"]]
                      for label, runs in results.items() for variant, run in runs.items()}, axis=1)








INTERVAL_COLUMNS = ("rank_ic", *(f"d_{name}" for name in DIFFS),
                    *(f"{prefix}_{suffix}" for prefix in BOOK_PREFIXES for suffix in BOOK_STATS))
"""Columns shown in results.md as ``estimate [lo, hi]`` (results.csv keeps the three numbers apart)."""


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as read: each estimate beside its 95% interval, differences signed."""
    plain = [m for m in METRICS if m not in INTERVAL_COLUMNS]
    out = table[["labels", "variant", "model", "val_score", *plain]].copy()
    for name in INTERVAL_COLUMNS:
        out[name] = [interval_text(r, name) for _, r in table.iterrows()]
    return out.join(table.filter(like="seed_std_"))


def reading(table: pd.DataFrame) -> list[str]:
    """The plain reading of the table, one line per label setting and question."""
    lines = []
    for label, rows in table.groupby("labels", sort=False):
        graph = rows[(rows["model"] == MODEL) & (rows["variant"] != REFERENCE)]
        found = [f"{metric}: {r['variant']} {interval_text(r, 'd_' + metric)}" for metric in DIFFS
                 for _, r in graph.iterrows() if excludes_zero(r, "d_" + metric)]
        lines.append(f"- **{label} labels, graph vs temporal-only:** " + (
            "an interval of the difference excludes 0 for " + "; ".join(found) if found else
            f"{NO_DIFFERENCE}: every graph variant's macro-F1 and Rank-IC difference from temporal-only "
            "has a 95% interval that includes 0."))
        skill = [f"{r['variant']} {interval_text(r, 'rank_ic')}" for _, r in rows.iterrows() if excludes_zero(r, "rank_ic")]
        lines.append(f"- **{label} labels, Rank IC:** " + (
            "the interval excludes 0 for " + "; ".join(skill) if skill else
            f"{NO_DIFFERENCE} from 0: no model's Rank-IC interval excludes 0."))
    return lines


def results_markdown(table: pd.DataFrame, imbalance: dict, config: Config) -> str:
    """``results.md``: the table, how the imbalance runs were chosen, and the reading."""
    chosen = [f"- {label} labels: **{c['variant']}** (mean validation score over folds {c['val_score']:.4f}; "
              + ", ".join(f"{v} {s:.4f}" for v, s in c["candidates"].items()) + ")"
              for label, c in imbalance.items()] or ["- none: no graph variant was run."]
    n_tests = 2 * int(((table["model"] == MODEL) & (table["variant"] != REFERENCE)).sum())
    return "\n".join([
        "# Does the graph help?", "",
        f"Walk-forward out of sample over the same folds, {config.walkforward.seeds} seed(s) per fold. "
        "Intervals are 95% block bootstraps over days; `d_` columns are the row minus temporal-only of the "
        "same labels on the same rows (paired). Backtests are after "
        f"{config.walkforward.cost_bps:g} bps costs: `calls` is the thresholded calls book, `rank` the "
        "rank book; `alpha` is annual. Baselines are scored in the temporal-only run. `seed_std_` is "
        "the spread across seeds (n/a with one seed).", "",
        markdown_table(shown_table(table)), "",
        "## Imbalance runs", "",
        "The graph variant with the best validation score (each fold's chosen trial, "
        f"`{config.walkforward.select_on}`, averaged over folds; no test row takes part) ran again without "
        "SMOTE, and without SMOTE with the balanced sampler:", "", *chosen, "",
        "## Reading", "", *reading(table), "",
        f"{n_tests} differences are tested at 95%; about one in twenty would exclude 0 by chance alone.", ""])
