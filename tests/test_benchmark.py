"""The benchmark's cases run and report (their numbers are facts about a machine, never asserted)."""

import json
import time

import pytest

from stgnn import benchmark
from stgnn.benchmark import OtherLoad, _busy_cpu_seconds, run_case, synthetic_config
from stgnn.benchmark_suite import (
    FOLD_MEMORY,
    TRAIN_MODES,
    device_markdown,
    device_suite,
    factor_markdown,
    help_time,
    train_speed,
    train_speed_markdown,
    walk_forward_run,
    walk_forwards_markdown,
)
from stgnn.cli import main
from stgnn.config import parse_config, write_config
from stgnn.models.a3tgcn import A3TGCN_MISSING
from stgnn.registry import NO_GRAPH
from tests.conftest import tiny_config

pytestmark = pytest.mark.slow


def test_fold_case_reports_time_and_memory():
    row = run_case("fold", synthetic_config(10, n_days=1100, epochs=1))
    assert row["n_tickers"] == 10 and row["fold_seconds"] > 0 and row["peak_rss_mb"] > 0
    assert row["other_load"] >= 0  # Linux: read from /proc/stat


@pytest.mark.parametrize("mode", ["exact", "centre", "latent"])
def test_each_real_window_passes_the_encoder_once_per_epoch(mode):
    """And a synthetic sample costs K + 1 windows in exact mode, one in centre mode, none in latent."""
    row = run_case("encoder_passes", synthetic_config(10, n_days=1100, epochs=1).updated({"smote.mode": mode}))
    assert row["passes_per_real_window"] == 1.0 and row["smote_mode"] == mode


def test_tcn_once_case_times_both_paths_and_finds_them_equal():
    config = synthetic_config(10, n_days=1100, epochs=1).updated({"model.encoder": "tcn", "model.temporal_layers": 3})
    row = run_case("tcn_once", config)
    assert row["series_is_exact"] and row["receptive_field"] == 15 <= row["window"]
    assert row["max_abs_proba_diff"] < 1e-5
    assert row["epoch_seconds_series"] > 0 and row["predict_val_ms_series"] > 0 and row["predict_val_ms_windows"] > 0
    assert row["epoch_seconds_series_contiguous"] > 0


def test_factors_case_reports_the_feature_set_time_and_memory():
    config = parse_config({"data": {"source": "sample"}, "features": {"set": "alpha158"}})
    row = run_case("factors", config)
    # The bundled sample has closes only: alpha158's close-based part.
    assert row["feature_set"] == "alpha158" and row["n_features"] == 75 and row["n_tickers"] == 20
    assert row["seconds"] > 0 and row["peak_rss_mb"] >= row["panel_rss_mb"] > 0 and row["cube_mb"] > 0


def test_factor_markdown_shows_each_fold_setting():
    r = {"machine": {"cores": 2, "cpu": "x86_64", "torch": "2.13.0", "date": "2026-12-05"},
         "alpha158_sp500": {"n_tickers": 505, "n_days": 1259, "n_features": 158, "seconds": 8.7, "peak_rss_mb": 1500.0,
                            "panel_rss_mb": 700.0, "cube_mb": 383.0, "other_load": 0.0},
         "fold_memory": [{"features": name, "fold_seconds": 60.0, "peak_rss_mb": 2000.0, "other_load": 0.0}
                         for name in FOLD_MEMORY]}
    text = factor_markdown(r)
    assert "158 features in 8.7 s" in text and all(f"| {name} | 60.0 |" in text for name in FOLD_MEMORY)


def test_command_writes_json_and_markdown(tmp_path):
    assert main(["benchmark", "--quick", "--repeats", "2", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    (row,) = results["scaling"]
    assert row["n_tickers"] == 20 and len(row["all_fold_seconds"]) == 2
    assert row["fold_seconds"] == min(row["all_fold_seconds"])
    assert "| 20 |" in (tmp_path / "results.md").read_text()
    assert set(results["help"]) == {"median_seconds", "runs_seconds", "target_seconds", "within_target", "other_load"}
    assert "| `stgnn --help` in a fresh process, median of 5 (other load " in (tmp_path / "results.md").read_text()


def test_walk_forward_run_records_what_the_timed_run_found(tmp_path):
    """A timed walk-forward (a real one, in its own process) keeps its figures: each fold's
    validation score, the model's out-of-sample intervals, each model's seconds and the final model's."""
    config = tiny_config(walkforward={"baselines": ["momentum", NO_GRAPH], "folds": 2, "n_boot": 50})
    write_config(config, tmp_path / "tiny.yaml")
    w = walk_forward_run(tmp_path / "tiny.yaml")
    assert w["config"] == "tiny.yaml" and w["seconds"] > 0 and w["peak_rss_mb"] > 0 and w["select_on"] == "macro_f1"
    assert len(w["val_scores"]) == 2 and all(0 <= v <= 1 for v in w["val_scores"])
    assert set(w["fold_seconds"]) == {"stgnn", "momentum", NO_GRAPH} and min(w["fold_seconds"].values()) >= 0
    assert w["final_model_seconds"] > 0
    for key in ("macro_f1", "rank_ic"):
        assert w["oos"][key]["lo"] <= w["oos"][key]["value"] <= w["oos"][key]["hi"]
    row = walk_forwards_markdown([w]).splitlines()[-1]
    assert row.startswith("| `configs/tiny.yaml` |") and f"{sum(w['val_scores']) / 2:.4f} ± " in row
    assert f"{w['oos']['macro_f1']['value']:.3f} [" in row


def test_walk_forwards_markdown_names_another_selection_metric_and_a_missing_final_model():
    interval = {"value": 0.01, "lo": -0.01, "hi": 0.03}
    w = {"config": "x.yaml", "seconds": 120.0, "peak_rss_mb": 2048.0, "other_load": 0.0, "select_on": "rank_ic",
         "val_scores": [0.02, 0.04], "oos": {"macro_f1": interval, "rank_ic": interval},
         "fold_seconds": {"stgnn": 30.0, "momentum": 2.0, "lightgbm": 5.0}, "final_model_seconds": None}
    row = walk_forwards_markdown([w]).splitlines()[-1]
    assert row == ("| `configs/x.yaml` | 2.0 min | 2.0 GB | 0.0 | 0.0300 ± 0.0100 (rank_ic) | 0.010 [-0.010, 0.030] | "
                   "+0.010 [-0.010, +0.030] | 30 / 0 / 7 / none |")


def test_help_case_records_the_median_and_the_target():
    row = help_time(runs=3)
    assert len(row["runs_seconds"]) == 3 and row["median_seconds"] == sorted(row["runs_seconds"])[1]
    assert row["target_seconds"] == 1.0 and row["within_target"] == (row["median_seconds"] <= 1.0)


def _burn(seconds: float) -> None:
    started = time.process_time()
    while time.process_time() - started < seconds:
        pass


def test_busy_cpu_seconds_counts_this_process_burning_cpu():
    before = _busy_cpu_seconds()
    _burn(0.5)
    assert _busy_cpu_seconds() - before >= 0.4


def test_other_load_leaves_out_this_process_and_its_children(monkeypatch):
    """Over 2 s the machine was busy 5 CPU seconds, 3 of them ours: one other core's worth."""
    readings = {"busy": iter([10.0, 15.0]), "own": iter([1.0, 4.0]), "clock": iter([100.0, 102.0])}
    monkeypatch.setattr(benchmark, "_busy_cpu_seconds", lambda: next(readings["busy"]))
    monkeypatch.setattr(benchmark, "_own_cpu_seconds", lambda: next(readings["own"]))
    monkeypatch.setattr(benchmark.time, "perf_counter", lambda: next(readings["clock"]))
    with OtherLoad() as load:
        pass
    assert load.cores == 1.0


def test_device_suite_compares_a_device_with_the_cpu_and_reports_scores(tmp_path):
    """Run here on the CPU against itself (the GPU run is the same code with device "cuda")."""
    saved = []
    results = device_suite("cpu", n=10, big=15, n_days=1100, epochs=1, seeds=2,
                          save=lambda r: saved.append(sorted(r)))
    assert len(saved) == 6 and "fp32" in saved[0] and "bf16" not in saved[0]  # saved after every case
    for run in ("cpu", "fp32", "bf16", "big"):
        assert results[run]["fold_seconds"] > 0 and len(results[run]["seed_metrics"]) == 2
        assert -1 <= results[run]["rank_ic"] <= 1 and 0 <= results[run]["macro_f1"] <= 1
    assert results["bf16"]["precision"] == "bf16" and results["big"]["n_tickers"] == 15
    assert results["agreement"]["max_abs_diff"] == 0.0  # the CPU against itself
    assert results["fp32_seeds_within_cpu_range"]  # the same seeds on the same device
    text = device_markdown(results)
    assert "N = 15, cpu fp32" in text and "differ by at most 0.00e+00" in text
    failed = device_markdown({**results, "bf16": {"error": "benchmark case fold failed: boom"}})
    assert "| cpu bf16 | failed: benchmark case fold failed: boom |" in failed


SPEED_TINY = {"data.start": "2022-06-01", "graph.min_overlap": 20, "training.epochs": 1, "training.patience": 1}
"""The A3TGCN comparison on the sample's last months, one epoch: seconds, not minutes."""


def test_train_speed_times_a3tgcn_or_says_why_not_then_each_mode_in_order():
    r = train_speed(SPEED_TINY)
    a3tgcn, modes = r["a3tgcn"], r["modes"]
    assert [m["mode"] for m in modes] == list(TRAIN_MODES)
    assert all(m["seconds_per_epoch"] > 0 and m["epochs"] == 1 for m in modes)
    assert modes[0]["smote_ego_graphs"] == 0 < modes[1]["smote_ego_graphs"]
    if "skipped" in a3tgcn:
        assert a3tgcn["skipped"] == A3TGCN_MISSING and all("a3tgcn_over_ours" not in m for m in modes)
    else:
        assert a3tgcn["seconds_per_epoch"] > 0 and a3tgcn["train_days"] == modes[0]["train_days"]
        assert all(m["a3tgcn_over_ours"] > 0 for m in modes)
    assert "Training speed against PyG-Temporal's A3TGCN (sample from 2022, 1 epochs)" in train_speed_markdown(r)


def test_a3tgcn_case_is_skipped_without_pyg_temporal(monkeypatch):
    monkeypatch.setattr(benchmark, "load_a3tgcn", lambda: None)
    assert benchmark.case_a3tgcn(parse_config({})) == {"skipped": A3TGCN_MISSING}


def test_train_speed_markdown_shows_the_ratios_or_the_skip_note():
    ours = [{"mode": "no SMOTE", "seconds_per_epoch": 1.5, "other_load": 0.01},
            {"mode": "SMOTE", "seconds_per_epoch": 4.0, "other_load": 0.02}]
    measured = {"start": "2005-01-01", "epochs": 3,
                "a3tgcn": {"periods": 20, "days_per_step": 32, "seconds_per_epoch": 6.0, "other_load": 0.0},
                "modes": [{**m, "a3tgcn_over_ours": round(6.0 / m["seconds_per_epoch"], 2)} for m in ours]}
    text = train_speed_markdown(measured)
    assert "(sample from 2005, 3 epochs)" in text and "| 6.0 | 1.0 | 0.0 |" in text
    assert "| ours, no SMOTE | 1.5 | 4.0 | 0.01 |" in text and "| ours, SMOTE | 4.0 | 1.5 | 0.02 |" in text
    skipped = train_speed_markdown({**measured, "a3tgcn": {"skipped": A3TGCN_MISSING}, "modes": ours})
    assert f"| PyG-Temporal A3TGCN | skipped: {A3TGCN_MISSING} |" in skipped
    assert "| ours, SMOTE | 4.0 | n/a | 0.02 |" in skipped
