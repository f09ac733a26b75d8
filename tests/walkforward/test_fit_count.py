"""--dry-run says how much will be trained: every model the walk-forward fits, counted by hand here."""

import json

from stgnn.cli import main
from stgnn.walkforward.runner import fit_count_lines, models_to_fit
from tests.conftest import tiny_config

GRID = {"loss.focal_gamma": [1.0, 2.0, 3.0], "training.lr": [0.001, 0.01]}
WALKFORWARD = {"grid": GRID, "seeds": 2, "baseline_C": [0.1, 1.0, 10.0],
               "baselines": ["majority", "momentum", "lightgbm", "stgnn_no_graph"]}


def test_models_to_fit_are_trials_x_seeds_x_folds_each_baselines_settings_and_the_final_model():
    counts = {c.name: c.n for c in models_to_fit(tiny_config(walkforward=WALKFORWARD), 4)}
    # 6 trials x 2 seeds x 4 folds; C grid of 3; LightGBM's 2 leaf settings; final: 6 trials x 2 seeds
    assert counts == {"stgnn": 48, "majority": 4, "momentum": 12, "lightgbm": 8, "stgnn_no_graph": 48,
                      "final model": 12}
    lines = fit_count_lines(models_to_fit(tiny_config(walkforward=WALKFORWARD), 4))
    assert lines[0] == "models to fit: 132 (108 STGNN trainings)"
    assert lines[1].split() == ["stgnn", "4", "fold(s)", "x", "6", "trial(s)", "x", "2", "seed(s)", "=", "48"]
    optuna = tiny_config(walkforward={**WALKFORWARD, "search": "optuna", "n_trials": 5, "final_model": False,
                                      "baselines": []})
    assert [(c.name, c.n) for c in models_to_fit(optuna, 4)] == [("stgnn", 40)]


def test_dry_run_prints_the_folds_and_the_models_to_fit(capsys):
    flags = ["--source", "synthetic", "--train-days", "300", "--val-days", "60", "--test-days", "60", "--folds", "4",
             "--seeds", "2", "--grid", json.dumps(GRID), "--baselines", "majority", "momentum", "lightgbm",
             "stgnn_no_graph", "--baseline-c", "0.1", "1", "10"]
    assert main(["walk-forward", *flags, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "test_start" in out and "models to fit: 132 (108 STGNN trainings)" in out
