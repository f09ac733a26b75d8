"""The validation search of one window: fitted folds shared by trials, each trial a seed ensemble."""

import logging

import numpy as np
import pytest

from stgnn.training.trainer import ClassificationSTGNNTrainer
from stgnn.walkforward.runner import make_splitter, plan_folds
from stgnn.walkforward.search import Window

pytestmark = pytest.mark.slow


def _window(config, data, split=None):
    split = plan_folds(config, data)[0][0] if split is None else split
    return Window(config, data, split, seed=config.training.seed, name="fold 0")


def test_trials_with_the_same_data_settings_share_one_fitted_fold(tiny):
    config, data = tiny
    window = _window(config, data)
    fold = window.fold_for(config)
    assert window.fold_for(config.updated({"loss.focal_gamma": 3.0, "training.lr": 0.01})) is fold
    assert window.fold_for(config.updated({"graph.k": 3})) is not fold


def test_the_search_chooses_the_best_trial_whose_seeds_average_into_its_predictions(tiny):
    config, data = tiny
    config = config.updated({"walkforward.seeds": 2, "walkforward.grid": {"loss.focal_gamma": [0.0, 3.0]}})
    window = _window(config, data)
    found = window.search()
    assert [t["params"] for t in found.trials] == [{"loss.focal_gamma": 0.0}, {"loss.focal_gamma": 3.0}]
    assert found.params == max(found.trials, key=lambda t: t["val_score"])["params"]
    ensemble = found.ensemble
    assert len(ensemble.models) == len(ensemble.best_epochs) == len(ensemble.seed_metrics) == 2
    chosen = config.updated(found.params)
    seeds = [ClassificationSTGNNTrainer.from_model(chosen, window.fold_for(chosen), window.split, model)
             for model in ensemble.models]
    for days, mean in ((window.split.val, ensemble.val), (window.split.test, ensemble.test)):
        np.testing.assert_array_equal(np.mean([s.predict_proba(days) for s in seeds], axis=0), mean)


def test_the_final_window_has_no_test_predictions(tiny):
    config, data = tiny
    window = _window(config, data, make_splitter(config).final(data.labelled_days))
    model = window.tune()
    assert model.ensemble.test is None and model.ensemble.seed_metrics == []
    assert model.checkpoint["thresholds"] == model.thresholds.to_dict()


def test_a_folds_imbalance_block_is_logged_once_and_each_trial_labels_its_two_macro_f1s(tiny, caplog):
    """Two trials and the temporal-only search share one fitted fold: one imbalance block at INFO,
    every trainer's own at DEBUG; each trial's line says which macro-F1 is argmax and which tuned."""
    config, data = tiny
    config = config.updated({"walkforward.grid": {"loss.focal_gamma": [1.0, 3.0]}})
    window = _window(config, data)
    with caplog.at_level(logging.DEBUG, logger="stgnn"):
        window.search()
        window.search({"model.graph": False}, "no graph")
    blocks = [r for r in caplog.records if "imbalance: loss" in r.getMessage()]
    assert [r.levelno for r in blocks] == [logging.INFO] + [logging.DEBUG] * 4
    assert blocks[0].getMessage().startswith("fold 0, shared by its trials: imbalance: loss focal")
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.getMessage().startswith("epoch "))
    trials = [r.getMessage() for r in caplog.records if " trial {" in r.getMessage()]
    assert len(trials) == 4 and all(r.levelno == logging.INFO for r in caplog.records if " trial {" in r.getMessage())
    assert all("val macro-F1 argmax " in t and ", at tuned thresholds " in t and "(the selection score)" in t
               for t in trials)
