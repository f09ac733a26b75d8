"""Next-morning scoring on a ragged panel: the tickers usable on the last day get calls, the others
are named with the reason, and their absence changes nothing for the scored ones."""

from dataclasses import replace

import numpy as np
import pytest

from stgnn.checkpoint import build_checkpoint
from stgnn.inference import score_latest
from stgnn.training.fold import FoldFitter
from stgnn.training.run import single_split
from stgnn.training.trainer import ClassificationSTGNNTrainer


@pytest.fixture
def checkpoint(tiny):
    config, data = tiny
    config = config.updated({"training.epochs": 1})
    split = single_split(config, data)
    trainer = ClassificationSTGNNTrainer(config, FoldFitter(config).fit(data, split.train), split, progress=False)
    trainer.fit()
    return build_checkpoint(trainer.model_, config, trainer.fold, trainer.plan_), data.panel


def _without_last_price(panel, ticker):
    close = panel.close.copy()
    close.iloc[-1, close.columns.get_loc(ticker)] = np.nan
    return replace(panel, close=close)


def test_scores_usable_tickers_and_names_the_skipped(checkpoint):
    ckpt, panel = checkpoint
    full = score_latest(ckpt, panel)
    assert full.skipped == {} and len(full.frame) == len(panel.tickers)
    ragged = score_latest(ckpt, _without_last_price(panel, panel.tickers[0]).select(tickers=panel.tickers[:-1]))
    assert set(ragged.skipped) == {panel.tickers[0], panel.tickers[-1]}
    assert ragged.skipped[panel.tickers[-1]] == "no prices in the panel"
    assert "no complete" in ragged.skipped[panel.tickers[0]]
    assert sorted(ragged.frame["ticker"]) == sorted(panel.tickers[1:-1])
    assert ragged.frame[["p_down", "p_none", "p_up"]].notna().all().all()


def test_a_checkpoint_of_several_seeds_averages_their_probabilities(tiny):
    """The walk-forward's ``--seeds N`` ensemble in one checkpoint: its calls are made from the mean
    of the seeds' probabilities, and a single model's checkpoint keeps its own format."""
    config, data = tiny
    config = config.updated({"training.epochs": 1})
    split = single_split(config, data)
    fold = FoldFitter(config).fit(data, split.train)
    trainers = [ClassificationSTGNNTrainer(config, fold, split, seed=seed, progress=False) for seed in (1, 2)]
    for trainer in trainers:
        trainer.fit()
    plan = trainers[0].plan_
    singles = [build_checkpoint(t.model_, config, fold, plan) for t in trainers]
    ensemble = build_checkpoint([t.model_ for t in trainers], config, fold, plan)
    assert "state_dict" in singles[0] and len(ensemble["state_dicts"]) == 2 and "state_dict" not in ensemble
    columns = ["p_down", "p_none", "p_up"]
    by_ticker = [score_latest(c, data.panel).frame.set_index("ticker").sort_index() for c in singles]
    mean = (by_ticker[0][columns] + by_ticker[1][columns]) / 2
    averaged = score_latest(ensemble, data.panel).frame.set_index("ticker").sort_index()
    np.testing.assert_allclose(averaged[columns], mean, atol=1e-6)
    assert (averaged["pred"] == mean.to_numpy().argmax(axis=1)).all()
