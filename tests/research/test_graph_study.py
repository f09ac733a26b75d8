import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from stgnn.errors import ConfigError
from stgnn.research import studies
from stgnn.research.graph_study import choose_on_validation, plan_study, run_study
from tests.conftest import tiny_config

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "graph_study.py"
VARIANTS = ["temporal_only", "correlation", "residual"]


def _validation_against_oos(run_walk_forward):
    """``run_walk_forward`` with every fold's validation scores set to 1 - the run's out-of-sample
    macro-F1: the variant best on validation is the worst out of sample, so the choice shows which
    rows made it."""

    def run(config, data, out, **kwargs):
        result = run_walk_forward(config, data, out, **kwargs)
        for fold in result.metrics["folds"]:
            for trial in fold["trials"]:
                trial["val_score"] = 1.0 - result.metrics["oos"]["macro_f1"]
        return result

    return run


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The study on the tiny synthetic market, once for the module (10 walk-forwards of 2 folds),
    with validation and out-of-sample made to disagree (also for the resumed study)."""
    from stgnn.training.run import load_data

    config = tiny_config(walkforward={"folds": 2, "final_model": False})
    data = load_data(config)
    run_dir = tmp_path_factory.mktemp("study")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(studies, "run_walk_forward", _validation_against_oos(studies.run_walk_forward))
        yield config, data, run_dir, run_study(config, data, run_dir, variants=VARIANTS)


def test_sector_without_a_sector_file_is_refused_before_training(tmp_path):
    config = tiny_config()
    with pytest.raises(ConfigError, match="variant sector .*sector_file"):
        plan_study(config, variants=["sector"])
    with pytest.raises(ConfigError, match="variant sector"):
        run_study(config, None, tmp_path / "study", variants=["correlation", "sector"])
    assert not (tmp_path / "study").exists()
    with pytest.raises(ConfigError, match="Expected labels"):
        plan_study(config, labels=["sector_relative"])


def test_script_refuses_sector_on_synthetic_data(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("graph_study_script", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--source", "synthetic", "--variants", "sector", "--run-dir", str(tmp_path / "s")]) == 2
    assert "variant sector" in capsys.readouterr().err and not (tmp_path / "s").exists()


def test_choose_on_validation_reads_only_the_scores_given():
    assert choose_on_validation({"correlation": 0.41, "residual": 0.44, "sector": 0.44}) == "residual"
    with pytest.raises(ValueError, match="at least one"):
        choose_on_validation({})


@pytest.mark.slow
def test_study_table_rows_choice_and_outputs(study):
    config, _, run_dir, _ = study
    table = pd.read_csv(run_dir / "results.csv")
    saved = json.loads((run_dir / "results.json").read_text())
    for label in ("raw", "universe"):
        rows = table[table["labels"] == label]
        best = saved["imbalance"][label]["variant"]
        bayes = ["bayes"] if label == "raw" else []  # the exact posterior: of raw threshold labels only
        assert rows["variant"].tolist() == ["temporal_only", "logistic", "logistic_graph", "volatility", *bayes,
                                            "correlation", "residual", f"{best}_no_smote",
                                            f"{best}_no_smote_balanced"]
        assert (rows[rows["variant"] == "bayes"]["model"] == "reference").all()
        # Chosen on validation, which here ranks the graph variants opposite to their out-of-sample macro-F1.
        graph = rows[rows["variant"].isin(["correlation", "residual"])].set_index("variant")
        assert graph["val_score"].to_numpy() == pytest.approx(1.0 - graph["macro_f1"].to_numpy())
        assert graph["macro_f1"].nunique() == 2 and best == graph["macro_f1"].idxmin()
        assert saved["imbalance"][label]["val_score"] == pytest.approx(graph["val_score"].max())
        assert (run_dir / label / f"{best}_no_smote_balanced" / "metrics.json").exists()
        reference = rows.iloc[0]
        assert reference["model"] == "stgnn" and pd.isna(reference["d_rank_ic"])
        assert rows.iloc[1:]["d_macro_f1"].notna().all()
        assert (rows["rank_ic_lo"] <= rows["rank_ic_hi"]).all()
        stgnn = rows[rows["model"] == "stgnn"]
        assert stgnn["rank_sharpe"].notna().all() and stgnn["calls_alpha_lo"].notna().all()
        assert stgnn["seed_std_rank_ic"].isna().all()  # one seed: no spread to measure
    assert saved["chosen_on"] == "validation" and saved["config"] == config.model_dump(mode="json")
    assert "commit" in saved and saved["wall_seconds"] > 0
    text = (run_dir / "results.md").read_text()
    assert "## Reading" in text and text.count("labels, graph vs temporal-only:") == 2
    assert (run_dir / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    equity = pd.read_csv(run_dir / "rank_equity.csv", index_col=0)
    assert list(equity.columns) == [f"{lab}/{v}" for lab in ("raw", "universe")
                                    for v in table.loc[(table["labels"] == lab) & (table["model"] == "stgnn"),
                                                       "variant"]]


@pytest.mark.slow
def test_resumed_study_gives_the_same_table_without_retraining(study):
    config, data, run_dir, result = study
    folds = sorted(run_dir.glob("*/*/folds/*/fold.json"))
    stamps = [p.stat().st_mtime_ns for p in folds]
    with pytest.raises(ConfigError, match="not empty"):
        run_study(config, data, run_dir, variants=VARIANTS)
    resumed = run_study(config, data, run_dir, variants=VARIANTS, resume=True)
    pd.testing.assert_frame_equal(resumed["table"], result["table"])
    assert [p.stat().st_mtime_ns for p in folds] == stamps and len(folds) == 20
