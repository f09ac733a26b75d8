"""The walk-forward report from a hand-built run directory: the verdict on top, one self-contained HTML file."""

from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from stgnn.cli import main
from stgnn.evaluation.metrics import prediction_metrics
from stgnn.reporting.report import AHEAD, NO_DIFFERENCE, UNDEFINED, verdict, write_report
from stgnn.runs import RunDir
from stgnn.walkforward.folds import FOLD_COLUMNS

GRAPH = "Does the graph help (STGNN vs temporal-only)?"


def interval(value, lo, hi, key="value"):
    return {key: value, "lo": lo, "hi": hi, "n_boot": 200, "block_days": 10}


def predictions(rng, n_days=40, n_tickers=6):
    dates = pd.bdate_range("2020-12-01", periods=n_days).strftime("%Y-%m-%d")
    proba = rng.dirichlet([1, 1, 1], size=n_days * n_tickers)
    return pd.DataFrame({
        "date": np.repeat(dates, n_tickers), "ticker": np.tile([f"T{i}" for i in range(n_tickers)], n_days),
        "p_down": proba[:, 0], "p_none": proba[:, 1], "p_up": proba[:, 2], "pred": proba.argmax(axis=1),
        "label": rng.integers(0, 3, size=len(proba)), "fwd_return": rng.normal(0, 0.01, size=len(proba))})


def portfolio(**extra):
    return {"annual_return": 0.04, "annual_volatility": 0.1, "sharpe": 0.4, "max_drawdown": -0.08,
            "avg_turnover": 0.9, "hit_rate": 0.52, "total_return": 0.01, "n_periods": 40, **extra}


def run_metrics(rng, n_seeds):
    """metrics.json of a run: STGNN beats volatility (interval above 0), the graph shows no difference."""
    oos = prediction_metrics(predictions(rng))
    base = prediction_metrics(predictions(rng))
    skill = {"auroc_move": 0.55, "auroc_direction": 0.53, "directional_hit_rate": 0.51, "n_calls": 120,
             "rank_ic": 0.01}
    imbalance = {"loss": "focal", "gamma": 2.0, "smote_note": "off",
                 "class_weights": {"Down": 1.4, "None": 0.5, "Up": 1.3},
                 "loss_share": {"Down": 0.3, "None": 0.4, "Up": 0.3}}
    return {
        "oos": oos, "baselines": {"volatility": base, "stgnn_no_graph": base},
        "skill": skill, "baseline_skill": {"volatility": skill, "stgnn_no_graph": skill},
        "per_year": {"2020": oos, "2021": oos},
        "comparisons": {
            "volatility": {"macro_f1": interval(0.021, 0.004, 0.038, "diff"),
                           "mcc": interval(0.01, -0.01, 0.03, "diff"), "rank_ic": interval(None, None, None, "diff")},
            "stgnn_no_graph": {k: interval(-0.009, -0.028, 0.011, "diff") for k in ("macro_f1", "mcc", "rank_ic")}},
        "intervals": {"stgnn": {"macro_f1": interval(0.36, 0.34, 0.38), "rank_ic": interval(None, None, None),
                                "auroc_direction": interval(0.53, 0.51, 0.55)},
                      "volatility": {"macro_f1": interval(0.34, 0.32, 0.36)}},
        "backtest": {"book": "dollar_neutral", "rank_quantile": 0.1, "horizon": 1, "cost_bps": 5.0,
                     "periods_per_year": 252.0, "n_untradeable": 0,
                     "strategy": portfolio(call_hit_rate=0.51, n_calls=120, beta=0.1, alpha_annual=-0.02, intervals={
                         "sharpe": interval(0.4, -0.5, 1.3), "annual_return": interval(0.04, -0.05, 0.13),
                         "alpha": interval(-0.02, -0.09, -0.001)}),
                     "rank": portfolio(beta=0.02, alpha_annual=0.03, intervals={
                         "sharpe": interval(0.7, 0.1, 1.3), "annual_return": interval(0.03, 0.0, 0.06),
                         "alpha": interval(0.03, 0.001, 0.06)}),
                     "equal_weight": portfolio(intervals={"sharpe": interval(0.4, -0.5, 1.3),
                                                          "annual_return": interval(0.04, -0.05, 0.13)})},
        "bootstrap": {"n_boot": 200, "block_days": 10, "block_days_requested": 10, "scheme": "circular day blocks"},
        "folds": [{"fold": i, "chosen": {"loss.focal_gamma": 2.0}, "seconds": 3.0, "alarms": [],
                   "baselines": {"majority": {"C": None, "window": 1},
                                 "logistic": {"C": 0.1, "window": 20},
                                 "stgnn_no_graph": {"chosen": {"loss.focal_gamma": 1.0}, "n_seeds": 3}},
                   "imbalance": imbalance} for i in range(2)],
        "data": {"source": "sp500 (bundled)", "n_tickers": 500, "universe": "every ticker while it has prices",
                 "caveats": ["survivorship: the tickers are the members of February 2018."],
                 "labels": "horizon 1 day(s), theta 0.018, on the forward return minus its sector's equal-weight return"},
        "seeds": {"n_seeds": n_seeds, **{k: {"mean": 0.3, "std_across_seeds": 0.004 if n_seeds > 1 else 0.0}
                                         for k in ("macro_f1", "mcc", "auroc_direction", "rank_ic")}},
    }


def write_run(run_dir, metrics):
    RunDir(run_dir).write_metrics(metrics)
    dates = ["2020-01-01", "2020-06-30", "2020-07-01", "2020-09-30", "2020-10-01", "2020-12-31"]
    pd.DataFrame([[i, *dates, 120, 60, 60] for i in range(2)], columns=FOLD_COLUMNS).to_csv(run_dir / "folds.csv",
                                                                                             index=False)
    dates = pd.bdate_range("2020-12-01", periods=40).strftime("%Y-%m-%d")
    pd.DataFrame({"stgnn long/short": np.linspace(1, 1.02, 40), "equal weight": np.linspace(1, 1.01, 40)},
                 index=dates).to_csv(run_dir / "equity.csv")
    return write_report(run_dir)


class Page(HTMLParser):
    """The body as a flat list of ``<tag>`` and text events, the verdict's items, images and styles."""

    def __init__(self, text):
        super().__init__()
        self.body, self.items, self.images, self.styles, self._item, self._in_body = [], [], [], 0, None, False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self.styles += 1
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag == "li":
            self._item = []
        self._in_body = self._in_body or tag == "body"
        if self._in_body:
            self.body.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag == "li":
            self.items.append("".join(self._item))
            self._item = None

    def handle_data(self, data):
        if self._item is not None:
            self._item.append(data)
        if self._in_body and data.strip():
            self.body.append(data.strip())


@pytest.fixture
def page(tmp_path, rng):
    path = write_run(tmp_path, run_metrics(rng, n_seeds=3))
    return path.read_text(), Page(path.read_text())


def test_verdict_comes_first_and_says_whether_each_interval_excludes_its_null(page, tmp_path):
    text, parsed = page
    title = f"Walk-forward report: {tmp_path.name}"
    assert parsed.body[:6] == ["<body>", "<h1>", title, "<section>", "<h2>", "Verdict"]
    beat, graph, ahead, direction, alpha = parsed.items
    assert beat.startswith("Does the STGNN beat trailing volatility?")
    assert "+0.0210 [+0.0040, +0.0380], seed spread ±0.0040: better (the interval excludes 0)" in beat
    assert graph.startswith(GRAPH) and f"-0.0090 [-0.0280, +0.0110], seed spread ±0.0040: {NO_DIFFERENCE}" in graph
    assert ahead.startswith("Does any baseline beat the STGNN? no: no baseline's interval")
    assert f"rank IC {UNDEFINED}" in direction
    assert "+0.5300 [+0.5100, +0.5500], seed spread ±0.0040: above chance (the interval excludes 0.5)" in direction
    assert ("annual alpha -2.0%/yr [-9.0%/yr, -0.1%/yr]: no, negative alpha (the interval excludes 0)" in alpha
            and "seed spread" not in alpha)
    assert "blocks of 10 days" in text and "--seeds N" not in text


def test_html_is_self_contained_without_raw_markdown(page, tmp_path):
    text, parsed = page
    assert len(parsed.images) == 6 and all(src.startswith("data:image/png;base64,") for src in parsed.images)
    assert "**" not in text and "|---" not in text and "`" not in text
    assert parsed.styles == 1
    equity, first_table = parsed.body.index("<img>"), parsed.body.index("<table>")
    assert parsed.body.index("Verdict") < equity < first_table
    folds = [i for i, e in enumerate(parsed.body) if e == "<h3>"]
    assert [parsed.body[i + 1] for i in folds] == ["Fold 0", "Fold 1"]
    md = (tmp_path / "report.md").read_text()
    assert "- **Does the STGNN beat trailing volatility?**" in md and "### Fold 1" in md


def test_every_figure_has_a_caption_and_the_forests_come_before_the_tables_they_fold(page):
    _, parsed = page
    body = parsed.body
    figures = [i for i, e in enumerate(body) if e == "<figure>"]
    captions = [body[body.index("<figcaption>", i) + 1] for i in figures]
    assert len(captions) == len(parsed.images) == 6
    assert [c.split(" ", 1)[0] for c in captions] == ["Out-of-sample", "Monthly", "Out-of-sample", "The", "Metrics",
                                                     "Confusion"]
    assert "drawdown" in captions[0] and "stgnn long/short" in captions[1]
    assert "no skill" in captions[2] and "paired on the same rows" in captions[3]
    assert all("metrics.json" in c for c in captions[2:4])
    # Each forest's table is folded right below it, and no other table comes before the forests.
    for figure, summary in zip(figures[2:4], ["the intervals as a table", "the differences as a table"]):
        assert body[body.index("<details>", figure):].index("<table>") == 3  # details, summary, its text, the table
        assert body[body.index("<summary>", figure) + 1] == summary
    assert body.index("<table>") > figures[2]


def test_rank_ic_over_time_by_month_and_per_fold_are_drawn_from_the_stitched_predictions(tmp_path, rng):
    run = RunDir(tmp_path)
    run.oos("volatility").parent.mkdir()
    for name in ("stgnn", "volatility", "stgnn_no_graph"):
        frame = predictions(rng, n_days=60, n_tickers=8)
        frame.assign(fold=np.repeat([0, 1], len(frame) // 2)).to_csv(run.oos(name), index=False)
    parsed = Page(write_run(tmp_path, run_metrics(rng, n_seeds=1)).read_text())
    body = parsed.body
    section = body.index("Rank IC over time")
    captions = [body[i + 1] for i, e in enumerate(body) if e == "<figcaption>" and i > section][:3]
    assert captions[0].startswith("Cumulative daily Rank IC of every model")
    assert "by month and year" in captions[1] and "per walk-forward fold" in captions[2]
    assert section < body.index("Folds")  # before the tables
    assert {p.name for p in run.root.joinpath("figures").iterdir()} >= {"ic_over_time.png", "ic_by_month.png",
                                                                         "ic_per_fold.png", "quantile_returns.png"}
    quintiles = body[body.index("<figcaption>", body.index("Returns by score quintile")) + 1]
    assert "demeaned" in quintiles and "blocks of 10 days" in quintiles and "before costs" in quintiles


def test_each_sector_is_scored_on_its_own_rows_with_intervals(tmp_path, rng):
    """Sector A's score ranks its own tickers' returns perfectly, B's is noise, C is too small to show."""
    run = RunDir(tmp_path)
    frame = predictions(rng, n_days=60, n_tickers=14)
    sector = frame["ticker"].str[1:].astype(int).map(lambda i: "A" if i < 6 else "B" if i < 12 else "C")
    planted = np.clip(frame["fwd_return"], -0.03, 0.03) * 5
    frame.loc[sector == "A", "p_up"] = 0.4 + planted
    frame.loc[sector == "A", "p_down"] = 0.4 - planted
    frame.loc[sector == "A", "p_none"] = 0.2
    frame.assign(fold=0).to_csv(run.oos("stgnn"), index=False)
    pd.DataFrame({"ticker": frame["ticker"].unique(), "sector": sector.unique().repeat([6, 6, 2])}).to_csv(
        run.sectors, index=False)
    parsed = Page(write_run(tmp_path, run_metrics(rng, n_seeds=1)).read_text())
    body = parsed.body
    section = body.index("Per sector")
    assert body.index("Returns by score quintile") < section < body.index("Folds")
    caption = body[body.index("<figcaption>", section) + 1]
    assert "within their sector" in caption and "sectors.csv" in caption
    cells = [e for e in body[body.index("<table>", section):] if not e.startswith("<")]
    rows = [cells[i:i + 3] for i, e in enumerate(cells) if e in ("A (6)", "B (6)", "C (2)")]
    assert [r[0] for r in rows] == ["A (6)", "B (6)"]  # C has fewer than MIN_SECTOR_TICKERS
    assert rows[0][2].startswith("+1.0000 [+1.0000, +1.0000]")  # within A, the score is the return's rank
    assert not rows[1][2].startswith("+1.0000")
    assert run.figure("sectors").is_file()


def test_stgnn_report_rebuilds_a_runs_report_from_its_directory(tmp_path, rng, capsys):
    run = RunDir(tmp_path / "run")
    run.root.mkdir()
    first = write_run(run.root, run_metrics(rng, n_seeds=1)).read_text()
    run.report_html.unlink()
    assert main(["report", str(run.root)]) == 0
    assert run.report_html.read_text() == first and f"report: {run.report_html}" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a finished run directory" in err[0]


def test_one_seed_says_once_that_seed_noise_is_not_measured(tmp_path, rng):
    text = write_run(tmp_path, run_metrics(rng, n_seeds=1)).read_text()
    assert text.count("pass --seeds N") == 1 and "seed spread ±" not in text


def test_verdict_skips_absent_questions_and_reads_undefined_numbers_honestly():
    metrics = {"comparisons": {"volatility": {"macro_f1": interval(-0.03, -0.05, -0.01, "diff")}},
               "intervals": {"stgnn": {"rank_ic": interval(0.02, -0.01, 0.05),
                                       "auroc_direction": interval(float("nan"), 0.4, 0.6)}},
               "backtest": {"strategy": {}}, "seeds": {"n_seeds": 1}}
    beat, ahead, rank_ic, direction = verdict(metrics)
    assert (beat.metric, beat.estimate, beat.lo, beat.hi, beat.null) == ("macro-F1, STGNN minus volatility",
                                                                         -0.03, -0.05, -0.01, 0.0)
    assert (beat.answer, beat.excludes_null, beat.seed_std) == ("worse", True, None)
    assert (ahead.question, ahead.answer) == (AHEAD, "volatility is better")
    assert (rank_ic.answer, rank_ic.excludes_null) == (NO_DIFFERENCE, False)
    assert (direction.null, direction.answer, direction.excludes_null) == (0.5, UNDEFINED, None)
    assert verdict({"comparisons": {}, "backtest": {"strategy": {}}}) == []


def test_verdict_carries_the_seed_spread_of_its_metric():
    metrics = {"comparisons": {"stgnn_no_graph": {"macro_f1": interval(0.02, 0.01, 0.03, "diff")}},
               "seeds": {"n_seeds": 3, "macro_f1": {"mean": 0.3, "std_across_seeds": 0.006}}}
    graph, ahead = verdict(metrics)
    assert (graph.question, graph.answer, graph.seed_std) == (GRAPH, "better", 0.006)
    assert ahead.answer.startswith("no:") and ahead.estimate is None


def test_baseline_settings_chosen_on_validation_are_reported(page, tmp_path):
    html_text, _ = page
    assert "C=0.1, window=20 day(s)" in html_text and "loss.focal_gamma=1.0; 3 seed(s)" in html_text
    assert "| 1 | majority | no setting to tune |" in (tmp_path / "report.md").read_text()


def test_verdict_states_the_universe_and_its_caveats(page):
    html_text, _ = page
    verdict = html_text.split("</section>")[0]
    assert "universe: every ticker while it has prices" in verdict
    assert "Caveat: survivorship: the tickers are the members of February 2018." in verdict


def test_report_says_which_return_the_directional_figures_score(page):
    html_text, _ = page
    assert "score the return the labels were cut from (horizon 1 day(s), theta 0.018, on the forward return" in html_text


def test_backtest_table_has_a_row_for_the_rank_book(page, tmp_path, rng):
    md = (tmp_path / "report.md").read_text()
    table = md[md.index("## Backtest"):].split("\n\n")[1].splitlines()
    rank_label = "rank book, top/bottom decile by p_up - p_down"
    assert [row.split(" | ")[0] for row in table[2:]] == [f"| {label}" for label in (
        "long Up / short Down", rank_label, "equal-weight universe")]
    rank = table[3]
    assert "+0.70 [+0.10, +1.30]" in rank and "+3.0%/yr [+0.1%/yr, +6.0%/yr]" in rank  # Sharpe and alpha intervals
    assert "| 40 |" in rank  # n_periods, a count
    assert "rank book, top/bottom decile by p_up - p_down" in page[0]
    # a run from before the rank book: no row
    older = run_metrics(rng, n_seeds=1)
    del older["backtest"]["rank"], older["backtest"]["rank_quantile"]
    write_run(tmp_path, older)
    assert "rank book" not in (tmp_path / "report.md").read_text()


def test_verdict_names_every_baseline_detectably_ahead_on_each_metric_it_judges_by(tmp_path, rng):
    """Planted: logistic ahead on macro-F1 (the issue's figures), momentum on Rank IC only, volatility
    within noise, majority behind; the Bayes reference ahead on both is a reference, not a baseline."""
    metrics = run_metrics(rng, n_seeds=1)
    same = interval(0.001, -0.01, 0.012, "diff")
    metrics["comparisons"] = {
        "majority": {"macro_f1": interval(0.13, 0.11, 0.15, "diff"), "mcc": same, "rank_ic": same},
        "volatility": {"macro_f1": same, "mcc": same, "rank_ic": same},
        "logistic": {"macro_f1": interval(-0.0345, -0.0618, -0.0131, "diff"), "mcc": same, "rank_ic": same},
        "momentum": {"macro_f1": same, "mcc": interval(-0.03, -0.05, -0.01, "diff"),
                     "rank_ic": interval(-0.012, -0.02, -0.004, "diff")},
        "bayes": {k: interval(-0.05, -0.07, -0.03, "diff") for k in ("macro_f1", "mcc", "rank_ic")},
    }
    ahead = [f for f in verdict(metrics) if f.question == AHEAD]
    assert [(f.metric, f.answer) for f in ahead] == [("macro-F1, STGNN minus logistic", "logistic is better"),
                                                     ("Rank IC, STGNN minus momentum", "momentum is better")]
    items = Page(write_run(tmp_path, metrics).read_text()).items
    (named,) = [i for i in items if i.startswith(AHEAD)]
    assert "macro-F1, STGNN minus logistic -0.0345 [-0.0618, -0.0131]: logistic is better" in named
    assert "Rank IC, STGNN minus momentum -0.0120 [-0.0200, -0.0040]: momentum is better" in named
    assert "bayes" not in named and "volatility" not in named and "majority" not in named
    (best,) = [i for i in items if i.startswith("How far is the STGNN from the best possible")]
    assert "macro-F1, STGNN minus Bayes -0.0500 [-0.0700, -0.0300]: short of it" in best
