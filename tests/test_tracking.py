import json

import pytest

from stgnn.config import Config, write_config
from stgnn.errors import StgnnError
from stgnn.runs import RunDir
from stgnn.tracking import log_run_dir

mlflow = pytest.importorskip("mlflow")


def _fake_run(path, metrics):
    path.mkdir()
    write_config(Config(), path / "config.yaml")
    RunDir(path).write_metrics(metrics)
    return path


def test_single_split_run_round_trips(tmp_path):
    history = {"best_epoch": 2, "history": [
        {"epoch": e, "train_loss": 1.0 / e, "val_loss": 0.9 / e, "train_loss_per_class": {"Down": 1, "None": 0.5, "Up": 1},
         "val": {"macro_f1": 0.3 + e / 100, "auroc_mean": 0.6, "recall_down": 0.2, "recall_up": 0.3}} for e in (1, 2, 3)]}
    run = _fake_run(tmp_path / "run", {"test": {"tuned": {"macro_f1": 0.42, "auroc_up": None}}})
    (run / "history.json").write_text(json.dumps(history))
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    run_id = log_run_dir(run, tracking_uri=uri)
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    logged = client.get_run(run_id).data
    assert logged.params["loss.focal_gamma"] == "2.0"
    assert logged.metrics["test.tuned.macro_f1"] == 0.42 and "test.tuned.auroc_up" not in logged.metrics
    assert [m.step for m in client.get_metric_history(run_id, "val_loss")] == [1, 2, 3]
    assert "metrics.json" in {a.path for a in client.list_artifacts(run_id)}


def test_walk_forward_run_and_errors(tmp_path):
    run = _fake_run(tmp_path / "wf", {"oos": {"macro_f1": 0.4}, "oos_argmax": {}, "baselines": {"majority": {"macro_f1": 0.2}},
                                      "skill": {}, "backtest": {"strategy": {"sharpe": 0.1}}, "per_year": {},
                                      "folds": [{"fold": 0}]})
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    metrics = mlflow.tracking.MlflowClient(tracking_uri=uri).get_run(log_run_dir(run, tracking_uri=uri)).data.metrics
    assert metrics["oos.macro_f1"] == 0.4 and metrics["baselines.majority.macro_f1"] == 0.2
    with pytest.raises(StgnnError, match="not a finished run directory"):
        log_run_dir(tmp_path / "missing", tracking_uri=uri)
