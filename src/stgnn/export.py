"""Export a checkpoint for production: a ``torch.export`` program plus a manifest with the
scaler, feature list, tickers, graph and decision thresholds. Serving needs only torch and numpy
(:mod:`stgnn.exported`); torch-geometric's layers are traced into plain ATen operations."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch

from stgnn.checkpoint import model_from_checkpoint
from stgnn.errors import StgnnError
from stgnn.io import atomic_write, atomic_write_text

FORMAT = 1
PROGRAM = "model.pt2"


class _Probabilities(torch.nn.Module):
    """The STGNN with the softmax inside: what a server calls."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(x, edge_index, edge_weight), dim=-1)


def _save(program: torch.export.ExportedProgram, path: str) -> None:
    """Save through an open file: torch logs a warning for a path not ending in .pt2, such as the
    atomic write's temporary file, and a buffer is the form it accepts under any name."""
    with open(path, "wb") as f:
        torch.export.save(program, f)


def export_model(ckpt: dict, out_dir: str | Path) -> Path:
    """Write ``model.pt2`` and ``manifest.json`` into a new (or empty) ``out_dir``."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise StgnnError(f"Export directory {out_dir} exists and is not empty; pass a new --out.")
    model, config, scaler, graph = model_from_checkpoint(ckpt)
    wrapper = _Probabilities(model).eval()
    n, window, n_features = len(graph.tickers), config.model.window, ckpt["n_features"]
    edge_index, edge_weight = graph.edge_index()
    example = (torch.zeros(n, window, n_features), edge_index, edge_weight)
    nodes, edges = torch.export.Dim("nodes", min=2), torch.export.Dim("edges", min=1)
    with warnings.catch_warnings():
        # nn.GRU re-assigns its flat weight list while traced; harmless, and torch says so loudly.
        warnings.filterwarnings("ignore", message="The tensor attributes .*_flat_weights")
        program = torch.export.export(wrapper, example, dynamic_shapes=({0: nodes}, {1: edges}, {0: edges}))
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / PROGRAM, lambda tmp: _save(program, tmp))
    manifest = {
        "format": FORMAT,
        "exporter": f"torch.export (torch {torch.__version__})",
        "program": PROGRAM,
        "inputs": "x (n_nodes, window, n_features) float32 scaled features; edge_index (2, E) int64 "
                  "neighbour -> ticker; edge_weight (E,) float32. Output: probabilities (n_nodes, 3) "
                  "Down/None/Up. stgnn.exported.ExportedModel.predict takes the unscaled (window, "
                  "n_tickers, n_features) window and does the scaling and the day graph.",
        "classes": ["Down", "None", "Up"],
        "tickers": graph.tickers,
        "features": list(ckpt["feature_names"]),
        "window": window,
        "scaler": scaler.state(),
        "graph": graph.to_dict(),
        "edge_index": edge_index.tolist(),
        "edge_weight": edge_weight.tolist(),
        "thresholds": ckpt.get("thresholds"),
        "config": ckpt["config"],
    }
    atomic_write_text(out_dir / "manifest.json", json.dumps(manifest, indent=1))
    return out_dir
