"""Walk-forward end to end on a tiny synthetic market: leakage, resume after SIGKILL (folds and final model),
recomputable metrics."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from stgnn.data.sources.synthetic import make_market
from stgnn.evaluation.metrics import prediction_metrics, proba_of
from stgnn.formats import metric
from stgnn.registry import BAYES
from stgnn.reporting.report import write_report
from stgnn.runs import MODEL, FoldDir, RunDir
from stgnn.training.thresholds import apply_thresholds, tune_thresholds
from stgnn.training.trainer import predictions_frame
from stgnn.walkforward.fold_run import run_fold
from stgnn.walkforward.runner import plan_folds, run_walk_forward, summary_lines

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "walk_forward_optimization.py"
TINY_FLAGS = ["--source", "synthetic", "--epochs", "2", "--window", "10", "--hidden", "8", "--k", "4",
              "--train-days", "300", "--val-days", "60", "--test-days", "60", "--folds", "3", "--n-boot", "50",
              "--baselines", "majority", "volatility", "logistic_graph", "--grid", '{"loss.focal_gamma": [1.0, 2.0]}']


def test_test_prices_do_not_move_the_fold(tiny, tmp_path, poisoned):
    """Every price field rewritten from the fold's first test day on: the chosen trial, the
    thresholds of the model and of each baseline, and every validation score are identical."""
    config, data = tiny
    config = config.updated({"walkforward.baselines": ["majority", "logistic_graph"]})
    splits, _ = plan_folds(config, data)
    split = splits[0]
    a = run_fold(config, data, split, 0, FoldDir(tmp_path / "a"))
    b = run_fold(config, poisoned(config, data.panel, split.test[0]), split, 0, FoldDir(tmp_path / "b"))
    assert a.info["chosen"] == b.info["chosen"]
    assert a.info["thresholds"] == b.info["thresholds"]
    assert a.info["trials"] == b.info["trials"]
    assert a.info["baselines"] == b.info["baselines"]


def test_temporal_only_baseline_gets_the_seeds_and_its_own_search(tiny, tmp_path):
    config, data = tiny
    config = config.updated({"walkforward.baselines": ["stgnn_no_graph", "logistic"], "walkforward.seeds": 2,
                             "walkforward.grid": {"loss.focal_gamma": [0.0, 3.0]}, "walkforward.baseline_C": [0.1, 1.0],
                             "walkforward.baseline_window": "model"})
    split = plan_folds(config, data)[0][0]
    info = run_fold(config, data, split, 0, FoldDir(tmp_path)).info
    no_graph = info["baselines"]["stgnn_no_graph"]
    assert [t["params"] for t in no_graph["trials"]] == [{"loss.focal_gamma": 0.0}, {"loss.focal_gamma": 3.0}]
    assert all(len(t["best_epochs"]) == 2 for t in no_graph["trials"]) and no_graph["n_seeds"] == 2
    best = max(no_graph["trials"], key=lambda t: t["val_score"])
    assert no_graph["chosen"] == best["params"]
    assert info["baselines"]["logistic"]["window"] == config.model.window
    assert info["baselines"]["logistic"]["C"] in (0.1, 1.0)


def test_purge_gaps_hold(tiny):
    config, data = tiny
    for split in plan_folds(config, data)[0]:
        split.check(config.labels.span)
        assert split.val[0] - split.train[-1] > config.labels.horizon
        assert split.test[0] - split.val[-1] > config.labels.horizon


def _run(args, **kw):
    return subprocess.Popen([sys.executable, str(SCRIPT), *TINY_FLAGS, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kw)


def test_kill_and_resume_gives_identical_predictions(tmp_path):
    full = tmp_path / "full"
    proc = _run(["--run-dir", str(full)])
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out

    killed = tmp_path / "killed"
    proc = _run(["--run-dir", str(killed)])
    deadline = time.time() + 600
    while not (killed / "folds" / "fold_00" / "fold.json").exists():  # wait until fold 1 is under way
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.2)
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / "oos_predictions.csv").exists()
    proc = subprocess.run([sys.executable, str(SCRIPT), *TINY_FLAGS, "--resume", str(killed)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pd.testing.assert_frame_equal(pd.read_csv(full / "oos_predictions.csv"),
                                  pd.read_csv(killed / "oos_predictions.csv"))
    # Each fold and the final model keep their checkpoints; the final model is the same after a kill.
    for run in (full, killed):
        assert all(RunDir(run).fold(i).checkpoint.is_file() for i in range(3))
    a, b = (torch.load(run / "model.pt", weights_only=True) for run in (full, killed))
    assert a.keys() == b.keys() and a["thresholds"] == b["thresholds"]
    for name, tensor in a["state_dict"].items():
        torch.testing.assert_close(tensor, b["state_dict"][name], rtol=0, atol=0)
    # A finished final model (and fold) is not fitted again by a second resume.
    final = (killed / "final.json").read_text()
    stamps = {p: p.stat().st_mtime_ns for p in [killed / "model.pt", *killed.glob("folds/*/model.pt")]}
    proc = subprocess.run([sys.executable, str(SCRIPT), *TINY_FLAGS, "--resume", str(killed)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (killed / "final.json").read_text() == final
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps

    # Every out-of-sample metric recomputes from the stitched file.
    metrics = json.loads((full / "metrics.json").read_text())
    frame = pd.read_csv(full / "oos_predictions.csv").drop(columns="fold")
    again = json.loads(json.dumps(prediction_metrics(frame)))
    for key, value in metrics["oos"].items():
        if isinstance(value, float):
            np.testing.assert_allclose(again[key], value, atol=1e-9, err_msg=key)
    for name in ("majority", "volatility", "logistic_graph"):
        base = pd.read_csv(full / "baselines" / f"{name}_oos.csv").drop(columns="fold")
        np.testing.assert_allclose(prediction_metrics(base)["macro_f1"], metrics["baselines"][name]["macro_f1"])
    assert (full / "report.html").stat().st_size > 10_000 and (full / "report.md").exists()


def test_dry_run_and_bad_folds(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), *TINY_FLAGS, "--dry-run"], capture_output=True, text=True)
    assert proc.returncode == 0 and "test_start" in proc.stdout
    proc = subprocess.run([sys.executable, str(SCRIPT), *TINY_FLAGS, "--train-days", "5000", "--dry-run"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def test_optuna_search_tunes_within_the_grid(tiny, tmp_path):
    pytest.importorskip("optuna")
    config, data = tiny
    config = config.updated({"walkforward.search": "optuna", "walkforward.n_trials": 3, "walkforward.baselines": [],
                             "walkforward.grid": {"loss.focal_gamma": [1.0, 2.0, 3.0], "training.lr": [0.001, 0.003]}})
    split = plan_folds(config, data)[0][0]
    outcome = run_fold(config, data, split, 0, FoldDir(tmp_path / "fold"))
    assert len(outcome.info["trials"]) == 3
    assert outcome.info["chosen"]["loss.focal_gamma"] in (1.0, 2.0, 3.0)
    again = run_fold(config, data, split, 0, FoldDir(tmp_path / "again"))
    assert again.info["trials"] == outcome.info["trials"]  # seeded sampler: same trials


def test_synthetic_run_scores_the_exact_posterior_on_the_models_rows(tiny, tmp_path):
    """The Bayes row's figures are the market's posterior on the model's test rows, at thresholds
    tuned on each fold's validation rows alone: recomputed here from the posterior, they agree."""
    config, data = tiny
    config = config.updated({"walkforward.baselines": ["majority"], "walkforward.folds": 2,
                             "walkforward.final_model": False})
    result = run_walk_forward(config, data, tmp_path / "run", progress=False)
    run = RunDir(result.run_dir)
    posterior = make_market(config.data.synthetic).posterior(config.labels.horizon, config.labels.threshold)
    bayes, model = run.read_oos(BAYES), run.read_oos(MODEL)
    pd.testing.assert_frame_equal(bayes[["date", "ticker", "label"]], model[["date", "ticker", "label"]])
    t = config.thresholds
    recomputed = []
    for i, split in enumerate(plan_folds(config, data)[0]):
        val = predictions_frame(data, split.val, posterior[split.val])
        tuned = tune_thresholds(val["label"].to_numpy(), proba_of(val), objective=t.objective,
                                min_precision=t.min_precision, fnr_target=t.fnr_target)
        saved = run.fold(i).read_info()["thresholds"][BAYES]
        assert (saved["down"], saved["up"], saved["value"]) == pytest.approx((tuned.down, tuned.up, tuned.value),
                                                                            abs=1e-12)
        test = predictions_frame(data, split.test, posterior[split.test])
        recomputed.append(test.assign(pred=apply_thresholds(proba_of(test), tuned)))
    again = prediction_metrics(pd.concat(recomputed, ignore_index=True))
    np.testing.assert_allclose(proba_of(bayes), proba_of(pd.concat(recomputed)), rtol=0, atol=1e-9)
    figures = result.metrics["baselines"][BAYES]
    assert figures["macro_f1"] == pytest.approx(again["macro_f1"], abs=1e-12)
    assert figures["rank_ic"] == pytest.approx(again["rank_ic"], abs=1e-12)
    assert BAYES in result.metrics["comparisons"] and BAYES in result.metrics["intervals"]
    summary = "\n".join(summary_lines(result))
    assert f"\n{BAYES:<16}{metric(figures['macro_f1']):>10}" in summary and "exact posterior" in summary
    report = write_report(run.root).read_text()
    assert "How far is the STGNN from the best possible" in report and "STGNN minus Bayes" in report
    # A run resumed from folds written before the reference: none, rather than a reference on some folds.
    run.fold(0).test(BAYES).unlink()
    resumed = run_walk_forward(config, data, run.root, resume=True, progress=False)
    assert BAYES not in resumed.metrics["baselines"] and "majority" in resumed.metrics["baselines"]
