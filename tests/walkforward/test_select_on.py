"""Trials are chosen by the validation figure ``walkforward.select_on`` names."""

import numpy as np
import pytest

from stgnn.evaluation.metrics import information_coefficients
from stgnn.training.trainer import predictions_frame
from stgnn.walkforward.search import _selection_score


def test_select_on_rank_ic_scores_the_validation_rank_ic(tiny):
    """Two probability cubes that rank the validation days' returns in opposite orders: rank_ic
    prefers the one that agrees with them, whatever their macro-F1."""
    _, data = tiny
    days = data.labelled_days[-40:]
    ret = np.nan_to_num(data.labels.target_return[days])
    good = np.full((len(days), len(data.tickers), 3), 1 / 3)
    good[..., 2] += 3 * ret
    good[..., 0] -= 3 * ret
    bad = good[..., ::-1].copy()
    scores = {name: _selection_score(predictions_frame(data, days, proba), "rank_ic")
              for name, proba in (("good", good), ("bad", bad))}
    assert scores["good"] > 0.5 > -0.5 > scores["bad"]
    frame = predictions_frame(data, days, good).assign(pred=1)
    assert scores["good"] == pytest.approx(information_coefficients(frame)["rank_ic"])
