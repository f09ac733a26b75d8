import json

import pandas as pd
import pytest

from stgnn.cli import main
from stgnn.errors import ConfigError
from stgnn.research import studies
from stgnn.research.signal_study import BASELINES, plan_study, run_study
from stgnn.training.run import load_data
from tests.conftest import tiny_config

FEATURE_SETS = ["basic", "alpha360"]


def _validation_against_oos(run_walk_forward):
    """``run_walk_forward`` with every trial's validation score set to minus the run's out-of-sample
    Rank IC: the run best on validation is the worst out of sample, so the choice shows which rows
    made it."""

    def run(config, data, out, **kwargs):
        result = run_walk_forward(config, data, out, **kwargs)
        for fold in result.metrics["folds"]:
            for trial in fold["trials"]:
                trial["val_score"] = -result.metrics["oos"]["rank_ic"]
        return result

    return run


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The study on the tiny synthetic market with a one-day delay (5 walk-forwards of 2 folds)."""
    config = tiny_config(walkforward={"folds": 2}, labels={"delay": 1})
    run_dir = tmp_path_factory.mktemp("signal")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(studies, "run_walk_forward", _validation_against_oos(studies.run_walk_forward))
        yield config, run_dir, run_study(config, run_dir, load=load_data, feature_sets=FEATURE_SETS)


def test_plan_refuses_unknown_names_and_names_the_bad_run():
    config = tiny_config()
    with pytest.raises(ConfigError, match="Expected feature sets"):
        plan_study(config, feature_sets=["alpha101"])
    with pytest.raises(ConfigError, match="Expected labels"):
        plan_study(config, labels=["raw"])
    with pytest.raises(ConfigError, match="alpha360 features, threshold labels: .*features.market"):
        plan_study(tiny_config(features={"market": True}))
    with pytest.raises(ConfigError, match="basic features, threshold labels: .*horizon"):
        plan_study(config, long_horizon=0)
    plan = plan_study(config)
    assert len(plan) == 6 and all(c.walkforward.select_on == "rank_ic" for c in plan.values())
    assert plan["alpha360", "quantile"].model.window == 1 and plan["basic", "quantile"].labels.kind == "quantile"


def test_cli_refuses_a_bad_combination_before_loading_anything(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["signal", "--source", "synthetic", "--market-features", "--run-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "alpha360 features" in err and not out.exists()


@pytest.mark.slow
def test_study_rows_choice_and_paired_differences(study):
    config, run_dir, result = study
    table = pd.read_csv(run_dir / "results.csv")
    saved = json.loads((run_dir / "results.json").read_text())
    chosen = saved["chosen"]
    # Chosen on validation, which here ranks the runs opposite to their out-of-sample Rank IC.
    stgnn = table[(table["model"] == "stgnn") & (table["horizon"] == 1)]
    worst = stgnn.loc[stgnn["rank_ic"].idxmin()]
    assert chosen["run"] == f"{worst['features']}/{worst['labels']}" and saved["chosen_on"] == "validation"
    assert chosen["val_rank_ic"] == pytest.approx(-worst["rank_ic"])
    runs = table.groupby(["features", "labels", "horizon"], sort=False)
    assert list(runs.groups) == [(f, lab, 1) for f in FEATURE_SETS for lab in ("threshold", "quantile")] + [
        (worst["features"], worst["labels"], 5)]
    for _, rows in runs:
        assert rows["model"].tolist() == ["stgnn", *BASELINES]
        assert rows["n_rows"].nunique() == 1 and (rows["delay"] == 1).all()
        by = rows.set_index("model")
        # Same rows and days: the paired difference of mean daily ICs is the difference of the means.
        for ref in ("momentum", "lightgbm"):
            others = by.drop(index=ref)
            assert others[f"d_rank_ic_{ref}"].to_numpy() == pytest.approx(
                (others["rank_ic"] - by.loc[ref, "rank_ic"]).to_numpy())
            assert pd.isna(by.loc[ref, f"d_rank_ic_{ref}"])
            assert (others[f"d_rank_ic_{ref}_lo"] <= others[f"d_rank_ic_{ref}"]).all()
    for name in ("rank_ic", "icir", "macro_f1", "rank_sharpe"):
        assert (table[f"{name}_lo"] <= table[f"{name}_hi"]).all()
    assert (run_dir / worst["features"] / f"{worst['labels']}_h5" / "metrics.json").exists()
    text = (run_dir / "results.md").read_text()
    assert "## Reading" in text and "Headline STGNN" in text and "traded at" in text
    assert saved["delay"] == 1 and saved["config"] == config.model_dump(mode="json")
    assert (run_dir / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_resumed_study_gives_the_same_table_without_retraining(study):
    config, run_dir, result = study
    folds = sorted(run_dir.glob("*/*/folds/*/fold.json"))
    stamps = [p.stat().st_mtime_ns for p in folds]
    with pytest.raises(ConfigError, match="not empty"):
        run_study(config, run_dir, load=load_data, feature_sets=FEATURE_SETS)
    resumed = run_study(config, run_dir, load=load_data, feature_sets=FEATURE_SETS, resume=True)
    pd.testing.assert_frame_equal(resumed["table"], result["table"])
    assert [p.stat().st_mtime_ns for p in folds] == stamps and len(folds) == 10
