"""Score the latest window of a panel with a saved model: what a user runs the next morning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from stgnn.classes import CLASS_NAMES
from stgnn.config import Config
from stgnn.data.batches import GraphBatcher
from stgnn.data.features import compute_features
from stgnn.data.panel import PricePanel
from stgnn.errors import DataError
from stgnn.training.thresholds import DecisionThresholds, apply_thresholds, argmax_predict
from stgnn.checkpoint import model_from_checkpoint


def score_latest(ckpt: dict, panel: PricePanel, *, config: Config | None = None) -> pd.DataFrame:
    """Probabilities and calls for every ticker on the panel's last date.

    The panel must hold the checkpoint's tickers (others are ignored) and enough history for the
    features and one window. Calls use the checkpoint's tuned thresholds when it has them.

    Returns
    -------
    pd.DataFrame
        date, ticker, p_down, p_none, p_up, score (p_up - p_down), call; sorted by score.
    """
    model, saved, scaler, graph = model_from_checkpoint(ckpt)
    config = config or saved
    missing = [t for t in graph.tickers if t not in panel.tickers]
    if missing:
        raise DataError(f"The panel lacks ticker(s) {', '.join(missing)} the model was trained on; "
                        "supply prices for all of them.")
    panel = panel.select(tickers=graph.tickers)
    features = compute_features(panel, config.features)
    if features.names != list(ckpt["feature_names"]):
        raise DataError(f"The panel gives features {features.names}, the model expects {ckpt['feature_names']}; "
                        "supply the same price fields (open/high/low/volume) the model was trained with.")
    window = config.model.window
    last = len(panel.dates) - 1
    if last - features.first_complete + 1 < window:
        raise DataError(f"{panel.source}: too little history for a {window}-day window after feature warm-up; "
                        "supply a longer date range.")
    x = scaler.transform(features.values[last - window + 1:])
    batcher = GraphBatcher(x, np.full(x.shape[:2], -1), graph, window)
    batch = batcher.day_graph(window - 1)
    with torch.no_grad():
        proba = torch.softmax(model(batch.x, batch.edge_index, batch.edge_weight), dim=-1).numpy()
    thresholds = ckpt.get("thresholds")
    pred = apply_thresholds(proba, DecisionThresholds.from_dict(thresholds)) if thresholds else argmax_predict(proba)
    frame = pd.DataFrame({
        "date": panel.dates[last].date().isoformat(),
        "ticker": graph.tickers,
        "p_down": proba[:, 0], "p_none": proba[:, 1], "p_up": proba[:, 2],
        "score": proba[:, 2] - proba[:, 0],
        "pred": pred,  # the class as a number: pandas reads the name "None" as NaN by default
        "call": [CLASS_NAMES[c] for c in pred],
    })
    return frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
