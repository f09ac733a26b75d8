"""Score the latest window of a panel with a saved model: what a user runs the next morning.

The model is a checkpoint (``model.pt``) or an export (its directory, or its ``model.pt2``): both
are scored by :func:`score_latest` with stgnn's features and day graph, the one difference being
whether the network runs as PyTorch modules or as the exported program.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch

from stgnn.checkpoint import load_checkpoint, model_from_checkpoint, model_id
from stgnn.classes import CLASS_NAMES, DOWN, NONE, UP
from stgnn.config import Config
from stgnn.data.batches import GraphBatcher
from stgnn.data.features import compute_features
from stgnn.data.graph import Graph
from stgnn.data.panel import PricePanel
from stgnn.data.scaling import FeatureScaler
from stgnn.errors import DataError
from stgnn.export import load_export
from stgnn.runs import model_windows
from stgnn.training.thresholds import DecisionThresholds, apply_thresholds, argmax_predict, margins

Probabilities = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], np.ndarray]
"""(x (N, W, F) scaled windows, edge_index (2, E), edge_weight (E,)) -> probabilities (N, 3)."""


@dataclass(frozen=True)
class ServedModel:
    """A saved model with what scoring needs beside it, from a checkpoint or an export.

    Attributes
    ----------
    probabilities : Probabilities
        The network (a checkpoint's modules, or an export's program) with its softmax.
    config : Config
        The model's own: window, features, labels, and the data it was trained on.
    scaler, graph, feature_names, thresholds
        As the checkpoint saved them (``thresholds`` None: calls by argmax).
    model_id : str
        The checkpoint file's :func:`~stgnn.checkpoint.model_id`; an export keeps its checkpoint's,
        so the ledger sees one model.
    windows : dict or None
        The dates the model was fitted, tuned and tested on (:func:`stgnn.runs.model_windows`).
    """

    probabilities: Probabilities
    config: Config
    scaler: FeatureScaler
    graph: Graph
    feature_names: list[str]
    thresholds: DecisionThresholds | None
    model_id: str = ""
    windows: dict | None = None

    @classmethod
    def from_checkpoint(cls, ckpt: dict, *, model_id: str = "", windows: dict | None = None) -> ServedModel:
        model, config, scaler, graph = model_from_checkpoint(ckpt)

        def probabilities(x, edge_index, edge_weight):
            with torch.no_grad():
                return torch.softmax(model(x, edge_index, edge_weight), dim=-1).numpy()

        return cls(probabilities, config, scaler, graph, list(ckpt["feature_names"]),
                   _thresholds(ckpt.get("thresholds")), model_id, windows)

    @classmethod
    def from_export(cls, directory: str | Path) -> ServedModel:
        exported = load_export(directory)
        manifest = exported.manifest

        def probabilities(x, edge_index, edge_weight):
            with torch.no_grad():
                return exported.program(x, edge_index, edge_weight).numpy()

        return cls(probabilities, Config.model_validate(manifest["config"]),
                   FeatureScaler.from_state(manifest["scaler"]), Graph.from_dict(manifest["graph"]),
                   list(manifest["features"]), _thresholds(manifest["thresholds"]),
                   manifest.get("model_id") or model_id(exported.program_path), manifest.get("windows"))


def load_model(path: str | Path) -> ServedModel:
    """The model at ``path``: a checkpoint file, or an export's directory or ``model.pt2``."""
    path = Path(path)
    if path.is_dir() or path.suffix == ".pt2":
        return ServedModel.from_export(path if path.is_dir() else path.parent)
    return ServedModel.from_checkpoint(load_checkpoint(path), model_id=model_id(path), windows=model_windows(path))


def _thresholds(saved: dict | None) -> DecisionThresholds | None:
    return DecisionThresholds.from_dict(saved) if saved else None


@dataclass(frozen=True)
class Scores:
    """The calls of the latest day, the model's tickers that got none (with the reason), and the
    thresholds the calls were made with (None: argmax)."""

    frame: pd.DataFrame
    skipped: dict[str, str]
    thresholds: DecisionThresholds | None = None

    def rule_lines(self) -> list[str]:
        """How a call is made, in terms of the frame's own columns, so a reader can check each row."""
        if self.thresholds is None:
            return ["calls: no tuned thresholds in this model; the call is the most probable of p_down, p_none, "
                    "p_up. The table is ranked by score = p_up - p_down"]
        offset = self.thresholds.up - self.thresholds.down
        against = int(self.frame["against_score"].sum())
        return [f"calls: {self.thresholds.rule_text()}",
                f"the table is ranked by score = p_up - p_down; a call compares it with t_up - t_down = "
                f"{offset:+.4f}, not with 0, so a call can go against the score's sign (against_score: "
                f"{against} row{'s' * (against != 1)})"]


def score_latest(model: ServedModel | dict, panel: PricePanel, *, config: Config | None = None) -> Scores:
    """Probabilities and calls for every ticker usable on the panel's last date.

    A ticker is scored when it has a price on each of the last ``window`` days after the feature
    warm-up (and is eligible that day); the others are listed in ``skipped`` with the reason, and
    their absence changes nothing for the scored ones (they are not in the day graph). A
    checkpoint of several seeds gives their mean probabilities (the walk-forward's ensemble).
    Calls use the model's tuned thresholds when it has them (:func:`apply_thresholds`), else argmax.

    Parameters
    ----------
    model : ServedModel, or a checkpoint dict
    panel : PricePanel
    config : Config, optional
        The model's config with the user's data flags; default the model's own.

    Returns
    -------
    Scores
        ``frame``: date, ticker, p_down, p_none, p_up, score (p_up - p_down), margin_down and
        margin_up (:func:`~stgnn.training.thresholds.margins`; NaN without thresholds), pred, call,
        against_score (a Down call on a positive score, or an Up call on a negative one); sorted by
        score. ``skipped``: ticker -> why it has no call.
    """
    if isinstance(model, dict):
        model = ServedModel.from_checkpoint(model)
    config = config or model.config
    graph, scaler = model.graph, model.scaler
    known = [t for t in graph.tickers if t in panel.tickers]
    if not known:
        raise DataError(f"The panel holds none of the model's {len(graph.tickers)} tickers; "
                        "supply prices for the tickers it was trained on.")
    skipped = {t: "no prices in the panel" for t in graph.tickers if t not in panel.tickers}
    panel = panel.select(tickers=known)
    features = compute_features(panel, config.features)
    if features.names != model.feature_names:
        raise DataError(f"The panel gives features {features.names}, the model expects {model.feature_names}; "
                        "supply the same price fields (open/high/low/volume) the model was trained with.")
    window, last = config.model.window, len(panel.dates) - 1
    if last + 1 < window:
        raise DataError(f"{panel.source}: {last + 1} days are too few for a {window}-day window; "
                        "supply a longer date range.")
    column = [known.index(t) if t in known else -1 for t in graph.tickers]
    values = np.full((window, len(graph.tickers), features.values.shape[-1]), np.nan, np.float32)
    usable = np.zeros((window, len(graph.tickers)), bool)
    on_last = features.complete_windows(window)[last] & panel.eligible.to_numpy()[last]
    for i, j in enumerate(column):
        if j < 0:
            continue
        values[:, i] = features.values[last - window + 1:, j]
        usable[-1, i] = on_last[j]
        if not on_last[j]:
            skipped[graph.tickers[i]] = (f"no complete {window}-day window of features ending "
                                         f"{panel.dates[last].date()} (absent, not a member, or too new)")
    if not usable[-1].any():
        raise DataError(f"{panel.source}: no ticker has a complete {window}-day window ending "
                        f"{panel.dates[last].date()}; supply a longer date range.")
    x = np.nan_to_num(scaler.transform(values), nan=0.0)
    batcher = GraphBatcher(x, np.full(usable.shape, -1), graph, window, usable=usable)
    batch = batcher.day_graph(window - 1)
    proba = model.probabilities(batch.x, batch.edge_index, batch.edge_weight).astype(np.float64)
    thresholds = model.thresholds
    pred = apply_thresholds(proba, thresholds) if thresholds else argmax_predict(proba)
    margin_down, margin_up = margins(proba, thresholds) if thresholds else (np.nan, np.nan)
    score = proba[:, UP] - proba[:, DOWN]
    tickers = [t for t, ok in zip(graph.tickers, usable[-1]) if ok]
    frame = pd.DataFrame({
        "date": panel.dates[last].date().isoformat(),
        "ticker": tickers,
        "p_down": proba[:, DOWN], "p_none": proba[:, NONE], "p_up": proba[:, UP],
        "score": score,
        "margin_down": margin_down, "margin_up": margin_up,
        "pred": pred,  # the class as a number: pandas reads the name "None" as NaN by default
        "call": [CLASS_NAMES[c] for c in pred],
        "against_score": ((pred == UP) & (score < 0)) | ((pred == DOWN) & (score > 0)),
    })
    return Scores(frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True), skipped,
                  thresholds)
