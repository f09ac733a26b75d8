import numpy as np
import pandas as pd
import pytest

from stgnn.config import LabelConfig
from stgnn.data.labels import UNKNOWN, forward_log_return, make_labels


def test_hand_computed_h1():
    close = pd.DataFrame({"A": [100.0, 103.0, 101.0, 101.5, 99.0]})
    labels = make_labels(close, LabelConfig(horizon=1, threshold=0.018))
    # log returns: +0.0296 (Up), -0.0196 (Down), +0.0049 (None), -0.0249 (Down), unknown
    assert labels.y[:, 0].tolist() == [2, 0, 1, 0, UNKNOWN]
    assert np.isnan(labels.fwd_return[-1, 0])
    assert labels.fwd_return[0, 0] == pytest.approx(np.log(103 / 100))


def test_hand_computed_h2():
    close = pd.DataFrame({"A": [100.0, 101.0, 103.0, 100.0, 100.0]})
    y = make_labels(close, LabelConfig(horizon=2, threshold=0.02)).y[:, 0]
    # log(103/100)=+0.0296 Up; log(100/101)=-0.00995 None; log(100/103)=-0.0296 Down; last two unknown
    assert y.tolist() == [2, 1, 0, UNKNOWN, UNKNOWN]


def test_boundary_equal_to_theta_is_none():
    theta = 0.02
    close = pd.DataFrame({"A": [1.0, np.exp(theta), 1.0, np.exp(theta + 1e-9) * 1.0]})
    y = make_labels(close, LabelConfig(threshold=theta)).y[:, 0]
    assert y[0] == 1  # exactly +theta: None
    assert y[1] == 1  # exactly -theta: None
    assert y[2] == 2  # just above: Up


def test_vol_scaled_threshold_is_causal_and_neutral_for_constant_vol():
    rng = np.random.default_rng(0)
    close = pd.DataFrame({"A": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))})
    cfg = LabelConfig(vol_scaled=True, vol_window=10)
    a = make_labels(close, cfg)
    changed = close.copy()
    changed.iloc[200:] *= np.exp(rng.normal(0, 0.05, (100, 1)))
    b = make_labels(changed, cfg)
    np.testing.assert_array_equal(a.threshold[:200], b.threshold[:200])
    alternating = pd.DataFrame({"A": 100 * np.exp(np.cumsum(np.tile([0.01, -0.01], 50)))})
    t = make_labels(alternating, cfg).threshold[20:, 0]
    np.testing.assert_allclose(t, 0.018)


def test_class_counts_and_forward_return():
    close = pd.DataFrame({"A": [100.0, 103.0, 101.0], "B": [10.0, 10.0, 10.5]})
    labels = make_labels(close)
    assert labels.class_counts().tolist() == [1, 1, 2]  # A: Up, Down; B: None, Up
    np.testing.assert_allclose(forward_log_return(close, 1)[0], np.log([1.03, 1.0]))
