"""Mirror a finished run directory to MLflow (optional: ``pip install 'stgnn[tracking]'``).

The run directory stays the source of truth: tracking reads it after the run and logs the
resolved config as params, per-epoch metrics with their step, every numeric final metric, and
the directory itself as artefacts. Nothing in training depends on MLflow.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import yaml

from stgnn.errors import StgnnError
from stgnn.registry import MLFLOW_DEFAULT_URI
from stgnn.runs import RunDir

EPOCH_KEYS = ("train_loss", "val_loss")
VAL_KEYS = ("macro_f1", "auroc_mean", "recall_down", "recall_up")


def track(run_dir, tracking_uri: str | None) -> None:
    """What the scripts call after a run: log it when ``--mlflow`` was given."""
    if tracking_uri:
        print(f"mlflow run {log_run_dir(run_dir, tracking_uri=tracking_uri)} at {tracking_uri}")


def flatten(tree, prefix: str = "") -> dict:
    """Nested dicts as dotted keys; lists and non-scalars are left out."""
    out = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif not isinstance(value, list):
            out[name] = value
    return out


def _finite_metrics(tree: dict) -> dict[str, float]:
    return {k.replace("#", "_"): float(v) for k, v in flatten(tree).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def log_run_dir(run_dir, *, tracking_uri: str = MLFLOW_DEFAULT_URI, experiment: str | None = None) -> str:
    """Log a finished single-split or walk-forward run directory; returns the MLflow run id."""
    run_dir = Path(run_dir)
    run = RunDir(run_dir)
    if not run.finished:
        raise StgnnError(f"{run_dir} is not a finished run directory ({run.config.name} and {run.metrics.name} "
                         "expected).")
    try:
        import mlflow
    except ImportError:
        raise StgnnError("MLflow is not installed: pip install 'stgnn[tracking]' (or pip install mlflow).") from None
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    config = yaml.safe_load(run.config.read_text())
    metrics = run.read_metrics()
    if "oos" in metrics:  # walk-forward: per-fold details are in the artefacts
        metrics = {k: metrics[k] for k in ("oos", "oos_argmax", "baselines", "skill", "backtest", "per_year")}
    mlflow.set_tracking_uri(tracking_uri)
    name = experiment or config.get("experiment", "stgnn")
    if mlflow.get_experiment_by_name(name) is None:
        mlflow.create_experiment(name, artifact_location=(run_dir.parent / "mlflow-artifacts").resolve().as_uri())
    mlflow.set_experiment(name)
    with mlflow.start_run(run_name=run_dir.name) as active:
        mlflow.set_tag("stgnn.run_dir", str(run_dir.resolve()))
        mlflow.log_params({k: str(v)[:6000] for k, v in flatten(config).items()})
        if run.history.is_file():
            for record in json.loads(run.history.read_text())["history"]:
                step = record["epoch"]
                values = {k: record[k] for k in EPOCH_KEYS}
                values.update({f"val_{k}": record["val"][k] for k in VAL_KEYS})
                values.update({f"train_loss_{c}": v for c, v in record["train_loss_per_class"].items()})
                mlflow.log_metrics({k: float(v) for k, v in values.items() if v is not None and math.isfinite(v)},
                                   step=step)
        mlflow.log_metrics(_finite_metrics(metrics))
        mlflow.log_artifacts(str(run_dir))
        return active.info.run_id
