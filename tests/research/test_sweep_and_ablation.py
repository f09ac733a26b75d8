import pandas as pd
import pytest

from stgnn.research.ablation import run_ablation
from stgnn.research.sweep import best_gamma, run_gamma_sweep

pytestmark = pytest.mark.slow


def test_gamma_sweep_has_one_row_per_gamma_and_names_the_best(tiny, tmp_path):
    config, data = tiny
    result = run_gamma_sweep(config, data, [1.0, 3.0], tmp_path)
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert table["gamma"].tolist() == [1.0, 3.0]
    metrics = {"auc_pr_mean", "mrr", "hits_at_k", "macro_f1", "recall_moves", "precision_moves", "fpr_moves"}
    assert {f"{split}_{m}" for split in ("val", "test") for m in metrics} | {
        "best_epoch", "loss_curve_var", "collapse_alarms"} <= set(table.columns)
    assert result["best_gamma"] == table.loc[table["val_macro_f1"].idxmax(), "gamma"]
    assert (f"Best gamma for priority `macro_f1`, chosen on validation: {result['best_gamma']:g}"
            in (tmp_path / "comparison.md").read_text())
    assert (tmp_path / "gamma_sweep.png").exists() and (tmp_path / "gamma_1" / "metrics.json").exists()


def test_gamma_sweep_walk_forward(tiny, tmp_path):
    config, data = tiny
    config = config.updated({"walkforward.baselines": []})
    result = run_gamma_sweep(config, data, [2.0], tmp_path, walk_forward=True)
    assert len(result["table"]) == 1 and (tmp_path / "gamma_2" / "oos_predictions.csv").exists()
    assert not (tmp_path / "gamma_2" / "final.json").exists()  # research runs fit no final model
    assert 0 <= result["val"]["macro_f1"] <= 1 and "macro_f1" in result["oos"]


def test_best_gamma_priorities():
    table = pd.DataFrame({"gamma": [1.0, 2.0, 3.0], "val_macro_f1": [0.40, 0.45, 0.42],
                          "val_recall_moves": [0.5, 0.3, 0.6], "val_precision_moves": [0.35, 0.4, 0.2],
                          "val_auc_pr_mean": [0.3, 0.2, 0.25], "val_mrr": [0.5, 0.4, 0.45],
                          "val_hits_at_k": [0.7, 0.6, 0.65]})
    assert best_gamma(table, "macro_f1")[0] == 2.0
    assert best_gamma(table, "recall_at_precision", min_precision=0.3)[0] == 1.0
    assert best_gamma(table, "ranking")[0] == 1.0
    with pytest.raises(ValueError, match="Expected priority"):
        best_gamma(table, "speed")


def test_ablation_has_one_row_per_variant(tiny, tmp_path):
    config, data = tiny
    table = run_ablation(config, data, tmp_path, variants=["no_graph", "cross_entropy"])
    saved = pd.read_csv(tmp_path / "ablation.csv")
    assert saved["variant"].tolist() == ["full", "no_graph", "cross_entropy"]
    assert saved.loc[0, "diff_vs_full"] == 0
    assert (saved["macro_f1_lo"] <= saved["macro_f1_hi"]).all()
    assert (tmp_path / "ablation.png").exists() and (tmp_path / "ablation.md").exists()
    assert not list(tmp_path.glob("*/final.json"))  # research runs fit no final model
    assert len(table) == 3
