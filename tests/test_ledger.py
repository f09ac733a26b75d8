"""From a walk-forward to tomorrow's calls: predict with a run's final model, write the calls to a
ledger on two days, score them once later prices exist, and recompute every figure from the file.

The walk-forward reads the synthetic market to ``END``, a few days before its last date, so that
the final model has days after its own windows to make live calls on."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from stgnn.classes import DOWN, NONE, UP
from stgnn.cli import main as stgnn_main
from stgnn.config import LabelConfig, parse_config
from stgnn.data.dataset import traded_labels
from stgnn.data.panel import build_panel
from stgnn.data.sources import load_panel
from stgnn.evaluation.metrics import PREDICTION_COLUMNS, call_hit_rate, prediction_metrics
from stgnn.formats import metric
from stgnn.ledger import (COLUMNS, PENDING, SCORED_NOW, UNPRICED, WalkForwardRecord, append_calls, data_source,
                          ledger_rows, live_figures, read_ledger, score_ledger)

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "walk_forward_optimization.py"
# tests/walkforward/test_runner.py's TINY_FLAGS, cut to two folds of one trial, two seeds, one baseline.
FLAGS = ["--source", "synthetic", "--epochs", "2", "--window", "10", "--hidden", "8", "--k", "4",
         "--train-days", "300", "--val-days", "60", "--test-days", "60", "--folds", "2", "--n-boot", "50",
         "--baselines", "majority", "--seeds", "2", "--grid", '{"loss.focal_gamma": [2.0]}']


@pytest.fixture(scope="module")
def dates():
    return load_panel(parse_config({"data": {"source": "synthetic"}}).data).dates.strftime("%Y-%m-%d")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, dates):
    out = tmp_path_factory.mktemp("wf") / "run"
    sectors = out.parent / "sectors.csv"  # two sectors of ten: the report's per-sector figure
    sectors.write_text("ticker,sector\n" + "".join(f"T{i:03d},{'AB'[i % 2]}\n" for i in range(20)))
    spec = importlib.util.spec_from_file_location("walk_forward_script", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main([*FLAGS, "--sector-file", str(sectors), "--end", dates[-15], "--run-dir", str(out)]) == 0
    return out


def test_run_keeps_a_model_per_fold_and_a_final_one(run_dir):
    final = json.loads((run_dir / "final.json").read_text())
    folds = pd.read_csv(run_dir / "folds.csv")
    assert final["split"]["val"]["first"] > folds["val_end"].iloc[-1]  # the latest window, past the last fold's
    assert "test" not in final["split"] and final["n_seeds"] == 2
    for path in [run_dir / "model.pt", *(run_dir / "folds").glob("fold_*/model.pt")]:
        ckpt = torch.load(path, weights_only=True)
        assert len(ckpt["state_dicts"]) == 2 and ckpt["thresholds"] is not None
    assert len(list((run_dir / "folds").glob("fold_*/model.pt"))) == 2
    equity, turnover = (pd.read_csv(run_dir / name, index_col=0) for name in ("equity.csv", "turnover.csv"))
    assert list(turnover.columns) == list(equity.columns) and (turnover.index == equity.index).all()
    assert (turnover.to_numpy() >= 0).all() and turnover.iloc[0].gt(0).all()  # the first rebalance buys the book
    assert pd.read_csv(run_dir / "sectors.csv")["sector"].value_counts().to_dict() == {"A": 10, "B": 10}
    assert "Per sector" in (run_dir / "report.html").read_text()


def test_a_fold_checkpoint_reproduces_its_test_predictions(run_dir, capsys, tmp_path):
    """The two seeds' mean probabilities and the fold's thresholds, on a panel that ends on a test day.
    A call on the fold's own test day is no live call: predict says so, and the ledger marks it."""
    oos = pd.read_csv(run_dir / "oos_predictions.csv")
    day = oos.loc[oos["fold"] == 1, "date"].iloc[5]
    out, ledger = tmp_path / "calls.csv", tmp_path / "ledger.csv"
    code = stgnn_main(["predict", "--checkpoint", str(run_dir / "folds" / "fold_01" / "model.pt"),
                       "--end", day, "--out", str(out), "--ledger", str(ledger)])
    err = capsys.readouterr().err
    assert code == 0, err
    test = json.loads((run_dir / "folds" / "fold_01" / "fold.json").read_text())["split"]["test"]
    assert f"warning: {day} is inside this model's own windows" in err and "not live" in err
    assert f"test {test['first']} to {test['last']}" in err
    assert set(read_ledger(ledger)["live"]) == {"no"}
    calls = pd.read_csv(out, keep_default_na=False).merge(oos[oos["date"] == day], on=["date", "ticker"],
                                                         suffixes=("", "_oos"))
    assert len(calls) == 20
    for column in ("p_down", "p_none", "p_up"):
        np.testing.assert_allclose(calls[column], calls[f"{column}_oos"], atol=1e-5)
    assert (calls["pred"] == calls["pred_oos"]).all()


def test_predict_ledger_and_score(run_dir, dates, capsys, tmp_path):
    ledger, metrics = tmp_path / "ledger.csv", json.loads((run_dir / "metrics.json").read_text())
    first, second = dates[-12], dates[-6]
    for day in (first, second, second):  # the second day twice: its rows are replaced, not added again
        code = stgnn_main(["predict", "--from-run", str(run_dir), "--end", day, "--ledger", str(ledger)])
        err = capsys.readouterr().err
        assert code == 0, err
    final = json.loads((run_dir / "final.json").read_text())
    assert "not live" not in err  # after the final model's windows
    assert f"calls made on {second}" in err and "horizon 1 day(s)" in err
    assert f"trained on {final['split']['train']['first']} to {final['split']['train']['last']}" in err
    intervals = metrics["intervals"]["stgnn"]
    assert f"macro-F1 {metric(intervals['macro_f1']['value'])} [{metric(intervals['macro_f1']['lo'])}," in err
    assert "Rank IC" in err

    rows = pd.read_csv(ledger, keep_default_na=False, na_values={"label": [""], "fwd_return": [""]})
    assert list(rows.columns) == list(COLUMNS) and len(rows) == 40
    assert sorted(rows["date"].unique()) == [first, second] and rows["model_id"].nunique() == 1
    assert rows["label"].isna().all() and set(rows["run_dir"]) == {str(run_dir.resolve())}
    assert set(rows["live"]) == {"yes"} and json.loads(rows["data_source"].iloc[0])["source"] == "synthetic"

    # Prices up to the second day: the first day's calls are scored, the second day's wait.
    code = stgnn_main(["ledger", "score", str(ledger), "--source", "synthetic", "--end", second,
                       "--out", str(tmp_path / "early.json")])
    assert code == 0, capsys.readouterr().err
    early = json.loads((tmp_path / "early.json").read_text())
    assert (early[SCORED_NOW], early[PENDING]) == (20, 20)

    code = stgnn_main(["ledger", "score", str(ledger), "--out", str(tmp_path / "late.json")])  # the rows' source
    out = capsys.readouterr().out
    assert code == 0
    report = json.loads((tmp_path / "late.json").read_text())
    assert (report["scored_before"], report[SCORED_NOW], report[PENDING], report["unpriced"]) == (20, 20, 0, 0)
    assert "macro-F1" in out and "directional hit rate" in out

    # Every figure recomputes from the ledger file: outcomes by the label rule, then the metrics.
    scored = pd.read_csv(ledger, keep_default_na=False)
    panel = load_panel(parse_config({"data": {"source": "synthetic"}}).data)
    close, labels = panel.close, traded_labels(panel, LabelConfig(horizon=1))
    day = close.index.strftime("%Y-%m-%d").get_indexer(scored["date"])
    column = close.columns.get_indexer(scored["ticker"])
    assert (scored["label"] == labels.y[day, column]).all()
    np.testing.assert_allclose(scored["fwd_return"], labels.fwd_return[day, column])
    model = report["models"][0]
    again = prediction_metrics(scored[list(PREDICTION_COLUMNS)])
    hit_rate, n_calls = call_hit_rate(scored["pred"], scored["fwd_return"])
    live = model["live"]
    assert live["n_rows"] == 40 and live["n_days"] == 2 and live["n_calls"] == n_calls
    for name, value in (("macro_f1", again["macro_f1"]), ("rank_ic", again["rank_ic"]),
                        ("directional_hit_rate", hit_rate)):
        np.testing.assert_allclose(live[name], value, atol=1e-12, err_msg=name)
        expected = model["walk_forward"][name]
        where = "below" if value < expected["lo"] else "above" if value > expected["hi"] else "inside"
        assert model["where"][name] == where
    assert model["walk_forward"]["macro_f1"] == metrics["intervals"]["stgnn"]["macro_f1"]
    np.testing.assert_allclose(model["walk_forward"]["directional_hit_rate"]["value"],
                               metrics["skill"]["directional_hit_rate"])


def test_the_hit_rate_interval_counts_labelled_rows_only(run_dir, tmp_path):
    """Test predictions without a label (kept for the backtest's book) are no metric's rows: a losing
    Up call on each of them leaves the walk-forward's hit rate as it was."""
    for name in ("metrics.json", "config.yaml"):
        (tmp_path / name).write_bytes((run_dir / name).read_bytes())
    oos = pd.read_csv(run_dir / "oos_predictions.csv")
    losing = {c: -0.05 for c in ("fwd_return", "target_return") if c in oos.columns}
    unlabelled = oos.assign(ticker=oos["ticker"] + "_X", pred=2, label=pd.NA, **losing)
    pd.concat([oos, unlabelled]).to_csv(tmp_path / "oos_predictions.csv", index=False)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    np.testing.assert_allclose(WalkForwardRecord.load(tmp_path).interval("directional_hit_rate")["value"],
                               metrics["skill"]["directional_hit_rate"])


def _score_toy(close: pd.DataFrame, days: list[int], config, tmp_path):
    """Call every ticker of a toy panel None on each of ``days`` and score the calls on that panel."""
    panel = build_panel({"close": close}, origin="toy", min_history=1)
    n = len(panel.tickers)
    for day in days:
        calls = pd.DataFrame({"date": panel.dates[day].strftime("%Y-%m-%d"), "ticker": panel.tickers,
                              "p_down": [1 / 3] * n, "p_none": [1 / 3] * n, "p_up": [1 / 3] * n, "pred": 1,
                              "call": "None"})
        append_calls(tmp_path / "ledger.csv", ledger_rows(calls, "m", config))
    return score_ledger(read_ledger(tmp_path / "ledger.csv"), panel)


def test_a_sector_relative_rule_is_scored_with_its_sectors(tmp_path):
    """Each row carries its model's label rule, the sector file included. A and B (sector X) rise 5%
    and 1%: 1.94% above and below their sector's mean, Up and Down (raw: Up and None); C, alone in
    Y, falls 3%: an excess of 0, None (raw: Down). The forward return stays the raw one."""
    sector_file = tmp_path / "sectors.csv"
    sector_file.write_text("ticker,sector\nA,X\nB,X\nC,Y\n")
    config = parse_config({"graph": {"sector_file": str(sector_file)},
                           "labels": {"horizon": 1, "threshold": 0.018, "relative_to": "sector"}})
    close = pd.DataFrame({"A": [100.0, 105.0], "B": [100.0, 101.0], "C": [100.0, 97.0]},
                         index=pd.bdate_range("2024-01-01", periods=2))
    scored, state = _score_toy(close, [0], config, tmp_path)
    assert (state == SCORED_NOW).all()
    assert scored["label"].tolist() == [UP, DOWN, NONE]
    np.testing.assert_allclose(scored["fwd_return"], np.log([1.05, 1.01, 0.97]))
    excess = np.log([1.05, 1.01]) - np.log([1.05, 1.01]).mean()
    np.testing.assert_allclose(scored["target_return"], [*excess, 0.0], atol=1e-12)


def test_live_figures_score_the_return_the_label_was_cut_from():
    """A relative rule's live hit rate reads the excess, as the walk-forward's interval does: the
    Up call on a stock that rose less than its peers was wrong."""
    rows = pd.DataFrame({"date": ["2024-01-02"] * 3, "ticker": ["A", "B", "C"], "p_down": [0.1, 0.6, 0.3],
                         "p_none": [0.3] * 3, "p_up": [0.6, 0.1, 0.4], "pred": [UP, DOWN, NONE],
                         "label": [DOWN, UP, NONE], "fwd_return": [0.01, 0.02, 0.05],
                         "target_return": [-0.02, 0.01, 0.02]})
    figures = live_figures(rows)
    assert figures["directional_hit_rate"] == 0.0 and figures["n_calls"] == 2


def test_a_ledger_written_before_target_return_is_upgraded_on_reading(tmp_path):
    """Raw rules' target return is the forward return; a relative rule's scored rows are opened
    again, to be cut against their peers by the next score."""
    config = parse_config({"labels": {"horizon": 1}})
    calls = pd.DataFrame({"date": "2024-01-01", "ticker": ["A", "B"], "p_down": [1 / 3] * 2,
                          "p_none": [1 / 3] * 2, "p_up": [1 / 3] * 2, "pred": 1, "call": "None"})
    rows = ledger_rows(calls, "m", config).assign(label=[1, 1], fwd_return=[0.01, -0.01])
    rows.loc[1, "label_relative_to"] = "universe"
    rows.drop(columns="target_return").to_csv(tmp_path / "old.csv", index=False)
    ledger = read_ledger(tmp_path / "old.csv")
    assert ledger["label"].tolist()[0] == 1 and pd.isna(ledger["label"].tolist()[1])
    assert ledger["target_return"].tolist()[0] == 0.01 and np.isnan(ledger["target_return"].tolist()[1])


def test_a_price_carried_at_t_or_t_plus_h_is_unpriced_not_scored(tmp_path):
    """B halts on day 1 (its price is carried forward) and trades again on day 2: the walk-forward
    has no row for B on day 0 or day 1, so the ledger scores neither. Labelled from the carried
    price, B would be None on a return of 0 on day 0 and Up (+2%) on day 1."""
    close = pd.DataFrame({"A": [100.0, 103.0, 101.0], "B": [50.0, None, 51.0]},
                         index=pd.bdate_range("2024-01-01", periods=3))
    scored, state = _score_toy(close, [0, 1], parse_config({"labels": {"horizon": 1, "threshold": 0.018}}), tmp_path)
    assert scored["ticker"].tolist() == ["A", "B", "A", "B"]
    assert state.tolist() == [SCORED_NOW, UNPRICED, SCORED_NOW, UNPRICED]
    assert scored["label"].tolist() == [UP, pd.NA, DOWN, pd.NA]
    assert scored["fwd_return"].isna().tolist() == [False, True, False, True]


def test_a_delayed_rule_is_scored_from_the_entry_close(tmp_path):
    """With delay 1 the call of day 0 is entered at day 1's close and scored at day 2's: A's jump
    on day 1 is not its to earn. Day 1's call waits for day 3, which the panel lacks: pending."""
    close = pd.DataFrame({"A": [100.0, 110.0, 108.0], "B": [100.0, 100.0, 103.0]},
                         index=pd.bdate_range("2024-01-01", periods=3))
    config = parse_config({"labels": {"horizon": 1, "threshold": 0.018, "delay": 1}})
    scored, state = _score_toy(close, [0, 1], config, tmp_path)
    assert state.tolist() == [SCORED_NOW, SCORED_NOW, PENDING, PENDING]
    assert scored["label"].tolist()[:2] == [DOWN, UP]
    np.testing.assert_allclose(scored["fwd_return"].tolist()[:2], np.log([108 / 110, 1.03]))


def test_a_ledger_written_before_quantile_labels_and_delays_is_read_with_their_defaults(tmp_path):
    calls = pd.DataFrame({"date": "2024-01-01", "ticker": ["A"], "p_down": [1 / 3], "p_none": [1 / 3],
                          "p_up": [1 / 3], "pred": 1, "call": "None"})
    rows = ledger_rows(calls, "m", parse_config({}))
    rows.drop(columns=["label_kind", "label_q", "label_delay"]).to_csv(tmp_path / "old.csv", index=False)
    ledger = read_ledger(tmp_path / "old.csv")
    assert ledger[["label_kind", "label_delay"]].iloc[0].tolist() == ["threshold", 0]


def _one_line_error(capsys, code, message):
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_a_missing_run_dir_is_one_line(tmp_path, capsys):
    code = stgnn_main(["predict", "--from-run", str(tmp_path / "nope")])
    _one_line_error(capsys, code, "does not exist")


def test_run_dir_is_the_old_name_of_from_run(tmp_path, capsys):
    """Scripts written before the rename keep working, and learn the new name."""
    code = stgnn_main(["predict", "--run-dir", str(tmp_path / "nope")])
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and "--run-dir is now --from-run" in err[0] and "does not exist" in err[1]


@pytest.mark.parametrize("text, message", [
    ("", "not a readable csv"),
    ("date,ticker\n2024-01-02,A\n", "missing columns"),
    ("\x00\x01garbage\n", "not a prediction ledger"),
])
def test_a_corrupt_ledger_is_one_line(tmp_path, capsys, text, message):
    path = tmp_path / "ledger.csv"
    path.write_text(text)
    code = stgnn_main(["ledger", "score", str(path), "--source", "synthetic"])
    _one_line_error(capsys, code, message)


def test_a_bad_value_in_the_ledger_is_one_line(run_dir, dates, tmp_path, capsys):
    path = tmp_path / "ledger.csv"
    assert stgnn_main(["predict", "--from-run", str(run_dir), "--end", dates[-3], "--ledger", str(path)]) == 0
    rows = pd.read_csv(path, keep_default_na=False)
    rows.loc[0, "p_up"] = 1.5
    rows.to_csv(path, index=False)
    capsys.readouterr()
    code = stgnn_main(["ledger", "score", str(path), "--source", "synthetic"])
    _one_line_error(capsys, code, "probabilities in [0, 1]")


def _wide_csv(path: Path, close: pd.DataFrame) -> Path:
    close.rename_axis("date").to_csv(path)
    return path


def _calls(day: str, tickers: list[str]) -> pd.DataFrame:
    n = len(tickers)
    return pd.DataFrame({"date": day, "ticker": tickers, "p_down": [1 / 3] * n, "p_none": [1 / 3] * n,
                         "p_up": [1 / 3] * n, "pred": 1, "call": "None"})


def _csv_config(path: Path):
    return parse_config({"data": {"source": "csv", "data_dir": str(path)},
                         "labels": {"horizon": 1, "threshold": 0.018}})


# AAPL +2.96% then -1.96%, MSFT +1.0% then -3.0%, on days the bundled sample prices otherwise.
CSV_CLOSE = pd.DataFrame({"AAPL": [100.0, 103.0, 101.0], "MSFT": [50.0, 50.5, 49.0]},
                         index=pd.bdate_range("2020-01-06", periods=3))
CSV_LABELS = [UP, NONE, DOWN, DOWN]


def test_calls_from_a_csv_are_scored_against_that_csv_by_default(tmp_path, capsys):
    """Each row records the prices its call was made from, and ledger score reads them (it read the
    bundled sample by default, whose AAPL and MSFT moved otherwise those days); another source is
    refused, dates may be narrowed."""
    csv, ledger = _wide_csv(tmp_path / "prices.csv", CSV_CLOSE), tmp_path / "ledger.csv"
    for day in CSV_CLOSE.index[:2].strftime("%Y-%m-%d"):
        append_calls(ledger, ledger_rows(_calls(day, ["AAPL", "MSFT"]), "m", _csv_config(csv)))
    for flags, message in ((["--source", "sample"], "made from csv"),
                           (["--data-dir", str(_wide_csv(tmp_path / "other.csv", CSV_CLOSE))], "other.csv")):
        _one_line_error(capsys, stgnn_main(["ledger", "score", str(ledger), *flags]), message)
    assert stgnn_main(["ledger", "score", str(ledger), "--end", "2020-01-07"]) == 0
    assert read_ledger(ledger)["label"].tolist() == CSV_LABELS[:2] + [pd.NA] * 2
    assert stgnn_main(["ledger", "score", str(ledger)]) == 0
    assert "2 open rows against csv" in capsys.readouterr().out
    assert read_ledger(ledger)["label"].tolist() == CSV_LABELS


def test_rows_of_two_sources_are_each_scored_against_their_own(tmp_path):
    """Two models' calls on the same tickers and day, from two csv files: neither is scored on the
    other's prices."""
    ledger = tmp_path / "ledger.csv"
    falling = 10_000 / CSV_CLOSE  # the log returns negated: AAPL -2.96%, MSFT -1.0% on day 0
    for model, close in (("rising", CSV_CLOSE), ("falling", falling)):
        config = _csv_config(_wide_csv(tmp_path / f"{model}.csv", close))
        append_calls(ledger, ledger_rows(_calls("2020-01-06", ["AAPL", "MSFT"]), model, config))
    assert stgnn_main(["ledger", "score", str(ledger)]) == 0
    labels = read_ledger(ledger).set_index("model_id")["label"]
    assert labels["rising"].tolist() == [UP, NONE] and labels["falling"].tolist() == [DOWN, NONE]


def test_a_ledger_written_before_sources_were_recorded_needs_one_source(tmp_path, capsys):
    """Its open rows name no prices: ledger score asks for the --source they were made from, and
    the rows keep the one given."""
    csv, old = _wide_csv(tmp_path / "prices.csv", CSV_CLOSE), tmp_path / "old.csv"
    config = _csv_config(csv)
    rows = ledger_rows(_calls("2020-01-06", ["AAPL", "MSFT"]), "m", config)
    rows.drop(columns=["data_source", "live"]).to_csv(old, index=False)
    _one_line_error(capsys, stgnn_main(["ledger", "score", str(old)]), "record no data source")
    assert stgnn_main(["ledger", "score", str(old), "--source", "csv", "--data-dir", str(csv)]) == 0
    scored = read_ledger(old)
    assert scored["label"].tolist() == CSV_LABELS[:2] and set(scored["data_source"]) == {data_source(config.data)}
    assert set(scored["live"]) == {""}


def test_calls_inside_the_models_windows_are_left_out_of_the_live_figures(tmp_path, capsys):
    """A model tested up to day 0 called days 0 and 1: only day 1's calls are live."""
    csv, ledger = _wide_csv(tmp_path / "prices.csv", CSV_CLOSE), tmp_path / "ledger.csv"
    windows = {"train": {"first": "2019-01-02", "last": "2019-12-02"},
               "test": {"first": "2019-12-05", "last": "2020-01-06"}}
    for day in ("2020-01-06", "2020-01-07"):
        append_calls(ledger, ledger_rows(_calls(day, ["AAPL", "MSFT"]), "m", _csv_config(csv), windows=windows))
    assert read_ledger(ledger)["live"].tolist() == ["no", "no", "yes", "yes"]
    assert stgnn_main(["ledger", "score", str(ledger), "--out", str(tmp_path / "report.json")]) == 0
    assert "warning: 2 rows are dated inside the model's own" in capsys.readouterr().out
    model = json.loads((tmp_path / "report.json").read_text())["models"][0]
    assert model["not_live"] == 2 and model["live"]["n_rows"] == 2 and model["live"]["n_days"] == 1
