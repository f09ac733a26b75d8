"""Next-morning scoring on a ragged panel: the tickers usable on the last day get calls, the others
are named with the reason, and their absence changes nothing for the scored ones."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from stgnn.checkpoint import build_checkpoint, save_checkpoint
from stgnn.cli import main
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


def test_the_printed_rule_reproduces_every_call_from_its_row(checkpoint, tmp_path, capsys):
    """predict prints the thresholds and the rule; applied to each row's own margins it gives the
    row's call, and a call against its score's sign is flagged. Thresholds at the medians make
    calls of several kinds and Up calls on negative scores (the score is compared with t_up - t_down)."""
    ckpt, _ = checkpoint
    frame = score_latest(ckpt, checkpoint[1]).frame
    t_down, t_up = float(frame["p_down"].median()), float(frame["p_up"].median())
    thresholds = {"down": t_down, "up": t_up, "objective": "macro_f1", "value": 0.0, "feasible": True}
    save_checkpoint({**ckpt, "thresholds": thresholds}, tmp_path / "model.pt")
    code = main(["predict", "--checkpoint", str(tmp_path / "model.pt"), "--out", str(tmp_path / "calls.csv")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"t_down {t_down:.4f}, t_up {t_up:.4f}" in err and f"t_up - t_down = {t_up - t_down:+.4f}" in err
    rows = pd.read_csv(tmp_path / "calls.csv", keep_default_na=False)
    np.testing.assert_allclose(rows["margin_down"], rows["p_down"] - t_down, atol=1e-12)
    np.testing.assert_allclose(rows["margin_up"], rows["p_up"] - t_up, atol=1e-12)
    # The printed rule: the side with the larger margin if that margin is >= 0, else None.
    best = np.where(rows["margin_up"] > rows["margin_down"], "Up",
                    np.where(rows["margin_down"] > rows["margin_up"], "Down", "None"))
    by_rule = np.where(np.maximum(rows["margin_down"], rows["margin_up"]) >= 0, best, "None")
    assert (by_rule == rows["call"]).all() and rows["call"].nunique() >= 2
    against = ((rows["call"] == "Up") & (rows["score"] < 0)) | ((rows["call"] == "Down") & (rows["score"] > 0))
    assert (rows["against_score"] == against).all() and against.any()
    assert f"against_score: {int(against.sum())} row" in err
