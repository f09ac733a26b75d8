"""From a walk-forward to tomorrow's calls: predict with a run's final model, write the calls to a
ledger on two days, score them once later prices exist, and recompute every figure from the file."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from stgnn.cli import main as stgnn_main
from stgnn.config import LabelConfig, parse_config
from stgnn.data.labels import make_labels
from stgnn.data.sources import load_panel
from stgnn.ledger import COLUMNS, PENDING, SCORED_NOW
from stgnn.training.metrics import PREDICTION_COLUMNS, call_hit_rate, prediction_metrics

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "walk_forward_optimization.py"
# tests/walkforward/test_runner.py's TINY_FLAGS, cut to two folds of one trial, two seeds, one baseline.
FLAGS = ["--source", "synthetic", "--epochs", "2", "--window", "10", "--hidden", "8", "--k", "4",
         "--train-days", "300", "--val-days", "60", "--test-days", "60", "--folds", "2", "--n-boot", "50",
         "--baselines", "majority", "--seeds", "2", "--grid", '{"loss.focal_gamma": [2.0]}']


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("wf") / "run"
    spec = importlib.util.spec_from_file_location("walk_forward_script", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main([*FLAGS, "--run-dir", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def dates():
    return load_panel(parse_config({"data": {"source": "synthetic"}}).data).dates.strftime("%Y-%m-%d")


def test_run_keeps_a_model_per_fold_and_a_final_one(run_dir):
    final = json.loads((run_dir / "final.json").read_text())
    folds = pd.read_csv(run_dir / "folds.csv")
    assert final["split"]["val"]["first"] > folds["val_end"].iloc[-1]  # the latest window, past the last fold's
    assert "test" not in final["split"] and final["n_seeds"] == 2
    for path in [run_dir / "model.pt", *(run_dir / "folds").glob("fold_*/model.pt")]:
        ckpt = torch.load(path, weights_only=True)
        assert len(ckpt["state_dicts"]) == 2 and ckpt["thresholds"] is not None
    assert len(list((run_dir / "folds").glob("fold_*/model.pt"))) == 2


def test_a_fold_checkpoint_reproduces_its_test_predictions(run_dir, capsys, tmp_path):
    """The two seeds' mean probabilities and the fold's thresholds, on a panel that ends on a test day."""
    oos = pd.read_csv(run_dir / "oos_predictions.csv")
    day = oos.loc[oos["fold"] == 1, "date"].iloc[5]
    out = tmp_path / "calls.csv"
    code = stgnn_main(["predict", "--checkpoint", str(run_dir / "folds" / "fold_01" / "model.pt"),
                       "--end", day, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
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
        code = stgnn_main(["predict", "--run-dir", str(run_dir), "--end", day, "--ledger", str(ledger)])
        err = capsys.readouterr().err
        assert code == 0, err
    final = json.loads((run_dir / "final.json").read_text())
    assert f"calls made on {second}" in err and "horizon 1 day(s)" in err
    assert f"trained on {final['split']['train']['first']} to {final['split']['train']['last']}" in err
    intervals = metrics["intervals"]["stgnn"]
    assert f"macro-F1 {intervals['macro_f1']['value']:.4f} [{intervals['macro_f1']['lo']:.4f}," in err
    assert "Rank IC" in err

    rows = pd.read_csv(ledger, keep_default_na=False, na_values={"label": [""], "fwd_return": [""]})
    assert list(rows.columns) == list(COLUMNS) and len(rows) == 40
    assert sorted(rows["date"].unique()) == [first, second] and rows["model_id"].nunique() == 1
    assert rows["label"].isna().all() and set(rows["run_dir"]) == {str(run_dir.resolve())}

    # Prices up to the second day: the first day's calls are scored, the second day's wait.
    code = stgnn_main(["ledger", "score", str(ledger), "--source", "synthetic", "--end", second,
                       "--out", str(tmp_path / "early.json")])
    assert code == 0, capsys.readouterr().err
    early = json.loads((tmp_path / "early.json").read_text())
    assert (early[SCORED_NOW], early[PENDING]) == (20, 20)

    code = stgnn_main(["ledger", "score", str(ledger), "--source", "synthetic", "--out", str(tmp_path / "late.json")])
    out = capsys.readouterr().out
    assert code == 0
    report = json.loads((tmp_path / "late.json").read_text())
    assert (report["scored_before"], report[SCORED_NOW], report[PENDING], report["unpriced"]) == (20, 20, 0, 0)
    assert "macro-F1" in out and "directional hit rate" in out

    # Every figure recomputes from the ledger file: outcomes by the label rule, then the metrics.
    scored = pd.read_csv(ledger, keep_default_na=False)
    close = load_panel(parse_config({"data": {"source": "synthetic"}}).data).close
    labels = make_labels(close, LabelConfig(horizon=1))
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


def test_a_sector_relative_rule_is_scored_with_its_sectors(dates, tmp_path):
    """Each row carries its model's label rule, the sector file included: the ledger's outcomes are
    make_labels' on the scoring panel with those sectors, the forward return the raw one."""
    from stgnn.data.graph import read_sectors
    from stgnn.ledger import append_calls, ledger_rows, read_ledger, score_ledger

    panel = load_panel(parse_config({"data": {"source": "synthetic"}}).data)
    sector_file = tmp_path / "sectors.csv"
    pd.DataFrame({"ticker": panel.tickers, "sector": [f"S{i % 3}" for i in range(len(panel.tickers))]}).to_csv(
        sector_file, index=False)
    config = parse_config({"data": {"source": "synthetic"}, "graph": {"sector_file": str(sector_file)},
                           "labels": {"horizon": 2, "relative_to": "sector"}})
    proba = np.full((len(panel.tickers), 3), 1 / 3)
    calls = pd.DataFrame({"date": dates[-10], "ticker": panel.tickers, "p_down": proba[:, 0], "p_none": proba[:, 1],
                          "p_up": proba[:, 2], "pred": 1, "call": "None"})
    append_calls(tmp_path / "ledger.csv", ledger_rows(calls, "m", config))
    scored, state = score_ledger(read_ledger(tmp_path / "ledger.csv"), panel)
    assert (state == SCORED_NOW).all()
    labels = make_labels(panel.close, config.labels, sectors=read_sectors(sector_file))
    raw = make_labels(panel.close, config.labels.model_copy(update={"relative_to": "none"}))
    day = len(dates) - 10
    assert (scored["label"].to_numpy() == labels.y[day]).all()
    assert (labels.y[day] != raw.y[day]).any()  # the rule matters here
    np.testing.assert_allclose(scored["fwd_return"], labels.fwd_return[day])


def _one_line_error(capsys, code, message):
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_a_missing_run_dir_is_one_line(tmp_path, capsys):
    code = stgnn_main(["predict", "--run-dir", str(tmp_path / "nope")])
    _one_line_error(capsys, code, "does not exist")


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
    assert stgnn_main(["predict", "--run-dir", str(run_dir), "--end", dates[-3], "--ledger", str(path)]) == 0
    rows = pd.read_csv(path, keep_default_na=False)
    rows.loc[0, "p_up"] = 1.5
    rows.to_csv(path, index=False)
    capsys.readouterr()
    code = stgnn_main(["ledger", "score", str(path), "--source", "synthetic"])
    _one_line_error(capsys, code, "probabilities in [0, 1]")
