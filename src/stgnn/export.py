"""Export a checkpoint for production: a ``torch.export`` program plus a manifest with the
scaler, feature list and settings, tickers, graph, decision thresholds and the panel's rules.
Serving needs only torch, numpy and pandas (:mod:`stgnn.exported`, which goes from prices to calls
for the ``basic`` feature set); torch-geometric's layers are traced into plain ATen operations.
``stgnn predict --checkpoint EXPORT_DIR`` scores with the exported program (:func:`load_export`)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch

from stgnn.checkpoint import model_from_checkpoint, model_id
from stgnn.config import MARKET_VOL_WINDOW
from stgnn.errors import StgnnError
from stgnn.exported import ExportedModel
from stgnn.io import atomic_write, atomic_write_text
from stgnn.runs import model_windows

FORMAT = 2
"""2: the manifest adds model_id, windows, history_days and market_vol_window (what predict and
predict_prices need); format 1 still loads for :meth:`ExportedModel.predict`."""
PROGRAM = "model.pt2"
MANIFEST = "manifest.json"


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


def export_model(ckpt: dict, out_dir: str | Path, *, checkpoint: str | Path | None = None) -> Path:
    """Write ``model.pt2`` and ``manifest.json`` into a new (or empty) ``out_dir``; with the
    ``checkpoint`` file's path, the manifest keeps its model id and run windows, so calls from the
    export go into a ledger as the checkpoint's."""
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
                  "Down/None/Up. stgnn.exported.ExportedModel.predict_prices takes daily prices (basic "
                  "features); ExportedModel.predict the unscaled (window, n_tickers, n_features) window.",
        "model_id": model_id(checkpoint) if checkpoint else None,
        "windows": model_windows(checkpoint) if checkpoint else None,
        "classes": ["Down", "None", "Up"],
        "tickers": graph.tickers,
        "features": list(ckpt["feature_names"]),
        "window": window,
        "history_days": config.features.warmup + window - 1,
        "market_vol_window": MARKET_VOL_WINDOW,
        "scaler": scaler.state(),
        "graph": graph.to_dict(),
        "edge_index": edge_index.tolist(),
        "edge_weight": edge_weight.tolist(),
        "thresholds": ckpt.get("thresholds"),
        "config": ckpt["config"],
    }
    atomic_write_text(out_dir / MANIFEST, json.dumps(manifest, indent=1))
    return out_dir


def load_export(directory: str | Path) -> ExportedModel:
    """The export in ``directory``, or one line saying why it is not one."""
    directory = Path(directory)
    if not (directory / MANIFEST).is_file():
        raise StgnnError(f"{directory} has no {MANIFEST}: not an stgnn export (stgnn export --out DIR writes one); "
                         "pass an export directory or a model.pt.")
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise StgnnError(f"{directory / MANIFEST} is not valid JSON; export the checkpoint again.") from None
    if not isinstance(manifest, dict) or manifest.get("format") not in (1, FORMAT):
        raise StgnnError(f"{directory / MANIFEST} is not an stgnn export's manifest (format 1 or {FORMAT}); "
                         "export the checkpoint again.")
    try:
        return ExportedModel(directory)
    except Exception as exc:  # torch raises many types for a corrupt or foreign program
        raise StgnnError(f"{directory} is not a readable stgnn export ({type(exc).__name__}); "
                         "export the checkpoint again.") from None
