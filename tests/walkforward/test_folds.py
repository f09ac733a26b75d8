import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stgnn.errors import ConfigError
from stgnn.walkforward.folds import WalkForwardSplitter, describe


def test_hand_case_rolling():
    folds = WalkForwardSplitter(train_days=40, val_days=10, test_days=10, purge_days=1).split(np.arange(100))
    assert len(folds) == 4
    last = folds[-1]
    assert (last.train[0], last.train[-1], last.val[0], last.val[-1], last.test[0], last.test[-1]) == (38, 77, 79, 88, 90, 99)
    assert all(len(f.train) == 40 for f in folds)


def test_expanding_trains_from_the_start_and_max_folds_keeps_the_last():
    days = np.arange(100)
    folds = WalkForwardSplitter(train_days=40, val_days=10, test_days=10, expanding=True).split(days)
    assert all(f.train[0] == 0 for f in folds) and len(folds[-1].train) > len(folds[0].train)
    last2 = WalkForwardSplitter(train_days=40, val_days=10, test_days=10, max_folds=2).split(days)
    np.testing.assert_array_equal(last2[-1].test, folds[-1].test)
    assert len(last2) == 2


@settings(max_examples=40, deadline=None)
@given(n=st.integers(60, 400), train=st.integers(10, 80), val=st.integers(5, 30), test=st.integers(5, 30),
       purge=st.integers(0, 5), embargo=st.integers(0, 3), gappy=st.booleans())
def test_folds_are_ordered_disjoint_purged_and_tile_the_test_period(n, train, val, test, purge, embargo, gappy):
    days = np.arange(n) * (2 if gappy else 1)  # positions, not values, are the time axis
    splitter = WalkForwardSplitter(train_days=train, val_days=val, test_days=test, purge_days=purge,
                                   embargo_days=embargo)
    if n < train + val + test + 2 * (purge + embargo):
        with pytest.raises(ConfigError, match="need"):
            splitter.split(days)
        return
    folds = splitter.split(days)
    pos = {d: i for i, d in enumerate(days)}
    for f in folds:
        assert pos[f.val[0]] - pos[f.train[-1]] == purge + embargo + 1
        assert pos[f.test[0]] - pos[f.val[-1]] == purge + embargo + 1
    assert folds[-1].test[-1] == days[-1]
    for a, b in zip(folds, folds[1:]):
        assert pos[b.test[0]] == pos[a.test[-1]] + 1


def test_errors_quote_the_numbers():
    with pytest.raises(ConfigError, match=r"train_days=756 \+ val_days=126 \+ test_days=126 \+ 2 gaps of 1 need 1010 labelled days, got 800"):
        WalkForwardSplitter(train_days=756, val_days=126, test_days=126).split(np.arange(800))
    with pytest.raises(ConfigError, match="Expected test_days >= 1, got 0"):
        WalkForwardSplitter(train_days=10, val_days=5, test_days=0)
    with pytest.raises(ConfigError, match="Expected folds >= 1"):
        WalkForwardSplitter(train_days=10, val_days=5, test_days=5, max_folds=0)


def test_describe_and_repr():
    dates = pd.bdate_range("2020-01-01", periods=100)
    s = WalkForwardSplitter(train_days=40, val_days=10, test_days=10)
    table = describe(s.split(np.arange(100)), dates)
    assert list(table.columns) == ["fold", "train_start", "train_end", "val_start", "val_end", "test_start",
                                   "test_end", "n_train", "n_val", "n_test"]
    assert table["test_end"].iloc[-1] == dates[-1].date().isoformat()
    assert "train_days=40" in repr(s)
