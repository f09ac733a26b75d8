"""The walk-forward report: ``report.md`` and a self-contained ``report.html`` (images embedded).

Built only from what the run directory holds (metrics.json, folds.csv, equity.csv), so a report
can be rebuilt from a finished run without training anything.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from stgnn.io import atomic_write_text
from stgnn.reporting import plots

HEADLINE = ("macro_f1", "mcc", "balanced_accuracy", "auroc_down", "auroc_up", "auc_pr_down", "auc_pr_up",
            "auroc_move", "auroc_direction", "rank_ic", "hits_at_k")


def _interval(c: dict) -> str:
    """``+0.0123 [-0.0040, +0.0290]``; n/a where a metric is undefined (metrics.json holds null)."""
    if any(c.get(k) is None for k in ("diff", "lo", "hi")):
        return "n/a"
    return f"{c['diff']:+.4f} [{c['lo']:+.4f}, {c['hi']:+.4f}]"


def markdown_table(frame: pd.DataFrame, floatfmt: str = "{:.4f}") -> str:
    """A Markdown table without extra dependencies; missing values read n/a."""
    cols = [str(c) for c in frame.columns]
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        cells = ["n/a" if v is None or (isinstance(v, float) and v != v) else
                 f"{v:.0f}" if isinstance(v, float) and v.is_integer() and abs(v) >= 2 else
                 floatfmt.format(v) if isinstance(v, float) else str(v) for v in row]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _figures(run_dir: Path, metrics: dict) -> dict[str, Path]:
    fig_dir = run_dir / "figures"
    figs = {}
    equity_file = run_dir / "equity.csv"
    if equity_file.is_file():
        equity = pd.read_csv(equity_file, index_col=0)
        figs["Equity curves (long Up, short Down, after costs)"] = plots.plot_equity_curves(
            {c: equity[c] for c in equity.columns}, fig_dir / "equity.png", title="Out-of-sample equity")
    years = pd.DataFrame(metrics["per_year"]).T
    figs["Metrics per calendar year"] = plots.plot_metric_over_time(
        years, fig_dir / "per_year.png", metrics=["macro_f1", "auroc_move", "auroc_direction", "rank_ic"],
        title="Out-of-sample metrics per year")
    figs["Confusion matrix (tuned thresholds)"] = plots.plot_confusion_matrix(
        metrics["oos"]["confusion_matrix"], fig_dir / "confusion_matrix.png", title="Out-of-sample confusion matrix")
    diffs = pd.DataFrame([{"baseline": name, **c["macro_f1"]} for name, c in metrics["comparisons"].items()])
    if len(diffs):
        figs["STGNN minus each baseline, macro-F1, 95% block-bootstrap CI"] = plots.plot_bar_with_ci(
            diffs, fig_dir / "comparisons.png", label="baseline", value="diff", lo="lo", hi="hi",
            title="STGNN - baseline (macro-F1)")
    return figs


def _sections(run_dir: Path, metrics: dict) -> list[tuple[str, str]]:
    folds = pd.read_csv(run_dir / "folds.csv")
    chosen = pd.DataFrame([{"fold": f["fold"], **{k: str(v) for k, v in f["chosen"].items()},
                            "seconds": f["seconds"], "alarms": len(f["alarms"])} for f in metrics["folds"]])
    models = {"stgnn": metrics["oos"], **metrics["baselines"]}
    table = pd.DataFrame({name: {k: m[k] for k in HEADLINE} for name, m in models.items()}).T
    table.insert(0, "model", table.index)
    comp = pd.DataFrame([
        {"baseline": name, **{f"{k} diff [95% CI]": _interval(c[k]) for k in ("macro_f1", "mcc", "rank_ic")}}
        for name, c in metrics["comparisons"].items()])
    skill = pd.DataFrame({"stgnn": metrics["skill"], **metrics["baseline_skill"]}).T
    skill.insert(0, "model", skill.index)
    portfolios = {"long Up / short Down": metrics["backtest"]["strategy"],
                  "equal-weight universe": metrics["backtest"]["equal_weight"]}
    backtest = pd.DataFrame(portfolios).T
    backtest.insert(0, "portfolio", backtest.index)
    imbalance = "\n\n".join(
        f"**Fold {f['fold']}**\n\n" + markdown_table(pd.DataFrame(
            {k: v for k, v in f["imbalance"].items() if isinstance(v, dict)}).T.reset_index(names="mechanism"), "{:.3f}")
        for f in metrics["folds"])
    sections = [
        ("Folds", markdown_table(folds)),
        ("Chosen hyperparameters (tuned on each fold's validation window)", markdown_table(chosen)),
        ("Out-of-sample metrics beside the baselines (same folds, same rows)", markdown_table(table)),
        ("Differences from each baseline", markdown_table(comp) if len(comp) else "no baselines"),
        ("Move detection versus direction", "Most skill on daily prices is volatility timing. `move_auroc`: "
         "Up-or-Down vs None from p_up + p_down; `direction_auroc`: Up vs Down among rows that moved.\n\n"
         + markdown_table(skill)),
        (f"Backtest (equal weight per side, rebalanced every {metrics['backtest']['horizon']} day(s), "
         f"{metrics['backtest']['cost_bps']:g} bps costs)", markdown_table(backtest)),
        ("Imbalance handling per fold", imbalance),
    ]
    seeds = metrics.get("seeds", {})
    if seeds.get("n_seeds", 1) > 1:
        spread = pd.DataFrame({k: v for k, v in seeds.items() if isinstance(v, dict)}).T.reset_index(names="metric")
        sections.insert(3, (f"Seeds: {seeds['n_seeds']} models per fold (test, argmax), mean and spread across seeds",
                            markdown_table(spread)))
    return sections


def write_report(result) -> Path:
    """Write report.md and report.html into the run directory; returns the HTML path."""
    run_dir = Path(result.run_dir)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    sections = _sections(run_dir, metrics)
    figs = _figures(run_dir, metrics)
    title = f"Walk-forward report: {run_dir.name}"
    md = [f"# {title}", ""]
    for head, body in sections:
        md += [f"## {head}", "", body, ""]
    md += ["## Figures", ""] + [f"![{caption}](figures/{path.name})\n" for caption, path in figs.items()]
    atomic_write_text(run_dir / "report.md", "\n".join(md))
    body = [f"<h1>{html.escape(title)}</h1>"]
    for head, text in sections:
        body.append(f"<h2>{html.escape(head)}</h2>{_md_to_html(text)}")
    for caption, path in figs.items():
        body.append(f"<h3>{html.escape(caption)}</h3><img src='{plots.png_data_uri(path)}' alt='{html.escape(caption)}'>")
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(title) + "</title><style>"
            "body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;font-size:13px}"
            "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}img{max-width:100%}</style></head><body>"
            + "\n".join(body) + "</body></html>")
    atomic_write_text(run_dir / "report.html", page)
    return run_dir / "report.html"


def _md_to_html(text: str) -> str:
    """Markdown tables and paragraphs of this report as HTML."""
    out, table = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            if not line.startswith("|---"):
                table.append([c.strip() for c in line.strip("|").split("|")])
            continue
        if table:
            head, *rows = table
            out.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>"
                       + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
                       + "</table>")
            table = []
        if line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    return "\n".join(out)
