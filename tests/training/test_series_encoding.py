"""A TCN whose receptive field fits in the window encodes contiguous days along each ticker's
series: the same probabilities, losses and gradients as encoding every window apart."""

import numpy as np
import pytest
import torch

from stgnn.data.dataset import prepare
from stgnn.data.panel import build_panel
from stgnn.data.sources.synthetic import make_market
from stgnn.training.fold import FoldFitter
from stgnn.training.run import single_split
from stgnn.training.trainer import ClassificationSTGNNTrainer
from tests.conftest import tiny_config


def _config(**model):
    return tiny_config(model={"encoder": "tcn", "temporal_layers": 2, "window": 10, **model})  # receptive field 7


def _ragged(config):
    """The synthetic market with a ticker listing late, one delisting, and one with a hole."""
    close = make_market(config.data.synthetic).panel.close.copy()
    close.iloc[:150, 0] = np.nan
    close.iloc[330:, 1] = np.nan
    close.iloc[300:312, 2] = np.nan
    panel = build_panel({"close": close}, origin="ragged", min_history=60, max_ffill=5)
    return prepare(panel, features=config.features, labels=config.labels, window=config.model.window)


def _trainer(config, data, *, series_encoding=True):
    split = single_split(config, data)
    return ClassificationSTGNNTrainer(config, FoldFitter(config).fit(data, split.train), split, progress=False,
                                      series_encoding=series_encoding)


def test_series_encoding_predicts_what_the_windows_do_on_a_ragged_panel():
    config = _config()
    data = _ragged(config)
    trainer = _trainer(config, data)
    trainer.fit()
    assert trainer.series
    days = np.concatenate([trainer.split.val, trainer.split.test])
    assert not data.usable[days].all()  # absent tickers on some of the predicted days
    series = trainer.predict_proba(days)
    trainer.series_encoding = False
    windows = trainer.predict_proba(days)
    assert np.array_equal(np.isnan(series), np.isnan(windows)) and np.isfinite(series[data.usable[days]]).all()
    np.testing.assert_allclose(series, windows, rtol=0, atol=1e-5)


def test_series_chunks_do_not_change_probabilities():
    config = _config()
    trainer = _trainer(config, _ragged(config))
    trainer.fit()
    whole = trainer.predict_proba(trainer.split.test)
    np.testing.assert_allclose(trainer.predict_proba(trainer.split.test, chunk_nodes=1), whole, rtol=0, atol=1e-6)


@pytest.mark.parametrize("smote_mode", ["exact", "centre", "latent"])
def test_a_training_step_has_the_same_loss_and_gradients_either_way(smote_mode):
    """With every SMOTE mode: centre's and latent's synthetic nodes read day nodes that the series encoded."""
    config = _config(dropout=0.0).updated({"smote.mode": smote_mode})
    trainer = _trainer(config, _ragged(config))
    trainer.fit()
    model = trainer.model_.train()
    days = np.concatenate([trainer.split.train[40:60], trainer.split.train[[100, 5, 100, 131]]])  # a run, scatter, a repeat
    homed = np.flatnonzero(np.isin(trainer.fold.ego.base[:, 0], days))[:4]  # centre: neighbours in the batch
    egos = np.concatenate([homed, np.arange(min(6, len(trainer.fold.ego)))])
    assert len(homed)
    assert len(egos)

    def loss_and_grads(series):
        model.zero_grad()
        logits, y, weight = trainer._forward(trainer.batcher.batch(days, egos, series=series))
        loss = (torch.nn.functional.cross_entropy(logits, y, reduction="none") * weight).mean()
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in model.parameters()]

    (loss_s, grads_s), (loss_w, grads_w) = loss_and_grads(True), loss_and_grads(False)
    torch.testing.assert_close(loss_s, loss_w, rtol=0, atol=1e-5)
    for a, b in zip(grads_s, grads_w):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5)


@pytest.mark.parametrize("order", ["shuffled", "contiguous"])
def test_training_without_dropout_follows_the_same_path_either_way(order):
    config = _config(dropout=0.0).updated({"training.epochs": 1, "training.batch_order": order})
    data = _ragged(config)
    runs = [_trainer(config, data, series_encoding=flag) for flag in (True, False)]
    for trainer in runs:
        trainer.fit()
    assert [t.series for t in runs] == [True, False]
    assert runs[0].result_.history[0].train_loss == pytest.approx(runs[1].result_.history[0].train_loss, abs=1e-5)
    for a, b in zip(runs[0].model_.parameters(), runs[1].model_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5)

