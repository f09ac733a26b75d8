import logging
from dataclasses import replace

import numpy as np
import pytest
import torch

from stgnn.checkpoint import build_checkpoint, load_checkpoint, model_from_checkpoint, save_checkpoint
from stgnn.errors import ConfigError
from stgnn.training.fold import FoldFitter
from stgnn.training.run import single_split
from stgnn.training.trainer import ClassificationSTGNNTrainer, TrainingCollapsed
from tests.conftest import tiny_config


def _fold(config, data):
    split = single_split(config, data)
    return FoldFitter(config).fit(data, split.train), split


def _fit(config, data, **kw):
    fold, split = _fold(config, data)
    trainer = ClassificationSTGNNTrainer(config, fold, split, progress=False, **kw)
    trainer.fit()
    return trainer


def test_deterministic_for_a_seed(tiny):
    config, data = tiny
    a = _fit(config, data, seed=3)
    b = _fit(config, data, seed=3)
    np.testing.assert_array_equal(a.predict_proba(a.split.test), b.predict_proba(b.split.test))


@pytest.mark.parametrize("method", ["correlation", "residual"])
def test_fold_is_fitted_on_training_days_only(tiny, poisoned, method):
    """Every price field rewritten on validation and test days: scaler, graph (built from close
    prices, with or without the market factor removed), SMOTE samples, class weights and batches
    of training days are bit-identical."""
    config, data = tiny
    config = config.updated({"graph.method": method})
    a, split = _fold(config, data)
    changed = poisoned(config, data.panel, split.val[0])
    assert not np.allclose(changed.panel.close.iloc[split.val[0]:], data.panel.close.iloc[split.val[0]:])
    b = FoldFitter(config).fit(changed, split.train)
    np.testing.assert_array_equal(a.scaler.center_, b.scaler.center_)
    np.testing.assert_array_equal(a.scaler.scale_, b.scaler.scale_)
    np.testing.assert_array_equal(a.graph.neighbours, b.graph.neighbours)
    np.testing.assert_array_equal(a.graph.weights, b.graph.weights)
    for field in ("base", "other", "gap", "y", "edge_weight"):
        np.testing.assert_array_equal(getattr(a.ego, field), getattr(b.ego, field))
    window = config.model.window
    np.testing.assert_array_equal(a.ego.windows(a.x, a.graph, window), b.ego.windows(b.x, b.graph, window))
    np.testing.assert_array_equal(a.plan.class_weights, b.plan.class_weights)
    days = split.train[:8]
    np.testing.assert_array_equal(a.batcher.batch(days).x, b.batcher.batch(days).x)


def test_one_fold_serves_trials_and_seeds_and_is_checked(tiny):
    config, data = tiny
    fold, split = _fold(config, data)
    a = ClassificationSTGNNTrainer(config.updated({"loss.focal_gamma": 0.5}), fold, split, seed=1, progress=False)
    assert a.plan_.gamma == 0.5 and fold.plan.gamma == config.loss.focal_gamma
    np.testing.assert_array_equal(a.plan_.class_weights, fold.plan.class_weights)
    with pytest.raises(ValueError, match="the config the fold was fitted with"):
        ClassificationSTGNNTrainer(config.updated({"graph.k": 2}), fold, split)
    with pytest.raises(ValueError, match="split.train to be the days the fold was fitted on"):
        ClassificationSTGNNTrainer(config, fold, replace(split, train=split.train[1:]))


def test_fold_relabels_and_logs_the_imbalance_plan(tiny, caplog):
    config, data = tiny
    cfg = config.updated({"loss.focal_alpha": 0.25, "loss.focal_gamma": 1.0, "labels.threshold": 0.02})
    with caplog.at_level(logging.INFO):
        t = _fit(cfg, data)
    assert t.data.labels.threshold[0, 0] == 0.02 and t.plan_.alpha == 0.25
    assert "effective weight" in caplog.text and "DOWN-weights Down and Up" in caplog.text
    assert "epoch   1" in caplog.text


def test_history_has_per_class_loss_and_val_metrics(tiny):
    config, data = tiny
    t = _fit(config, data)
    h = t.result_.history[0]
    assert set(h.train_loss_per_class) == {"Down", "None", "Up"}
    assert {"macro_f1", "recall_down", "auroc_mean"} <= set(h.val)


def test_monitor_rank_ic_keeps_the_epoch_with_the_best_validation_rank_ic(tiny):
    """The kept epoch is the one whose mean daily validation Rank IC (recomputed here from the
    predictions, not read from the trainer) is highest."""
    from stgnn.evaluation.metrics import information_coefficients

    config, data = tiny
    cfg = config.updated({"training.monitor": "rank_ic", "training.epochs": 4, "training.patience": 4})
    t = _fit(cfg, data)
    ics = [h.val["rank_ic"] for h in t.result_.history]
    assert t.result_.monitor == "rank_ic" and t.result_.best_score == max(ics)
    assert t.result_.best_epoch == int(np.argmax(ics)) + 1
    frame = t.predictions(t.split.val)
    assert information_coefficients(frame.assign(pred=1))["rank_ic"] == pytest.approx(max(ics), abs=1e-6)


def test_collapse_alarm_aborts_when_asked(tiny):
    config, data = tiny
    # lr=0 and a huge None weight keep the untrained model predicting one class.
    cfg = config.updated({"training.lr": 1e-12, "training.collapse_abort": True, "loss.focal_alpha": [0.0, 1.0, 0.0],
                          "smote.enabled": False})
    with pytest.raises(TrainingCollapsed, match="collapsed"):
        _fit(cfg, data)


def test_balanced_sampler_and_fnr_target_run(tiny):
    config, data = tiny
    cfg = config.updated({"training.balanced_sampler": True, "training.fnr_target": 0.5, "smote.enabled": False})
    t = _fit(cfg, data)
    assert t.plan_.sampler and t.result_.best_epoch >= 1


def test_checkpoint_round_trip(tiny, tmp_path):
    config, data = tiny
    t = _fit(config, data)
    save_checkpoint(build_checkpoint(t.model_, t.config, t.fold, t.plan_), tmp_path / "model.pt")
    model, cfg, scaler, graph = model_from_checkpoint(load_checkpoint(tmp_path / "model.pt"))
    batch = t.fold.batcher.day_graph(int(t.split.test[0]))
    with torch.no_grad():
        expected = torch.softmax(t.model_(batch.x, batch.edge_index, batch.edge_weight), -1)
        got = torch.softmax(model(batch.x, batch.edge_index, batch.edge_weight), -1)
    torch.testing.assert_close(got, expected)
    assert graph.tickers == data.tickers and cfg == t.config


def test_load_checkpoint_errors(tmp_path):
    from stgnn.errors import StgnnError
    with pytest.raises(StgnnError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(StgnnError, match="not a readable stgnn checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"a": 1}, tmp_path / "other.pt")
    with pytest.raises(StgnnError, match="not an stgnn checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_prediction_chunks_do_not_change_probabilities(tiny):
    config, data = tiny
    t = _fit(config, data)
    whole = t.predict_proba(t.split.test)
    np.testing.assert_allclose(t.predict_proba(t.split.test, chunk_nodes=1), whole, rtol=0, atol=1e-6)  # a day a chunk


def test_a_trainer_adopts_a_copy_of_a_model_trained_elsewhere(tiny):
    config, data = tiny
    t = _fit(config, data)
    adopted = ClassificationSTGNNTrainer.from_model(config, t.fold, t.split, t.model_)
    assert adopted.model_ is not t.model_
    np.testing.assert_array_equal(adopted.predict_proba(t.split.test), t.predict_proba(t.split.test))


def test_bf16_autocast_trains_and_predicts_close_to_fp32(tiny):
    config, data = tiny
    fp32 = _fit(config, data).predict_proba(data.labelled_days[-20:])
    bf16 = _fit(config.updated({"training.precision": "bf16"}), data).predict_proba(data.labelled_days[-20:])
    assert np.array_equal(np.isnan(fp32), np.isnan(bf16))
    assert 0 < np.nanmax(np.abs(fp32 - bf16)) < 0.05  # bf16 took effect, and did little harm


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@cuda
def test_gpu_training_syncs_with_the_host_per_epoch_not_per_step(tiny):
    """Host syncs counted by torch's sync debug mode: the same with 3 or 6 batches per epoch (after
    a first run has paid the one-off start-up)."""
    config, data = tiny
    _fit(config.updated({"training.device": "cuda", "training.epochs": 1}), data)
    counts = []
    n_train = len(single_split(config, data).train)
    for batch_days in (n_train // 3 + 1, n_train // 6 + 1):
        cfg = config.updated({"training.device": "cuda", "training.batch_days": batch_days, "training.epochs": 1})
        fold, split = _fold(cfg, data)
        trainer = ClassificationSTGNNTrainer(cfg, fold, split, progress=False)
        torch.cuda.set_sync_debug_mode("warn")
        try:
            with pytest.warns(UserWarning) as record:
                trainer.fit()
        finally:
            torch.cuda.set_sync_debug_mode("default")
        counts.append(sum("synchronizing" in str(w.message) for w in record))
    assert counts[0] > 0 and counts[0] == counts[1]  # > 0: the debug mode did report (an epoch's reads)


@cuda
def test_gpu_batches_and_probabilities_match_the_cpu(tiny):
    config, data = tiny
    cfg = config.updated({"training.device": "cuda"})
    trainer = _fit(cfg, data)
    days, egos = trainer.split.train[:5], np.arange(min(7, len(trainer.fold.ego)))
    on_cpu, on_gpu = trainer.fold.batcher.batch(days, egos), trainer.batcher.batch(days, egos)
    for key in ("x", "y", "sample_weight", "labelled_index", "edge_index", "edge_weight"):
        torch.testing.assert_close(on_gpu[key].cpu(), on_cpu[key], rtol=0, atol=1e-6)
    assert trainer.fold.batcher.to("cuda") is trainer.batcher and trainer.batcher.to("cpu") is trainer.fold.batcher
    cpu_trainer = ClassificationSTGNNTrainer.from_model(config.updated({"training.device": "cpu"}), trainer.fold,
                                                        trainer.split, trainer.model_)
    assert cpu_trainer.model_ is not trainer.model_ and next(trainer.model_.parameters()).is_cuda
    diff = trainer.predict_proba(trainer.split.test) - cpu_trainer.predict_proba(trainer.split.test)
    assert np.nanmax(np.abs(diff)) < 1e-4


@pytest.mark.parametrize("mode", ["centre", "latent"])
@pytest.mark.parametrize("sampler", [False, True])
def test_attached_smote_puts_each_synthetic_sample_in_the_batch_of_its_base_day(tiny, sampler, mode):
    """Once an epoch each; with the balanced sampler (days drawn with replacement) a sample whose
    day was not drawn still comes, in some batch, with the nodes it reads added by the batcher."""
    config, data = tiny
    config = config.updated({"smote.mode": mode, "training.balanced_sampler": sampler})
    fold, split = _fold(config, data)
    trainer = ClassificationSTGNNTrainer(config, fold, split, progress=False)
    batches = list(trainer._epoch_batches(np.random.default_rng(0)))
    egos = np.concatenate([e for _, e in batches])
    assert len(fold.ego) > 0 and sorted(egos.tolist()) == list(range(len(fold.ego)))
    drawn = np.concatenate([d for d, _ in batches])
    homed = [np.isin(fold.ego.base[e, 0], d) for d, e in batches]
    assert np.concatenate(homed).sum() == np.isin(fold.ego.base[egos, 0], drawn).sum()
    assert all(h.all() for h in homed) or sampler
    trainer.fit()
    assert np.isfinite(trainer.result_.history[0].train_loss)


def test_contiguous_batches_are_shuffled_runs_of_consecutive_training_days(tiny):
    """Each training day once an epoch; each batch one run of consecutive training days, or two
    where it wraps from the last day to the first; the same number and sizes of batches as
    shuffled days; new cuts and a new order each epoch; SMOTE's centres still go home."""
    config, data = tiny
    config = config.updated({"training.batch_order": "contiguous", "training.batch_days": 7, "smote.mode": "centre"})
    fold, split = _fold(config, data)
    trainer = ClassificationSTGNNTrainer(config, fold, split, progress=False)
    rng = np.random.default_rng(0)
    position = {day: i for i, day in enumerate(np.sort(split.train))}
    epochs = [list(trainer._epoch_batches(rng)) for _ in range(2)]
    shuffled = list(ClassificationSTGNNTrainer(config.updated({"training.batch_order": "shuffled"}), fold, split,
                                               progress=False)._epoch_batches(np.random.default_rng(0)))
    for batches in epochs:
        days = [d for d, _ in batches]
        assert sorted(np.concatenate(days).tolist()) == sorted(split.train.tolist())
        assert sorted(len(d) for d in days) == sorted(len(d) for d, _ in shuffled)
        breaks = [int((np.diff([position[day] for day in d]) != 1).sum()) for d in days]
        assert max(breaks) <= 1 and sum(breaks) <= 1  # only the batch that wraps round has a break
        assert all(np.isin(fold.ego.base[e, 0], d).all() for d, e in batches)
        assert sorted(np.concatenate([e for _, e in batches]).tolist()) == list(range(len(fold.ego)))
    firsts = [[int(d[0]) for d, _ in batches] for batches in epochs]
    assert firsts[0] != firsts[1] and firsts[0] != sorted(firsts[0])


def test_contiguous_batches_refuse_the_balanced_sampler():
    with pytest.raises(ConfigError, match="choose one"):
        tiny_config().updated({"training.batch_order": "contiguous", "training.balanced_sampler": True})
