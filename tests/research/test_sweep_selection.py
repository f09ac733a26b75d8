"""The sweep chooses gamma on validation, never on test or out-of-sample rows.

Training is replaced by canned metrics in which validation prefers one gamma and test (or the
walk-forward's out-of-sample rows) another, so the choice shows which rows made it."""

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from stgnn.config import parse_config
from stgnn.errors import ConfigError
from stgnn.research import sweep
from stgnn.research.sweep import best_gamma, run_gamma_sweep


def canned(macro_f1: float) -> dict:
    """The metrics a run reports, all equal to ``macro_f1`` so every priority agrees with it."""
    per = {"recall": macro_f1, "precision": macro_f1, "fpr": 1 - macro_f1}
    return {**{m: macro_f1 for m in sweep.SCORES}, "per_class": {"Down": per, "Up": per}}


VAL = {1.0: 0.40, 2.0: 0.50, 3.0: 0.30}
TEST = {1.0: 0.35, 2.0: 0.30, 3.0: 0.60}


def fake_experiment(cfg, out, *, data=None):
    out.mkdir(parents=True)
    (out / "history.json").write_text(json.dumps(
        {"history": [{"train_loss": 1.0}, {"train_loss": 0.5}], "best_epoch": 1, "alarms": []}))
    gamma = cfg.loss.focal_gamma
    return SimpleNamespace(metrics={"val": {"tuned": canned(VAL[gamma])}, "test": {"tuned": canned(TEST[gamma])}})


@pytest.mark.parametrize("priority", sweep.PRIORITIES)
def test_single_split_chooses_on_validation(monkeypatch, tmp_path, priority):
    monkeypatch.setattr(sweep, "run_experiment", fake_experiment)
    result = run_gamma_sweep(parse_config({}), None, [1.0, 2.0, 3.0], tmp_path, priority=priority)
    best = json.loads((tmp_path / "best.json").read_text())
    assert result["best_gamma"] == best["best_gamma"] == 2.0  # test alone would pick 3.0
    assert best["chosen_on"] == "validation"
    assert best["val"]["macro_f1"] == 0.50 and best["test"]["macro_f1"] == 0.30
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert table["val_macro_f1"].tolist() == [0.40, 0.50, 0.30]
    assert table["test_macro_f1"].tolist() == [0.35, 0.30, 0.60]
    md = (tmp_path / "comparison.md").read_text()
    assert "chosen on validation only" in md and "for reading only" in md


def test_walk_forward_chooses_on_mean_fold_validation(monkeypatch, tmp_path):
    # Gamma 1 has the best mean fold validation score, gamma 3 the best single fold and the best OOS.
    fold_val = {1.0: [0.5, 0.3], 3.0: [0.6, 0.1]}
    oos = {1.0: 0.2, 3.0: 0.7}

    def fake_walk_forward(cfg, data, out, **execution):
        gamma = cfg.loss.focal_gamma
        assert cfg.walkforward.grid == {"loss.focal_gamma": [gamma]} and cfg.walkforward.select_on == "macro_f1"
        params = {"loss.focal_gamma": gamma}
        folds = [{"chosen": params, "trials": [{"params": params, "val_score": v, "best_epochs": [3]}], "alarms": []}
                 for v in fold_val[gamma]]
        return SimpleNamespace(metrics={"oos": canned(oos[gamma]), "folds": folds})

    monkeypatch.setattr(sweep, "run_walk_forward", fake_walk_forward)
    config = parse_config({"walkforward": {"select_on": "auroc"}})  # the sweep records macro-F1 regardless
    result = run_gamma_sweep(config, None, [1.0, 3.0], tmp_path, walk_forward=True)
    best = json.loads((tmp_path / "best.json").read_text())
    assert result["best_gamma"] == best["best_gamma"] == 1.0
    assert best["val"] == {"macro_f1": pytest.approx(0.4)} and best["oos"]["macro_f1"] == 0.2
    assert {"val_macro_f1", "oos_macro_f1", "oos_mrr"} <= set(result["table"].columns)
    assert not any(c.startswith("test_") for c in result["table"].columns)


@pytest.mark.parametrize("priority", ["recall_at_precision", "ranking"])
def test_walk_forward_refuses_priorities_it_cannot_judge_on_validation(monkeypatch, tmp_path, priority):
    monkeypatch.setattr(sweep, "run_walk_forward", lambda *a, **k: pytest.fail("trained before refusing"))
    with pytest.raises(ConfigError, match="use priority 'macro_f1' with walk-forward, or sweep on a single split"):
        run_gamma_sweep(parse_config({}), None, [1.0], tmp_path, walk_forward=True, priority=priority)


def test_best_gamma_never_reads_test_columns():
    table = pd.DataFrame({"gamma": [1.0, 2.0], "val_macro_f1": [0.5, 0.4], "test_macro_f1": [0.1, 0.9],
                          "macro_f1": [0.1, 0.9]})
    assert best_gamma(table)[0] == 1.0
    with pytest.raises(ValueError, match="validation"):
        best_gamma(table.drop(columns=["val_macro_f1"]))
