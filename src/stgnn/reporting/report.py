"""The walk-forward report: ``report.md`` and a self-contained ``report.html`` (images embedded).

Built only from what the run directory holds (metrics.json, folds.csv, equity.csv), so a report
can be rebuilt from a finished run without training anything. A reader meets the verdict first
(each question answered from an estimate and its 95% interval), then the equity curve, then the
tables. Sections are structured blocks that render to both Markdown and HTML, so neither format is
converted from the other.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from itertools import groupby
from operator import getitem
from pathlib import Path

import numpy as np
import pandas as pd

from stgnn.evaluation.bootstrap import block_bootstrap, bootstrap_ci, macro_f1_of, rank_ic_of
from stgnn.evaluation.evaluate import COMPARED
from stgnn.evaluation.metrics import (
    daily_information_coefficients,
    daily_quantile_returns,
    headline,
)
from stgnn.formats import MISSING, count, interval, kind_of, metric, missing, per_year, percent, ratio
from stgnn.io import atomic_write_text
from stgnn.registry import BAYES
from stgnn.reporting import plots
from stgnn.runs import MODEL, RunDir

UNDEFINED = "n/a: undefined"
NO_DIFFERENCE = "no detectable difference"
STYLE = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.4}"
         "body>section:first-of-type{background:#f3f6f9;border-left:4px solid #3a6ea5;padding:.1em 1em}"
         "table{border-collapse:collapse;font-size:13px;margin:.5em 0;display:block;max-width:100%;overflow-x:auto}"
         "th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#eee}"
         "img{max-width:100%}figcaption{font-size:13px;color:#555}")


# ---------------------------------------------------------------------------------------------
# The verdict


@dataclass(frozen=True)
class Question:
    """Where a question's interval sits in metrics.json, what "no effect" is, the words for a side,
    and how its numbers are written (:mod:`stgnn.formats`)."""

    text: str
    metric: str
    path: tuple[str, ...]
    null: float
    above: str
    below: str
    kind: Callable[[object], str] = metric


DIRECTION = "Is there direction skill (Rank IC, direction AUROC)?"
AHEAD = "Does any baseline beat the STGNN?"
BEST_POSSIBLE = "How far is the STGNN from the best possible (the synthetic market's exact posterior)?"
COMPARISONS = (
    Question("Does the STGNN beat trailing volatility?", "macro-F1, STGNN minus volatility",
             ("comparisons", "volatility", "macro_f1"), 0.0, "better", "worse"),
    Question("Does the graph help (STGNN vs temporal-only)?", "macro-F1, STGNN minus temporal-only",
             ("comparisons", "stgnn_no_graph", "macro_f1"), 0.0, "better", "worse"),
)
REFERENCE = tuple(
    Question(BEST_POSSIBLE, f"{name}, STGNN minus Bayes", ("comparisons", BAYES, key), 0.0,
             "above it (luck on these rows: no model beats the posterior in expectation)", "short of it")
    for key, name in (("macro_f1", "macro-F1"), ("rank_ic", "Rank IC")))
SKILL = (
    Question(DIRECTION, "rank IC", ("intervals", "stgnn", "rank_ic"), 0.0, "positive", "negative"),
    Question(DIRECTION, "direction AUROC", ("intervals", "stgnn", "auroc_direction"), 0.5,
             "above chance", "below chance"),
    Question("Does the long/short book earn more than its beta after costs?", "annual alpha",
             ("backtest", "strategy", "intervals", "alpha"), 0.0, "yes, positive alpha", "no, negative alpha",
             per_year),
)
QUESTIONS = (*COMPARISONS, *REFERENCE, *SKILL)
"""The verdict's questions in its order; after :data:`COMPARISONS` it names every baseline ahead (:data:`AHEAD`)."""

AHEAD_METRICS = {"macro_f1": "macro-F1", "rank_ic": "Rank IC"}
"""The metrics the verdict judges the STGNN by (macro-F1 against baselines, Rank IC for direction):
a baseline whose paired interval puts it ahead on either is named."""


@dataclass(frozen=True)
class Finding:
    """One question answered from an estimate and its 95% interval.

    ``answer`` is a side of ``null`` only when the interval excludes it (``excludes_null``);
    ``seed_std`` is the spread across seeds where a run measured one (``--seeds N``); ``kind``
    writes its numbers."""

    question: str
    metric: str
    estimate: float | None
    lo: float | None
    hi: float | None
    null: float
    answer: str
    excludes_null: bool | None
    seed_std: float | None = None
    kind: Callable[[object], str] = metric


def verdict(metrics: dict) -> list[Finding]:
    """The questions a reader asks first, in :data:`QUESTIONS` order, with every baseline that beats
    the STGNN named after the comparisons (:func:`baselines_ahead`).

    A question whose interval this run lacks (a baseline not run, an older metrics.json) is left
    out; one whose numbers are undefined (null) is answered :data:`UNDEFINED`."""
    spreads = _seed_spreads(metrics)

    def answer(questions) -> list[Finding]:
        findings = []
        for q in questions:
            try:
                found = reduce(getitem, q.path, metrics) or {}
            except KeyError:
                continue
            findings.append(_finding(q, found, spreads.get(q.path[-1])))
        return findings

    return [*answer(COMPARISONS), *baselines_ahead(metrics), *answer(REFERENCE), *answer(SKILL)]


def baselines_ahead(metrics: dict) -> list[Finding]:
    """Every (baseline, metric of :data:`AHEAD_METRICS`) whose paired interval of STGNN minus the
    baseline lies below 0: the baseline is detectably better. With none, one summary finding
    (no estimate) says so; with no baselines compared (the Bayes reference is not one), nothing."""
    spreads = _seed_spreads(metrics)
    compared = {name: c for name, c in metrics.get("comparisons", {}).items() if name != BAYES}
    ahead = [f for name, c in compared.items() for key, label in AHEAD_METRICS.items() if key in c
             for f in [_finding(Question(AHEAD, f"{label}, STGNN minus {name}", (), 0.0, "better",
                                         f"{name} is better"), c[key], spreads.get(key))]
             if f.excludes_null and f.hi < 0]
    if ahead or not compared:
        return ahead
    return [Finding(AHEAD, f"{' or '.join(AHEAD_METRICS.values())} of {len(compared)} baseline(s)", None, None, None,
                    0.0, "no: no baseline's interval (STGNN minus it) lies below 0", False)]


def _finding(q: Question, interval: dict, seed_std: float | None) -> Finding:
    estimate, lo, hi = _estimate(interval), interval.get("lo"), interval.get("hi")
    if any(map(missing, (estimate, lo, hi))):
        answer, excludes = UNDEFINED, None
    else:
        answer = q.above if lo > q.null else q.below if hi < q.null else NO_DIFFERENCE
        excludes = answer != NO_DIFFERENCE
    return Finding(q.text, q.metric, estimate, lo, hi, q.null, answer, excludes, seed_std, q.kind)


def _n_seeds(metrics: dict) -> int:
    return metrics.get("seeds", {}).get("n_seeds", 1)


def _seed_spreads(metrics: dict) -> dict[str, float]:
    """Std across seeds by interval metric name; empty with one seed, where it measures nothing."""
    if _n_seeds(metrics) <= 1:
        return {}
    seeds = metrics["seeds"]
    return {name: spread["std_across_seeds"] for name, spread in seeds.items() if isinstance(spread, dict)}


def _finding_text(f: Finding) -> str:
    """``macro-F1, ... -0.0090 [-0.0280, +0.0110]: no detectable difference (the interval contains 0)``."""
    if f.excludes_null is None:
        return f"{f.metric} {UNDEFINED}"
    if f.estimate is None:  # a summary over several intervals
        return f"{f.answer} ({f.metric})"
    where = "excludes" if f.excludes_null else "contains"
    return (f"{f.metric} {interval(f.estimate, f.lo, f.hi, f.kind)}{_spread_text(f.seed_std)}: {f.answer} "
            f"(the interval {where} {f.null:g})")


def _resampling(metrics: dict) -> str:
    """`` (scheme, n resamples, blocks of d days)``; a shortened block says what was asked for."""
    boot = metrics.get("bootstrap")
    if not boot:
        return ""
    asked = boot["block_days_requested"]
    shortened = f", {asked} requested" if asked != boot["block_days"] else ""
    return f" ({boot['scheme']}, {boot['n_boot']} resamples, blocks of {boot['block_days']} days{shortened})"


def _noise_note(metrics: dict) -> str:
    """What the intervals include and what they leave out, so no one reads them as the whole error."""
    n_seeds = _n_seeds(metrics)
    seed_noise = (f"seed noise, shown beside the intervals of the metrics it covers as the seed spread (std "
                  f"across {n_seeds} seeds within a fold, averaged over folds)" if n_seeds > 1 else
                  "seed noise (not measured with one seed per fold; pass --seeds N to measure it)")
    return (f"The 95% intervals come from a day-block bootstrap over the out-of-sample dates{_resampling(metrics)}. "
            f"They leave out {seed_noise}, the noise of selecting hyperparameters on each fold's validation "
            "window, and survivorship of the universe (tickers that exist today, looked at in the past).")


# ---------------------------------------------------------------------------------------------
# Blocks that render to both Markdown and HTML


@dataclass(frozen=True)
class Paragraph:
    text: str

    def md(self) -> str:
        return self.text

    def html(self) -> str:
        return f"<p>{html.escape(self.text)}</p>"


@dataclass(frozen=True)
class Bullets:
    """Items of a lead in bold and the text after it."""

    items: tuple[tuple[str, str], ...]

    def md(self) -> str:
        return "\n".join(f"- **{lead}** {text}" for lead, text in self.items)

    def html(self) -> str:
        return "<ul>" + "".join(f"<li><strong>{html.escape(lead)}</strong> {html.escape(text)}</li>"
                                for lead, text in self.items) + "</ul>"


@dataclass(frozen=True)
class Table:
    """A table whose numbers are written by their column's kind (:func:`stgnn.formats.kind_of`:
    ``n_*`` columns are counts, returns percentages, ...); strings are shown as they are."""

    frame: pd.DataFrame

    def md(self) -> str:
        head, rows = _cells(self.frame, _by_kind)
        return _markdown(head, rows)

    def html(self) -> str:
        head, rows = _cells(self.frame, _by_kind)
        return "<table>" + _html_row(head, "th") + "".join(_html_row(r, "td") for r in rows) + "</table>"


def _html_row(cells: list[str], tag: str) -> str:
    return "<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>"


@dataclass(frozen=True)
class Image:
    caption: str
    path: Path

    def md(self) -> str:
        return f"![{self.caption}](figures/{self.path.name})"

    def html(self) -> str:
        caption = html.escape(self.caption)
        return (f"<figure><img src=\"{plots.png_data_uri(self.path)}\" alt=\"{caption}\">"
                f"<figcaption>{caption}</figcaption></figure>")


@dataclass(frozen=True)
class Details:
    """Blocks folded under a summary line in HTML (tables kept for copying below a figure)."""

    summary: str
    blocks: tuple

    def md(self) -> str:
        return "\n\n".join([f"*{self.summary}:*", *(b.md() for b in self.blocks)])

    def html(self) -> str:
        return (f"<details><summary>{html.escape(self.summary)}</summary>"
                + "\n".join(b.html() for b in self.blocks) + "</details>")


@dataclass(frozen=True)
class Section:
    """A heading and its blocks; a block may be a deeper Section."""

    heading: str
    blocks: tuple
    level: int = 2

    def md(self) -> str:
        return "\n\n".join([f"{'#' * self.level} {self.heading}", *(b.md() for b in self.blocks)])

    def html(self) -> str:
        return (f"<section><h{self.level}>{html.escape(self.heading)}</h{self.level}>"
                + "\n".join(b.html() for b in self.blocks) + "</section>")


def _cells(frame: pd.DataFrame, number: Callable[[str, object], str]) -> tuple[list[str], list[list[str]]]:
    """Header and cells of a table, each number written by ``number(column, value)``; missing
    values read n/a, strings and booleans as they are."""
    def cell(column, v) -> str:
        if missing(v):
            return MISSING
        if isinstance(v, (bool, np.bool_, str)) or not isinstance(v, (int, float, np.number)):
            return str(v)
        return number(str(column), v)

    rows = [[cell(c, v) for c, v in row.items()] for _, row in frame.iterrows()]
    return [str(c) for c in frame.columns], rows


def _by_kind(column: str, v) -> str:
    """A report table's number: by its column's kind, an integer as a count."""
    return count(v) if isinstance(v, (int, np.integer)) else kind_of(column)(v)


def _markdown(head: list[str], rows: list[list[str]]) -> str:
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                     + ["| " + " | ".join(r) + " |" for r in rows])


def markdown_table(frame: pd.DataFrame, floatfmt: str = "{:.4f}") -> str:
    """A Markdown table without extra dependencies (the research commands' tables); missing values
    read n/a, whole numbers from 2 on without decimals."""
    def number(_, v) -> str:
        if isinstance(v, (int, np.integer)):
            return str(v)
        return f"{v:.0f}" if float(v).is_integer() and abs(v) >= 2 else floatfmt.format(v)

    head, rows = _cells(frame, number)
    return _markdown(head, rows)


# ---------------------------------------------------------------------------------------------
# Numbers


def _estimate(c: dict):
    """A comparison's difference or an interval's value."""
    return c["diff"] if "diff" in c else c.get("value")


def _spread_text(std: float | None) -> str:
    return "" if missing(std) else f", seed spread ±{metric(abs(std)).lstrip('+')}"


def format_interval(c: dict, spread: float | None = None, kind: Callable[[object], str] = metric) -> str:
    """``+0.0123 [-0.0040, +0.0290]`` in ``kind``'s format, and the seed spread where measured; n/a
    where a metric is undefined (metrics.json holds null)."""
    text = interval(_estimate(c), c.get("lo"), c.get("hi"), kind)
    return text if text == MISSING else text + _spread_text(spread)


# ---------------------------------------------------------------------------------------------
# Sections


def _verdict_section(metrics: dict) -> Section:
    findings = verdict(metrics)
    answers = Bullets(tuple((question, "; ".join(map(_finding_text, group)) + ".")
                            for question, group in groupby(findings, key=lambda f: f.question)))
    first = answers if findings else Paragraph("No question could be answered: this run has no volatility or "
                                               "temporal-only baseline and no intervals in metrics.json.")
    return Section("Verdict", (first, Paragraph(_noise_note(metrics)), *_data_note(metrics)))


def _data_note(metrics: dict) -> tuple[Paragraph, ...]:
    """The universe rule and the data's caveats (survivorship), beside the findings they qualify."""
    data = metrics.get("data")
    if not data:
        return ()
    text = (f"Data: {data['source']}, {data['n_tickers']} tickers; universe: {data['universe']}. "
            + " ".join(f"Caveat: {c}" for c in data["caveats"]))
    return (Paragraph(text.strip()),)


TURNOVER_WINDOW = 21
"""Rebalances in the turnover figure's rolling mean (a month of daily rebalances)."""


def _equity_sections(run: RunDir) -> list[Section]:
    """The books' equity and drawdowns, their turnover (runs before turnover.csv lack it) and each
    STGNN book's monthly returns, all from the files the backtest wrote."""
    if not run.equity.is_file():
        return []
    equity = pd.read_csv(run.equity, index_col=0)
    images = [Image("Out-of-sample equity of each book beside the equal-weight universe (top) and "
                    "each one's drawdown from its running peak (bottom), after costs, from equity.csv",
                    plots.plot_equity_curves({c: equity[c] for c in equity.columns}, run.figure("equity"),
                                             title="Out-of-sample equity", drawdowns=True))]
    if run.turnover.is_file():
        turnover = pd.read_csv(run.turnover, index_col=0)
        images.append(Image(f"Turnover per rebalance (the sum of the absolute weight changes; 2 replaces a whole "
                            f"long/short book), its mean over the last {TURNOVER_WINDOW} rebalances (each day's own "
                            "figure jumps too much to read), from turnover.csv", plots.plot_over_dates(
                                {f"{c} (mean {ratio(turnover[c].mean())})": turnover[c].rolling(
                                    TURNOVER_WINDOW, min_periods=1).mean() for c in turnover.columns},
                                run.figure("turnover"), ylabel=f"turnover, {TURNOVER_WINDOW}-rebalance mean",
                                title="Turnover per rebalance")))
    for i, column in enumerate(c for c in equity.columns if c.startswith(MODEL)):
        log_returns = np.log(equity[column]).diff().fillna(np.log(equity[column].iloc[0]))
        images.append(Image(f"Monthly log return of {column}, after costs, with the rebalances behind each cell, "
                            "from equity.csv", plots.plot_month_year_heatmap(
                                log_returns, run.figure(f"monthly_{i}"), how="sum", fmt="{:+.1%}",
                                title=f"{column}: monthly return")))
    return [Section("Books after costs: equity, drawdowns, turnover, monthly returns", tuple(images))]


def _daily_rank_ic(run: RunDir, metrics: dict) -> dict[str, pd.Series]:
    """Each model's daily Rank IC from its stitched predictions (a model whose score never varies,
    like the majority class, has none)."""
    daily = {}
    for name in [MODEL, *metrics["baselines"]]:
        if run.oos(name).is_file():
            ic = daily_information_coefficients(run.read_oos(name))["rank_ic"]
            if len(ic):
                daily[name] = ic
    return daily


def _ic_sections(run: RunDir, metrics: dict) -> list[Section]:
    """The STGNN's Rank IC over time beside the baselines', by month and year, and per fold."""
    daily = _daily_rank_ic(run, metrics)
    if MODEL not in daily:
        return []
    folds = pd.read_csv(run.oos(MODEL), usecols=["date", "fold"]).drop_duplicates("date").set_index("date")["fold"]
    per_fold = pd.DataFrame({name: ic.groupby(folds.reindex(ic.index).to_numpy()).mean() for name, ic in daily.items()})
    per_fold.index = per_fold.index.astype(int).rename("fold")
    return [Section("Rank IC over time", (
        Image("Cumulative daily Rank IC of every model (top) and the STGNN's daily Rank IC with each model's 63-day "
              "rolling mean (bottom), from the stitched out-of-sample predictions: a steady slope is a steady "
              "signal, a step a few days", plots.plot_ic_over_time(daily, run.figure("ic_over_time"), highlight=MODEL)),
        Image("The STGNN's mean daily Rank IC by month and year, with the days behind each cell",
              plots.plot_month_year_heatmap(daily[MODEL], run.figure("ic_by_month"), title="STGNN mean Rank IC")),
        Image("Mean daily Rank IC of each model per walk-forward fold (each fold's test window, its own models)",
              plots.plot_metric_over_time(per_fold, run.figure("ic_per_fold"), metrics=list(per_fold.columns),
                                          title="Mean Rank IC per fold"))))]


QUANTILES = 5
"""The score quantiles of the returns figure (quintiles, alphalens' default)."""


def _quantile_sections(run: RunDir, metrics: dict) -> list[Section]:
    """The STGNN's score quintiles: mean demeaned forward return with day-block intervals, the
    cumulative return of each and of the top-minus-bottom spread."""
    if not run.oos(MODEL).is_file():
        return []
    daily = daily_quantile_returns(run.read_oos(MODEL), QUANTILES)
    if daily.empty:
        return []
    boot = metrics.get("bootstrap", {})
    block, n_boot = boot.get("block_days", 20), boot.get("n_boot", 300)
    intervals = pd.DataFrame({q: block_bootstrap(daily[q].dropna().to_numpy(), lambda stack: stack.mean(axis=1),
                                                 block=min(block, max(1, daily[q].notna().sum())), n_boot=n_boot)
                              for q in daily.columns}).T
    horizon = metrics["backtest"]["horizon"]
    figure = plots.plot_quantile_returns(daily, intervals, run.figure("quantile_returns"), horizon=horizon,
                                         title="STGNN score quintiles (p_up - p_down), out of sample")
    return [Section("Returns by score quintile", (Image(
        f"Each day the tickers are split into {QUANTILES} quantiles of the STGNN's score; the {horizon}-day forward "
        "log return from the trading day, less the day's mean over all tickers (alphalens' demeaned returns), is "
        f"averaged per quantile: its mean over days with a 95% day-block bootstrap interval ({n_boot} resamples, "
        f"blocks of {block} days), its cumulative sum, and the top minus bottom quantile's; from "
        "oos_predictions.csv, before costs", figure),))]


MIN_SECTOR_TICKERS = 5
"""Fewest tickers a sector needs for its own figures: a daily Rank IC over fewer is mostly noise."""

SECTOR_METRICS = {"macro_f1": macro_f1_of, "rank_ic": rank_ic_of}


def _sector_sections(run: RunDir, metrics: dict) -> list[Section]:
    """The STGNN's macro-F1 and within-sector Rank IC per sector, with day-block intervals (runs
    whose sectors are unknown, or from before sectors.csv, have no section)."""
    if not (run.sectors.is_file() and run.oos(MODEL).is_file()):
        return []
    sectors = pd.read_csv(run.sectors).set_index("ticker")["sector"]
    oos = run.read_oos(MODEL)
    oos = oos.assign(sector=oos["ticker"].map(sectors))
    counts = oos.groupby("sector")["ticker"].nunique()
    boot = metrics["bootstrap"]
    rows = [{"metric": METRIC_NAMES[metric], "name": f"{sector} ({counts[sector]})",
             **bootstrap_ci(frame, fn, block_days=boot["block_days"], n_boot=boot["n_boot"])}
            for sector, frame in oos.groupby("sector") if counts[sector] >= MIN_SECTOR_TICKERS
            for metric, fn in SECTOR_METRICS.items()]
    if not rows:
        return []
    table = {}
    for r in rows:
        table.setdefault(r["name"], {"sector (tickers)": r["name"]})[f"{r['metric']} [95% CI]"] = format_interval(r)
    figure = plots.plot_forest(pd.DataFrame(rows), run.figure("sectors"), panel="metric", label="name", value="value",
                               lo="lo", hi="hi", nulls=_named({"rank_ic": 0.0}),
                               title="STGNN per sector, out of sample (95% CI)")
    return [Section("Per sector", (
        Image(f"The STGNN's macro-F1 and Rank IC on each sector's rows (sectors of at least {MIN_SECTOR_TICKERS} "
              "tickers; the count in brackets), with 95% day-block intervals: Rank IC here ranks each day's tickers "
              "within their sector, so it says where the ranking holds, not how much of the universe's IC a sector "
              "carries; from oos_predictions.csv and sectors.csv", figure),
        Details("the sectors as a table", (Table(pd.DataFrame(list(table.values()))),))))]


def _comparison_table(metrics: dict) -> Table:
    spreads = _seed_spreads(metrics)
    rows = [{"baseline": name, **{f"{k} diff [95% CI]": format_interval(c[k], spreads.get(k)) for k in COMPARED}}
            for name, c in metrics["comparisons"].items()]
    return Table(pd.DataFrame(rows))


def _seed_sections(metrics: dict) -> list[Section]:
    if _n_seeds(metrics) <= 1:
        return []
    seeds = metrics["seeds"]
    spread = pd.DataFrame({k: v for k, v in seeds.items() if isinstance(v, dict)}).T.reset_index(names="metric")
    return [Section(f"Seeds: {seeds['n_seeds']} models per fold (test, argmax), mean and spread across seeds",
                    (Table(spread),))]


FOREST_METRICS = {"macro_f1": None, "mcc": 0.0, "rank_ic": 0.0}
"""The forest plots' panels and each one's value of no skill (macro-F1 has none that fits every
class mix: the majority baseline's row shows it)."""

METRIC_NAMES = {"macro_f1": "macro-F1", "mcc": "MCC", "rank_ic": "Rank IC"}
"""How a figure titles a metric of metrics.json."""


def _forest_rows(groups: dict, estimate: str) -> pd.DataFrame:
    """Long rows (metric, name, value, lo, hi) of the :data:`FOREST_METRICS` in ``groups``."""
    return pd.DataFrame([{"metric": METRIC_NAMES[metric], "name": name, "value": c.get(estimate), "lo": c.get("lo"),
                          "hi": c.get("hi")}
                         for metric in FOREST_METRICS for name, group in groups.items() if metric in group
                         for c in [group[metric]]], columns=["metric", "name", "value", "lo", "hi"]).astype(
        {"value": float, "lo": float, "hi": float})


def _named(by_metric: dict) -> dict:
    """``by_metric`` keyed by the metrics' :data:`METRIC_NAMES`."""
    return {METRIC_NAMES[k]: v for k, v in by_metric.items()}


def _forest_sections(run: RunDir, metrics: dict) -> list[Section]:
    """Each model's metrics, and the STGNN's paired differences from each baseline, as forest plots
    with their 95% intervals, the tables folded below (older runs lack intervals: no section)."""
    spreads = _seed_spreads(metrics)
    sections = []
    intervals = metrics.get("intervals", {})
    if intervals:
        rows = [{"model": name, **{f"{k} [95% CI]": format_interval(c, spreads.get(k) if name == "stgnn" else None)
                                   for k, c in group.items()}} for name, group in intervals.items()]
        figure = plots.plot_forest(_forest_rows(intervals, "value"), run.figure("forest_models"), panel="metric",
                                   label="name", value="value", lo="lo", hi="hi", nulls=_named(FOREST_METRICS),
                                   title="Each model out of sample (95% CI)")
        sections.append(Section("Each model's metrics with 95% intervals", (
            Image("Out-of-sample macro-F1, MCC and Rank IC of every model on the same rows, each with its 95% "
                  f"interval{_resampling(metrics)}, from metrics.json's intervals; dashed: no skill", figure),
            Details("the intervals as a table", (Table(pd.DataFrame(rows)),)))))
    comparisons = metrics["comparisons"]
    if comparisons:
        figure = plots.plot_forest(_forest_rows(comparisons, "diff"), run.figure("forest_differences"),
                                   panel="metric", label="name", value="value", lo="lo", hi="hi",
                                   nulls=_named(dict.fromkeys(FOREST_METRICS, 0.0)),
                                   title="STGNN minus each baseline (95% CI)")
        sections.append(Section("Differences from each baseline", (
            Image("The STGNN's macro-F1, MCC and Rank IC minus each baseline's, paired on the same rows, with 95% "
                  "intervals from metrics.json's comparisons; right of the dashed line the STGNN is ahead, an "
                  "interval across it shows no difference", figure),
            Details("the differences as a table", (_comparison_table(metrics),)))))
    else:
        sections.append(Section("Differences from each baseline", (Paragraph("no baselines"),)))
    return sections


QUANTILE_NAMES = {0.1: "decile", 0.2: "quintile", 0.25: "quartile", 0.5: "half"}
"""How the rank book's row names its ``rank_quantile``; other values read as a percentage."""


def rank_label(quantile: float) -> str:
    """``rank book, top/bottom decile by p_up - p_down``.

    Examples
    --------
    >>> rank_label(0.1), rank_label(0.125)
    ('rank book, top/bottom decile by p_up - p_down', 'rank book, top/bottom 12.5% by p_up - p_down')
    """
    return f"rank book, top/bottom {QUANTILE_NAMES.get(quantile, f'{quantile * 100:g}%')} by p_up - p_down"


def _backtest_section(metrics: dict) -> Section:
    """The calls, the rank book (runs before it lack one: no row) and the equal-weight universe."""
    bt = metrics["backtest"]
    rank = {"rank": rank_label(bt["rank_quantile"])} if "rank" in bt else {}
    labels = {"strategy": "long Up / short Down", **rank, "equal_weight": "equal-weight universe"}
    rows = {label: _backtest_row(label, bt[key]) for key, label in labels.items()}
    book = bt.get("book", "long/short").replace("_", " ")
    return Section(f"Backtest ({book} book, equal weight per side, rebalanced every {bt['horizon']} day(s), "
                   f"{bt['cost_bps']:g} bps costs)", (Table(pd.DataFrame(rows).T),))


def _backtest_row(label: str, stats: dict) -> dict:
    """A portfolio's statistics, those with an interval shown with it instead of alone."""
    intervals = stats.get("intervals", {})
    return {"portfolio": label, **{k: v for k, v in stats.items() if k != "intervals" and k not in intervals},
            **{f"{k} [95% CI]": format_interval(c, kind=kind_of(k)) for k, c in intervals.items()}}


def _imbalance_section(metrics: dict) -> Section:
    """One sub-section per fold: each mechanism's numbers per class."""
    return Section("Imbalance handling per fold", tuple(
        Section(f"Fold {f['fold']}", (_per_class_table(f["imbalance"]),), level=3) for f in metrics["folds"]))


def _per_class_table(imbalance: dict) -> Table:
    """Each mechanism's numbers per class: counts, shares in percent, weights as ratios."""
    def kind(mechanism: str):
        return count if mechanism.startswith("counts") else percent if mechanism.endswith("share") else ratio

    per_class = {k: {c: kind(k)(x) for c, x in v.items()} for k, v in imbalance.items() if isinstance(v, dict)}
    return Table(pd.DataFrame(per_class).T.reset_index(names="mechanism"))


def _table_sections(run: RunDir, metrics: dict) -> list[Section]:
    chosen = pd.DataFrame([{"fold": f["fold"], **{k: str(v) for k, v in f["chosen"].items()},
                            "seconds": f"{f['seconds']:.1f}", "alarms": len(f["alarms"])} for f in metrics["folds"]])
    models = {"stgnn": metrics["oos"], **metrics["baselines"]}
    table = pd.DataFrame({name: headline(m) for name, m in models.items()}).T
    table.insert(0, "model", table.index)
    skill = pd.DataFrame({"stgnn": metrics["skill"], **metrics["baseline_skill"]}).T
    skill.insert(0, "model", skill.index)
    return [
        Section("Folds", (Table(pd.read_csv(run.fold_table)),)),
        Section("Chosen hyperparameters (tuned on each fold's validation window)", (Table(chosen),)),
        *_baseline_settings_sections(metrics),
        Section("Out-of-sample metrics beside the baselines (same folds, same rows)", (Table(table),)),
        *_seed_sections(metrics),
        Section("Move detection versus direction", (Paragraph(
            "Most skill on daily prices is volatility timing. auroc_move: Up-or-Down vs None from p_up + p_down; "
            "auroc_direction: Up vs Down among rows that moved. Rank IC and the directional hit rate score the "
            f"return the labels were cut from ({metrics['data']['labels']}); the backtest trades the raw return."),
            Table(skill))),
        _backtest_section(metrics),
        _imbalance_section(metrics),
    ]


def _baseline_settings_sections(metrics: dict) -> list[Section]:
    """What each baseline chose on validation, per fold: the linear models' C and window, the
    temporal-only STGNN's own grid choice and seeds."""
    rows = []
    for f in metrics["folds"]:
        for name, info in f.get("baselines", {}).items():
            if "chosen" in info:
                setting = ", ".join(f"{k}={v}" for k, v in info["chosen"].items()) + f"; {info['n_seeds']} seed(s)"
            elif info.get("params"):
                setting = ", ".join(f"{k}={v:g}" for k, v in info["params"].items()) + \
                    (f", {info['n_trees']} trees" if "n_trees" in info else f", window={info['window']} day(s)")
            elif info.get("C") is not None:  # a run from before the trees
                setting = f"C={info['C']:g}, window={info['window']} day(s)"
            else:
                setting = "no setting to tune"
            rows.append({"fold": f["fold"], "baseline": name, "chosen on validation": setting})
    if not rows:
        return []
    return [Section("Baseline settings (each tuned on the same validation windows as the STGNN)",
                    (Table(pd.DataFrame(rows)),))]


PER_YEAR_METRICS = ["macro_f1", "auroc_move", "auroc_direction", "rank_ic"]


def _figure_section(run: RunDir, metrics: dict) -> Section:
    """Metrics per calendar year, each year with the rows behind it (a year of 20 rows and one of
    1,240 are not equally sure), and the confusion matrix."""
    years = pd.DataFrame(metrics["per_year"]).T.rename_axis("year")
    shown = years.rename(index=lambda y: f"{y} ({count(years.at[y, 'n_rows'])} rows)")
    table = years[["n_rows", *PER_YEAR_METRICS]].astype({"n_rows": int}).reset_index()
    images = [
        Image("Metrics per calendar year, the labelled rows behind each year beside it", plots.plot_metric_over_time(
            shown, run.figure("per_year"), metrics=PER_YEAR_METRICS, title="Out-of-sample metrics per year")),
        Details("the years as a table", (Table(table),)),
        Image("Confusion matrix (tuned thresholds)", plots.plot_confusion_matrix(
            metrics["oos"]["confusion_matrix"], run.figure("confusion_matrix"),
            title="Out-of-sample confusion matrix")),
    ]
    return Section("Figures", tuple(images))


def write_report(run_dir: str | Path) -> Path:
    """Write report.md and report.html (and figures/) of a finished walk-forward from its run
    directory's files alone, so an old run's report can be rebuilt; returns the HTML path."""
    run = RunDir(run_dir)
    metrics = run.read_metrics()
    sections = [_verdict_section(metrics), *_equity_sections(run), *_forest_sections(run, metrics),
                *_ic_sections(run, metrics), *_quantile_sections(run, metrics), *_sector_sections(run, metrics),
                *_table_sections(run, metrics),
                _figure_section(run, metrics)]
    title = f"Walk-forward report: {run.root.name}"
    atomic_write_text(run.report_md, "\n\n".join([f"# {title}", *(s.md() for s in sections)]) + "\n")
    page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>\n"
            + "\n".join(s.html() for s in sections) + "</body></html>")
    atomic_write_text(run.report_html, page)
    return run.report_html
