import logging

import numpy as np
import pytest
import torch

from stgnn.training.trainer import ClassificationSTGNNTrainer, TrainingCollapsed, load_checkpoint, model_from_checkpoint


def _fit(config, data, **kw):
    trainer = ClassificationSTGNNTrainer(config, data, progress=False, **kw)
    trainer.fit()
    return trainer


def test_deterministic_for_a_seed(tiny):
    config, data = tiny
    a = _fit(config, data, seed=3)
    b = _fit(config, data, seed=3)
    np.testing.assert_array_equal(a.predict_proba(a.split.test), b.predict_proba(b.split.test))


def test_transforms_are_fitted_on_training_days_only(tiny, poisoned):
    """Every price field rewritten on validation and test days: scaler, graph (built from close
    prices), SMOTE samples, class weights and batches of training days are bit-identical."""
    config, data = tiny
    a = ClassificationSTGNNTrainer(config, data, progress=False)
    a._fit_transforms()
    changed = poisoned(config, data.panel, a.split.val[0])
    assert not np.allclose(changed.panel.close.iloc[a.split.val[0]:], data.panel.close.iloc[a.split.val[0]:])
    b = ClassificationSTGNNTrainer(config, changed, split=a.split, progress=False)
    b._fit_transforms()
    np.testing.assert_array_equal(a.scaler_.center_, b.scaler_.center_)
    np.testing.assert_array_equal(a.scaler_.scale_, b.scaler_.scale_)
    np.testing.assert_array_equal(a.graph_.neighbours, b.graph_.neighbours)
    np.testing.assert_array_equal(a.graph_.weights, b.graph_.weights)
    np.testing.assert_array_equal(a.ego_.x, b.ego_.x)
    np.testing.assert_array_equal(a.ego_.y, b.ego_.y)
    np.testing.assert_array_equal(a.plan_.class_weights, b.plan_.class_weights)
    days = a.split.train[:8]
    np.testing.assert_array_equal(a.batcher_.batch(days).x, b.batcher_.batch(days).x)


def test_overrides_and_imbalance_block(tiny, caplog):
    config, data = tiny
    with caplog.at_level(logging.INFO):
        t = _fit(config, data, focal_alpha=0.25, focal_gamma=1.0, price_threshold=0.02)
    assert t.config.loss.focal_alpha == 0.25 and t.config.labels.threshold == 0.02
    assert t.data.labels.threshold[0, 0] == 0.02
    assert "effective weight" in caplog.text and "DOWN-weights Down and Up" in caplog.text
    assert "epoch   1" in caplog.text


def test_history_has_per_class_loss_and_val_metrics(tiny):
    config, data = tiny
    t = _fit(config, data)
    h = t.result_.history[0]
    assert set(h.train_loss_per_class) == {"Down", "None", "Up"}
    assert {"macro_f1", "recall_down", "auroc_mean"} <= set(h.val)


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
    torch.save(t.checkpoint(), tmp_path / "model.pt")
    model, cfg, scaler, graph = model_from_checkpoint(load_checkpoint(tmp_path / "model.pt"))
    batch = t.batcher_.day_graph(int(t.split.test[0]))
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
