"""End to end: the train script's run directory, metrics that recompute, predict, and bad input."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from stgnn.classes import CLASS_NAMES
from stgnn.cli import main as stgnn_main
from stgnn.config import load_config
from stgnn.data.sources.synthetic import make_market
from stgnn.evaluation.metrics import prediction_metrics, proba_of
from stgnn.runs import RunDir
from stgnn.training.run import RunResult, load_data, single_split, summary_lines
from stgnn.training.thresholds import apply_thresholds, argmax_predict, tune_thresholds
from stgnn.training.trainer import predictions_frame

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "train_stgnn_improved.py"
TINY = ["--source", "synthetic", "--epochs", "2", "--window", "10", "--hidden", "8", "--k", "4"]


def _script():
    spec = importlib.util.spec_from_file_location("train_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    assert _script().main([*TINY, "--run-dir", str(out)]) == 0
    return out


def test_run_directory_holds_everything(run_dir):
    expected = {"config.yaml", "train.log", "metrics.json", "val_pred_scores.npz", "optimal_thresholds.json",
                "test_predictions.csv", "model.pt", "graph.json", "history.json", "confusion_matrix.png",
                "pr_curves.png", "training_curves.png"}
    assert expected <= {p.name for p in run_dir.iterdir()}
    assert not list(run_dir.parent.glob(".*partial"))
    frame = pd.read_csv(run_dir / "test_predictions.csv")
    assert list(frame.columns) == ["date", "ticker", "p_down", "p_none", "p_up", "pred", "label", "fwd_return"]
    ckpt = torch.load(run_dir / "model.pt", weights_only=True)
    assert {"state_dict", "config", "loss", "scaler", "graph", "thresholds"} <= set(ckpt)


def test_every_metric_recomputes_from_the_predictions_file(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    frame = pd.read_csv(run_dir / "test_predictions.csv")
    proba = frame[["p_down", "p_none", "p_up"]].to_numpy()
    from stgnn.training.thresholds import DecisionThresholds
    thresholds = DecisionThresholds.load(run_dir / "optimal_thresholds.json")
    assert (apply_thresholds(proba, thresholds) == frame["pred"]).all()
    for name, pred in (("tuned", frame["pred"]), ("argmax", argmax_predict(proba))):
        recomputed = json.loads(json.dumps(prediction_metrics(frame.assign(pred=pred))))
        stored = metrics["test"][name]
        for key in ("macro_f1", "mcc", "balanced_accuracy", "accuracy", "auc_pr_down", "auc_pr_up", "auroc_down",
                    "auroc_up", "mrr", "hits_at_k", "ic", "rank_ic", "per_class", "confusion_matrix"):
            assert key in stored
            np.testing.assert_allclose(np.array(pd.json_normalize(recomputed[key]).values if isinstance(
                recomputed[key], dict) else recomputed[key], dtype=float), np.array(pd.json_normalize(
                stored[key]).values if isinstance(stored[key], dict) else stored[key], dtype=float), atol=1e-4)


def test_predict_scores_the_latest_day(run_dir, capsys, tmp_path):
    out = tmp_path / "calls.csv"
    code = stgnn_main(["predict", "--checkpoint", str(run_dir / "model.pt"), "--out", str(out)])
    assert code == 0
    calls = pd.read_csv(out, keep_default_na=False)  # the class "None" is not NaN
    assert len(calls) == 20 and set(calls["call"]) <= {"Down", "None", "Up"}
    assert (calls["call"] == [CLASS_NAMES[c] for c in calls["pred"]]).all()
    assert calls["date"].nunique() == 1
    np.testing.assert_allclose(calls[["p_down", "p_none", "p_up"]].sum(axis=1), 1.0, atol=1e-5)
    assert "T000" in capsys.readouterr().out


@pytest.mark.parametrize("flags", [[], ["--checkpoint", "model.pt", "--from-run", "runs/x"]])
def test_predict_takes_a_checkpoint_or_a_run(flags, capsys):
    with pytest.raises(SystemExit) as exit_:
        stgnn_main(["predict", *flags])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.strip().splitlines()) == 1 and "--from-run" in err


def test_a_five_ticker_universe_runs_with_k_capped(tmp_path, caplog):
    """The default k = 5 on five tickers: four neighbours each, said in the log and in graph.json."""
    out = tmp_path / "run"
    flags = ["--source", "synthetic", "--tickers", "T000", "T001", "T002", "T003", "T004", "--epochs", "1",
             "--window", "10", "--hidden", "8"]
    assert stgnn_main(["train", *flags, "--run-dir", str(out)]) == 0
    assert json.loads((out / "graph.json").read_text())["k"] == 4
    assert "graph k=5 capped at 4" in caplog.text


@pytest.mark.parametrize("flags, message", [
    (["--epochs", "0"], "training.epochs"),
    (["--focal-gamma", "-1"], "loss.focal_gamma"),
    (["--source", "csv"], "needs data_dir"),
    (["--tickers", "NOPE"], "unknown ticker"),
])
def test_bad_input_is_one_line_and_leaves_no_run_directory(tmp_path, flags, message):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, str(SCRIPT), *TINY, *flags, "--run-dir", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr
    assert not out.exists() and not list(tmp_path.glob(".run*"))


def test_a_synthetic_run_scores_the_exact_posterior_on_its_test_rows(run_dir):
    """The Bayes column: the market's posterior on the same test rows, thresholds tuned on validation."""
    config = load_config(run_dir / "config.yaml")
    data = load_data(config)
    split = single_split(config, data)
    posterior = make_market(config.data.synthetic).posterior(config.labels.horizon, config.labels.threshold)
    val, test = (predictions_frame(data, days, posterior[days]) for days in (split.val, split.test))
    tuned = tune_thresholds(val["label"].to_numpy(), proba_of(val), objective=config.thresholds.objective)
    again = prediction_metrics(test.assign(pred=apply_thresholds(proba_of(test), tuned)))
    metrics = RunDir(run_dir).read_metrics()
    assert len(test) == len(pd.read_csv(run_dir / "test_predictions.csv"))
    for key in ("macro_f1", "rank_ic"):
        assert metrics["bayes"]["test"]["tuned"][key] == pytest.approx(again[key], abs=1e-12)
    lines = summary_lines(RunResult(run_dir, metrics, 1))
    assert lines[0].endswith("bayes test") and "exact posterior" in lines[-2]
