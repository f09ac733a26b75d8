"""Self-contained model checkpoints: weights, config, scaler, graph, features and thresholds.

``predict``, ``export`` and the serving code depend on this module, not on the trainer. A
checkpoint holds only types ``torch.load(weights_only=True)`` accepts, so loading one never runs
pickled code.
"""

from __future__ import annotations

from pathlib import Path

import torch

from stgnn.config import Config
from stgnn.data.graph import Graph
from stgnn.data.scaling import FeatureScaler
from stgnn.errors import StgnnError
from stgnn.io import atomic_write
from stgnn.models.stgnn import STGNN
from stgnn.training.fold import FoldData
from stgnn.training.imbalance import ImbalancePlan

CHECKPOINT_FORMAT = 1


def build_checkpoint(model: STGNN, config: Config, fold: FoldData, plan: ImbalancePlan,
                     thresholds: dict | None = None) -> dict:
    """Everything inference needs from a trained model and the fold it was trained on."""
    alpha = plan.alpha
    return {
        "format": CHECKPOINT_FORMAT,
        "state_dict": model.state_dict(),
        "config": config.model_dump(mode="json"),
        "n_features": fold.data.n_features,
        "feature_names": fold.data.features.names,
        "tickers": fold.data.tickers,
        "graph": fold.graph.to_dict(),
        "scaler": fold.scaler.state(),
        "loss": {"name": plan.loss, "alpha": list(alpha) if isinstance(alpha, tuple) else alpha,
                 "gamma": plan.gamma, "class_weights": plan.class_weights.tolist()},
        "imbalance": plan.to_dict(),
        "thresholds": thresholds,
    }


def save_checkpoint(ckpt: dict, path: str | Path) -> None:
    atomic_write(Path(path), lambda tmp: torch.save(ckpt, tmp))


def load_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint safely (``weights_only=True``); a clear error if it is not one of ours."""
    path = Path(path)
    if not path.is_file():
        raise StgnnError(f"Checkpoint {path} does not exist; pass the model.pt of a run directory.")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt or foreign file
        raise StgnnError(f"{path} is not a readable stgnn checkpoint ({type(exc).__name__}).") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise StgnnError(f"{path} is not an stgnn checkpoint (format {CHECKPOINT_FORMAT}).")
    return ckpt


def model_from_checkpoint(ckpt: dict) -> tuple[STGNN, Config, FeatureScaler, Graph]:
    """The model (in eval mode) with the config, scaler and graph it was trained with."""
    config = Config.model_validate(ckpt["config"])
    model = STGNN(ckpt["n_features"], config.model)
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, config, FeatureScaler.from_state(ckpt["scaler"]), Graph.from_dict(ckpt["graph"])
