"""Score the latest window of a panel with a saved model: what a user runs the next morning."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from stgnn.checkpoint import model_from_checkpoint
from stgnn.classes import CLASS_NAMES
from stgnn.config import Config
from stgnn.data.batches import GraphBatcher
from stgnn.data.features import compute_features
from stgnn.data.panel import PricePanel
from stgnn.errors import DataError
from stgnn.training.thresholds import DecisionThresholds, apply_thresholds, argmax_predict


@dataclass(frozen=True)
class Scores:
    """The calls of the latest day and the model's tickers that got none, with the reason."""

    frame: pd.DataFrame
    skipped: dict[str, str]


def score_latest(ckpt: dict, panel: PricePanel, *, config: Config | None = None) -> Scores:
    """Probabilities and calls for every ticker usable on the panel's last date.

    A ticker is scored when it has a price on each of the last ``window`` days after the feature
    warm-up (and is eligible that day); the others are listed in ``skipped`` with the reason, and
    their absence changes nothing for the scored ones (they are not in the day graph). A
    checkpoint of several seeds gives their mean probabilities (the walk-forward's ensemble).
    Calls use the checkpoint's tuned thresholds when it has them.

    Returns
    -------
    Scores
        ``frame``: date, ticker, p_down, p_none, p_up, score (p_up - p_down), pred, call; sorted
        by score. ``skipped``: ticker -> why it has no call.
    """
    model, saved, scaler, graph = model_from_checkpoint(ckpt)
    config = config or saved
    known = [t for t in graph.tickers if t in panel.tickers]
    if not known:
        raise DataError(f"The panel holds none of the model's {len(graph.tickers)} tickers; "
                        "supply prices for the tickers it was trained on.")
    skipped = {t: "no prices in the panel" for t in graph.tickers if t not in panel.tickers}
    panel = panel.select(tickers=known)
    features = compute_features(panel, config.features)
    if features.names != list(ckpt["feature_names"]):
        raise DataError(f"The panel gives features {features.names}, the model expects {ckpt['feature_names']}; "
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
    with torch.no_grad():
        proba = torch.softmax(model(batch.x, batch.edge_index, batch.edge_weight), dim=-1).numpy()
    thresholds = ckpt.get("thresholds")
    pred = apply_thresholds(proba, DecisionThresholds.from_dict(thresholds)) if thresholds else argmax_predict(proba)
    tickers = [t for t, ok in zip(graph.tickers, usable[-1]) if ok]
    frame = pd.DataFrame({
        "date": panel.dates[last].date().isoformat(),
        "ticker": tickers,
        "p_down": proba[:, 0], "p_none": proba[:, 1], "p_up": proba[:, 2],
        "score": proba[:, 2] - proba[:, 0],
        "pred": pred,  # the class as a number: pandas reads the name "None" as NaN by default
        "call": [CLASS_NAMES[c] for c in pred],
    })
    return Scores(frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True), skipped)
