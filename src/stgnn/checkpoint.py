"""Self-contained model checkpoints: weights, config, scaler, graph, features and thresholds.

A model trained with several seeds (walk-forward ``--seeds N``) is one checkpoint too: the N
state dicts under ``state_dicts`` instead of the one under ``state_dict``, and inference averages
their probabilities, as the walk-forward did for the predictions it was judged on.

``predict``, ``export`` and the serving code depend on this module, not on the trainer. A
checkpoint holds only types ``torch.load(weights_only=True)`` accepts, so loading one never runs
pickled code.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

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


def build_checkpoint(model: STGNN | Sequence[STGNN], config: Config, fold: FoldData, plan: ImbalancePlan,
                     thresholds: dict | None = None) -> dict:
    """Everything inference needs from a trained model (or the models of an ensemble of seeds)
    and the fold it was trained on; one model keeps the single-model format."""
    alpha = plan.alpha
    models = [model] if isinstance(model, torch.nn.Module) else list(model)
    weights = ({"state_dict": models[0].state_dict()} if len(models) == 1
               else {"state_dicts": [m.state_dict() for m in models]})
    return {
        "format": CHECKPOINT_FORMAT,
        **weights,
        "config": config.model_dump(mode="json"),
        "n_features": fold.data.n_features,
        "channels": fold.data.features.channels,
        "feature_names": fold.data.features.names,
        "tickers": fold.data.tickers,
        "graph": fold.graph.to_dict(),
        "scaler": fold.scaler.state(),
        "loss": {"name": plan.loss, "alpha": list(alpha) if isinstance(alpha, tuple) else alpha,
                 "gamma": plan.gamma, "class_weights": plan.class_weights.tolist()},
        "imbalance": plan.to_dict(),
        "thresholds": thresholds,
    }


class SeedEnsemble(torch.nn.Module):
    """The models of several seeds as one module whose output is the log of their mean
    probabilities: a softmax of it (what inference and the export apply to a model's logits) gives
    that mean back, so every caller of a single model serves an ensemble unchanged."""

    def __init__(self, models: Sequence[STGNN]):
        super().__init__()
        self.members = torch.nn.ModuleList(models)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor) -> torch.Tensor:
        proba = torch.stack([torch.softmax(m(x, edge_index, edge_weight), dim=-1) for m in self.members])
        return torch.log(proba.mean(dim=0))


def save_checkpoint(ckpt: dict, path: str | Path) -> None:
    atomic_write(Path(path), lambda tmp: torch.save(ckpt, tmp))


def model_id(path: str | Path) -> str:
    """A short hash of a checkpoint file: the same file is the same model in any ledger."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def load_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint safely (``weights_only=True``); a clear error if it is not one of ours."""
    path = Path(path)
    if not path.is_file():
        what = "is a directory, not a checkpoint file" if path.is_dir() else "does not exist"
        raise StgnnError(f"Checkpoint {path} {what}; pass the model.pt of a run directory.")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt or foreign file
        raise StgnnError(f"{path} is not a readable stgnn checkpoint ({type(exc).__name__}).") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise StgnnError(f"{path} is not an stgnn checkpoint (format {CHECKPOINT_FORMAT}).")
    return ckpt


def model_from_checkpoint(ckpt: dict) -> tuple[torch.nn.Module, Config, FeatureScaler, Graph]:
    """The model (in eval mode; a :class:`SeedEnsemble` for several seeds) with the config,
    scaler and graph it was trained with."""
    config = Config.model_validate(ckpt["config"])
    models = []
    for state in ckpt["state_dicts"] if "state_dicts" in ckpt else [ckpt["state_dict"]]:
        model = STGNN(ckpt["n_features"], config.model, channels=ckpt.get("channels"))
        model.load_state_dict(state)
        models.append(model)
    model = models[0] if len(models) == 1 else SeedEnsemble(models)
    model.eval()
    return model, config, FeatureScaler.from_state(ckpt["scaler"]), Graph.from_dict(ckpt["graph"])
