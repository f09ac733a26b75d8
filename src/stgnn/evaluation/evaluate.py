"""Out-of-sample evaluation of a walk-forward: stitched predictions, metrics beside every baseline
with block-bootstrap confidence intervals, move-versus-direction skill, and a backtest.

Everything here is a function of the stitched prediction frames, so every number in
``metrics.json`` can be recomputed from ``oos_predictions.csv`` and ``baselines/*.csv``. The
frames hold every usable node of the test days: the metrics count the labelled rows
(:func:`~stgnn.evaluation.metrics.labelled`), the backtest every row it can trade, a stock that
stops trading within the horizon included. Directional figures (Rank IC, hit rate) score the
return the labels were cut from (``target_return``: the excess over peers for relative labels).

Every interval is a 95% block bootstrap over dates (:mod:`stgnn.evaluation.bootstrap`)
with blocks of ``max(block_days, 2 * horizon)`` days (:func:`block_for_horizon`), the same seed
and so the same resampled dates for every model: ``metrics["intervals"]`` holds each model's own
metrics, ``metrics["comparisons"]`` the model minus each baseline on the same dates, and
``metrics["backtest"][portfolio]["intervals"]`` Sharpe, annual return and alpha with the period
returns resampled in blocks of as many periods (:func:`stat_intervals`), for each portfolio of
:data:`~stgnn.evaluation.backtest.PORTFOLIOS`: the calls (``strategy``), the rank book by
``p_up - p_down`` (``rank``) and the equal-weight universe. ``metrics["bootstrap"]`` records the
settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from stgnn.config import Config
from stgnn.evaluation.backtest import PORTFOLIOS, BacktestResult, backtest, stat_intervals
from stgnn.evaluation.bootstrap import (SCHEME, block_for_horizon, bootstrap_ci, direction_auroc_of, macro_f1_of,
                                        mcc_of, move_auroc_of, paired_block_bootstrap, rank_ic_of)
from stgnn.evaluation.metrics import call_hit_rate, direction_return, headline, labelled, prediction_metrics

INTERVALS = {"macro_f1": macro_f1_of, "mcc": mcc_of, "rank_ic": rank_ic_of, "auroc_direction": direction_auroc_of,
             "auroc_move": move_auroc_of}
"""Metrics every model gets an interval for (``metrics["intervals"][model]``)."""

COMPARED = {name: INTERVALS[name] for name in ("macro_f1", "mcc", "rank_ic")}
"""Metrics compared between the model and each baseline (``metrics["comparisons"][baseline]``)."""


def stitch(folds, name: str) -> pd.DataFrame:
    """One model's test predictions of every fold, in time order, with a ``fold`` column."""
    frames = [f.frames[name].assign(fold=f.index) for f in sorted(folds, key=lambda f: f.index)]
    return pd.concat(frames, ignore_index=True)


def directional_skill(frame: pd.DataFrame) -> dict:
    """Move detection apart from direction (most skill on daily prices is volatility timing), of
    labelled rows."""
    m = prediction_metrics(frame)
    hit_rate, n_calls = call_hit_rate(frame["pred"], direction_return(frame))
    return {
        "auroc_move": m["auroc_move"],
        "auroc_direction": m["auroc_direction"],
        "directional_hit_rate": hit_rate,
        "n_calls": n_calls,
        "rank_ic": m["rank_ic"],
    }


def per_year(frame: pd.DataFrame) -> dict:
    years = pd.to_datetime(frame["date"]).dt.year
    return {str(y): _with_rows(prediction_metrics(part)) for y, part in frame.groupby(years)}


def per_fold(frame: pd.DataFrame) -> dict:
    """Metrics of each fold's labelled rows (``frame`` has a ``fold`` column)."""
    return {str(f): _with_rows(prediction_metrics(part.drop(columns="fold"))) for f, part in frame.groupby("fold")}


def compare(model: pd.DataFrame, baseline: pd.DataFrame, *, n_boot: int, block_days: int, seed: int) -> dict:
    """Differences model - baseline with 95% block-bootstrap intervals over days."""
    return {name: paired_block_bootstrap(model, baseline, fn, block_days=block_days, n_boot=n_boot, seed=seed)
            for name, fn in COMPARED.items()}


def intervals(frame: pd.DataFrame, *, n_boot: int, block_days: int, seed: int) -> dict:
    """Each metric of :data:`INTERVALS` with its 95% block-bootstrap interval over days."""
    return {name: bootstrap_ci(frame, fn, block_days=block_days, n_boot=n_boot, seed=seed)
            for name, fn in INTERVALS.items()}


@dataclass(frozen=True)
class EvaluationSettings:
    """How a walk-forward's predictions are judged: the backtest's holding period, costs and books,
    and the bootstrap's resamples, read from a config in one place (:meth:`from_config`).

    Attributes
    ----------
    horizon : int
        Label horizon in days: the backtest's holding period, and the bootstrap block is at least
        twice it.
    cost_bps : float
        Backtest cost per unit of turnover.
    n_boot, block_days, seed : int
        Bootstrap resamples, requested block length in days (:attr:`block` is used) and seed.
    book : {"dollar_neutral", "unhedged"}, default "dollar_neutral"
        The backtest's book (see :mod:`stgnn.evaluation.backtest`).
    rank_quantile : float, default 0.1
        The rank book's share of the tradeable tickers on each side.
    """

    horizon: int
    cost_bps: float
    n_boot: int
    block_days: int
    seed: int
    book: str = "dollar_neutral"
    rank_quantile: float = 0.1

    @classmethod
    def from_config(cls, config: Config) -> EvaluationSettings:
        wf = config.walkforward
        return cls(horizon=config.labels.horizon, cost_bps=wf.cost_bps, n_boot=wf.n_boot, block_days=wf.block_days,
                   seed=config.training.seed, book=wf.book, rank_quantile=wf.rank_quantile)

    @property
    def block(self) -> int:
        """The bootstrap block used: ``max(block_days, 2 * horizon)`` days."""
        return block_for_horizon(self.block_days, self.horizon)


def evaluate(frames: dict[str, pd.DataFrame], settings: EvaluationSettings, *,
             model: str) -> tuple[dict, BacktestResult]:
    """The whole ``metrics.json`` of a walk-forward from stitched frames (model and baselines).

    Parameters
    ----------
    frames : dict of str to pd.DataFrame
        Each model's stitched predictions (see :func:`stitch`), the model under ``model`` and the
        baselines under their names; rows without a label are traded by the backtest only.
    settings : EvaluationSettings
    model : str

    Returns
    -------
    metrics : dict
        ``oos``, ``oos_argmax``, ``per_fold``, ``per_year``, ``skill``, ``baselines``,
        ``baseline_skill``, ``intervals``, ``comparisons``, ``backtest`` and ``bootstrap`` (see the
        module docstring).
    backtest : BacktestResult
        The model's backtest (its equity curves).
    """
    block, n_boot, seed = settings.block, settings.n_boot, settings.seed
    scored = {name: labelled(f) for name, f in frames.items()}  # with fold, for per_fold
    cores = {name: f.drop(columns="fold") for name, f in scored.items()}
    core = cores[model]
    baselines = {name: f for name, f in cores.items() if name != model}
    argmax = core.assign(pred=core[["p_down", "p_none", "p_up"]].to_numpy().argmax(axis=1))
    bt = backtest(frames[model].drop(columns="fold"), horizon=settings.horizon, cost_bps=settings.cost_bps,
                  book=settings.book, rank_quantile=settings.rank_quantile)
    bands = stat_intervals(bt, block_days=block, n_boot=n_boot, seed=seed)
    return {
        "oos": prediction_metrics(core),
        "oos_argmax": prediction_metrics(argmax),
        "per_fold": per_fold(scored[model]),
        "per_year": per_year(core),
        "skill": directional_skill(core),
        "baselines": {name: prediction_metrics(f) for name, f in baselines.items()},
        "baseline_skill": {name: directional_skill(f) for name, f in baselines.items()},
        "intervals": {name: intervals(f, n_boot=n_boot, block_days=block, seed=seed) for name, f in cores.items()},
        "comparisons": {name: compare(core, f, n_boot=n_boot, block_days=block, seed=seed)
                        for name, f in baselines.items()},
        "backtest": {**bt.stats, **{name: {**bt.stats[name], "intervals": bands[name]} for name in PORTFOLIOS}},
        "bootstrap": {"n_boot": int(n_boot), "block_days": block, "block_days_requested": int(settings.block_days),
                      "scheme": SCHEME},
    }, bt


def _with_rows(m: dict) -> dict:
    return {**headline(m), "n_rows": m["n_rows"]}
