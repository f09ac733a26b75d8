"""Inference from an exported model with only torch and numpy (no torch-geometric, no pandas).

The contract starts at the *unscaled* feature window of shape (W, N, F) for the exported tickers
in the manifest's order (computing features from prices is stgnn's job, see
:func:`stgnn.data.features.compute_features`). This module imports nothing else from stgnn, so
a serving process can vendor this one file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

CLASS_NAMES = ("Down", "None", "Up")


class ExportedModel:
    """A loaded export: ``predict(window)`` -> probabilities (N, 3) and calls."""

    def __init__(self, directory: str | Path):
        directory = Path(directory)
        self.manifest = json.loads((directory / "manifest.json").read_text())
        self.program = torch.export.load(str(directory / self.manifest["program"])).module()
        scaler = self.manifest["scaler"]
        self.center = np.asarray(scaler["center"], dtype=np.float64)
        self.scale = np.asarray(scaler["scale"], dtype=np.float64)
        self.clip = float(scaler["clip"])
        self.edge_index = torch.tensor(self.manifest["edge_index"], dtype=torch.long)
        self.edge_weight = torch.tensor(self.manifest["edge_weight"], dtype=torch.float32)

    @property
    def tickers(self) -> list[str]:
        return self.manifest["tickers"]

    def probabilities(self, window: np.ndarray) -> np.ndarray:
        """P(Down), P(None), P(Up) per ticker from an unscaled (W, N, F) window."""
        w, n, f = self.manifest["window"], len(self.tickers), len(self.manifest["features"])
        if window.shape != (w, n, f):
            raise ValueError(f"Expected a feature window of shape {(w, n, f)}, got {window.shape}.")
        if not np.isfinite(window).all():
            raise ValueError("Expected finite features in the window, got NaN or inf.")
        x = np.clip((window - self.center) / self.scale, -self.clip, self.clip).astype(np.float32)
        nodes = torch.from_numpy(np.ascontiguousarray(x.transpose(1, 0, 2)))
        with torch.no_grad():
            return self.program(nodes, self.edge_index, self.edge_weight).numpy()

    def predict(self, window: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Probabilities and calls (the tuned thresholds' margin rule, or argmax without them)."""
        proba = self.probabilities(window)
        t = self.manifest["thresholds"]
        if t is None:
            pred = proba.argmax(axis=1)
        else:
            m_down, m_up = proba[:, 0] - t["down"], proba[:, 2] - t["up"]
            up = (proba[:, 2] >= t["up"]) & (m_up > m_down)
            down = (proba[:, 0] >= t["down"]) & (m_down > m_up)
            pred = np.where(up, 2, np.where(down, 0, 1))
        return proba, [CLASS_NAMES[c] for c in pred]


def load_exported(directory: str | Path) -> ExportedModel:
    return ExportedModel(directory)
