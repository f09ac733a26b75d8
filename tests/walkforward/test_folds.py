import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stgnn.data.splits import Split
from stgnn.errors import ConfigError
from stgnn.walkforward.folds import FOLD_COLUMNS, WalkForwardSplitter, fold_table


def bounds(fold: Split) -> tuple[int, ...]:
    return tuple(int(x) for x in (fold.train[0], fold.train[-1], fold.val[0], fold.val[-1], fold.test[0], fold.test[-1]))


def test_hand_case_rolling():
    # 100 days, one fold needs 40 + 1 + 10 + 1 + 10 = 62: (100 - 62) // 10 + 1 = 4 folds, 8 days left over.
    folds = WalkForwardSplitter(train_days=40, val_days=10, test_days=10, purge_days=1).split(np.arange(100))
    assert [bounds(f) for f in folds] == [
        (8, 47, 49, 58, 60, 69),
        (18, 57, 59, 68, 70, 79),
        (28, 67, 69, 78, 80, 89),
        (38, 77, 79, 88, 90, 99),
    ]
    assert all(isinstance(f, Split) and (len(f.train), len(f.val), len(f.test)) == (40, 10, 10) for f in folds)


def test_expanding_trains_from_the_start_on_the_same_val_and_test_windows():
    days = np.arange(100)
    rolling = WalkForwardSplitter(train_days=40, val_days=10, test_days=10).split(days)
    expanding = WalkForwardSplitter(train_days=40, val_days=10, test_days=10, expanding=True).split(days)
    assert [len(f.train) for f in expanding] == [48, 58, 68, 78]
    for r, e in zip(rolling, expanding, strict=True):
        assert e.train[0] == 0 and e.train[-1] == r.train[-1]
        np.testing.assert_array_equal(e.val, r.val)
        np.testing.assert_array_equal(e.test, r.test)


def test_embargo_widens_both_gaps():
    folds = WalkForwardSplitter(train_days=20, val_days=5, test_days=5, purge_days=2, embargo_days=3).split(np.arange(50))
    # gap = 5: fold needs 20 + 5 + 5 + 5 + 5 = 40; (50 - 40) // 5 + 1 = 3 folds.
    assert bounds(folds[-1]) == (10, 29, 35, 39, 45, 49)
    for f in folds:
        assert f.val[0] - f.train[-1] == 6 and f.test[0] - f.val[-1] == 6
        f.check(2)


def test_max_folds_keeps_the_last_n():
    days = np.arange(100)
    every = WalkForwardSplitter(train_days=40, val_days=10, test_days=10).split(days)
    last2 = WalkForwardSplitter(train_days=40, val_days=10, test_days=10, max_folds=2).split(days)
    assert [bounds(f) for f in last2] == [bounds(f) for f in every[-2:]]
    assert WalkForwardSplitter(train_days=40, val_days=10, test_days=10, max_folds=4).n_folds(days) == 4


def test_too_many_folds_is_an_error_not_a_shortfall():
    with pytest.raises(ConfigError, match=r"Too many folds=5 for 100 labelled days: only 4 fit with train_days=40 "
                                          r"\+ val_days=10 \+ test_days=10 \+ 2 gaps of 1"):
        WalkForwardSplitter(train_days=40, val_days=10, test_days=10, max_folds=5).split(np.arange(100))


def test_positions_not_values_are_the_time_axis():
    days = np.arange(30) * 3  # labelled days 0, 3, ..., 87: 30 positions, one fold needs 22, 3 left over
    folds = WalkForwardSplitter(train_days=10, val_days=5, test_days=5, purge_days=1).split(days)
    assert [bounds(f) for f in folds] == [(9, 36, 42, 54, 60, 72), (24, 51, 57, 69, 75, 87)]
    for f in folds:
        f.check(1)


def test_exactly_one_fold_fits_and_leftover_days_go_at_the_start():
    s = WalkForwardSplitter(train_days=5, val_days=2, test_days=3, purge_days=1)
    assert [bounds(f) for f in s.split(np.arange(12))] == [(0, 4, 6, 7, 9, 11)]
    assert [bounds(f) for f in s.split(np.arange(14))] == [(2, 6, 8, 9, 11, 13)]  # 2 left over, < test_days
    assert s.n_folds(np.arange(15)) == 2


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 400), train=st.integers(1, 80), val=st.integers(1, 30), test=st.integers(1, 30),
       purge=st.integers(0, 5), embargo=st.integers(0, 3), expanding=st.booleans(),
       max_folds=st.one_of(st.none(), st.integers(1, 6)), steps=st.lists(st.integers(1, 4), min_size=400, max_size=400))
def test_folds_are_disjoint_ordered_purged_and_tile_the_test_period(n, train, val, test, purge, embargo, expanding,
                                                                    max_folds, steps):
    days = np.cumsum(steps[:n]) + 5  # strictly increasing with random holes: positions are the time axis
    splitter = WalkForwardSplitter(train_days=train, val_days=val, test_days=test, purge_days=purge,
                                   embargo_days=embargo, expanding=expanding, max_folds=max_folds)
    gap = purge + embargo
    fit = (n - (train + val + test + 2 * gap)) // test + 1
    if fit < 1:
        with pytest.raises(ConfigError, match=f"need {train + val + test + 2 * gap} days, got {n} labelled days"):
            splitter.split(days)
        return
    if max_folds is not None and max_folds > fit:
        with pytest.raises(ConfigError, match=f"Too many folds={max_folds}"):
            splitter.split(days)
        return
    folds = splitter.split(days)
    assert len(folds) == splitter.n_folds(days) == (max_folds or fit)
    pos = {int(d): i for i, d in enumerate(days)}
    for f in folds:
        f.check(purge)
        parts = [f.train, f.val, f.test]
        assert [len(p) for p in parts[1:]] == [val, test]
        assert len(f.train) == train if not expanding else (f.train[0] == days[0] and len(f.train) >= train)
        for p in parts:  # contiguous runs of positions
            assert np.array_equal([pos[int(d)] for d in p], np.arange(pos[int(p[0])], pos[int(p[0])] + len(p)))
        assert pos[int(f.val[0])] - pos[int(f.train[-1])] == gap + 1
        assert pos[int(f.test[0])] - pos[int(f.val[-1])] == gap + 1
        assert not (set(f.train) & set(f.val) or set(f.val) & set(f.test) or set(f.train) & set(f.test))
    assert folds[-1].test[-1] == days[-1]
    for a, b in zip(folds, folds[1:]):
        assert pos[int(b.test[0])] == pos[int(a.test[-1])] + 1
        assert b.train[-1] > a.train[-1] and b.val[0] > a.val[0]


def test_no_fold_fits_error_quotes_the_numbers():
    with pytest.raises(ConfigError, match=r"^train_days=756 \+ val_days=126 \+ test_days=126 \+ 2 gaps of 1 need 1010 "
                                          r"days, got 800 labelled days; shorten the windows or use a longer date range\.$"):
        WalkForwardSplitter(train_days=756, val_days=126, test_days=126).split(np.arange(800))
    with pytest.raises(ConfigError, match="2 gaps of 7 need 17 days, got 0 labelled days"):
        WalkForwardSplitter(train_days=1, val_days=1, test_days=1, purge_days=5, embargo_days=2).split(np.arange(0))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"train_days": 0}, "Expected train_days >= 1, got 0."),
    ({"val_days": -3}, "Expected val_days >= 1, got -3."),
    ({"test_days": 0}, "Expected test_days >= 1, got 0."),
    ({"purge_days": -1}, "Expected purge_days >= 0, got -1."),
    ({"embargo_days": -2}, "Expected embargo_days >= 0, got -2."),
    ({"max_folds": 0}, r"Expected max_folds \(--folds\) >= 1, got 0."),
    ({"test_days": 2.5}, "Expected test_days to be an integer >= 1, got 2.5."),
    ({"train_days": True}, "Expected train_days to be an integer >= 1, got True."),
])
def test_bad_settings_fail_at_construction(kwargs, message):
    settings_ = {"train_days": 10, "val_days": 5, "test_days": 5, **kwargs}
    with pytest.raises(ConfigError, match=message):
        WalkForwardSplitter(**settings_)


def test_unsorted_days_are_refused():
    s = WalkForwardSplitter(train_days=2, val_days=1, test_days=1)
    with pytest.raises(ValueError, match="Expected days sorted strictly increasing, got 5 then 5 at positions 2 and 3"):
        s.split(np.array([1, 3, 5, 5, 7, 9, 11]))
    with pytest.raises(ValueError, match="Expected integer day indices, got dtype float64"):
        s.split(np.arange(10.0))


def test_describe_is_the_fold_table():
    dates = pd.bdate_range("2024-01-01", periods=100)
    splits = WalkForwardSplitter(train_days=40, val_days=10, test_days=10).split(np.arange(100))
    table = fold_table(splits, dates)
    assert list(table.columns) == list(FOLD_COLUMNS) == ["fold", "train_start", "train_end", "val_start", "val_end",
                                                         "test_start", "test_end", "n_train", "n_val", "n_test"]
    assert table["fold"].tolist() == [0, 1, 2, 3]
    first = table.iloc[0]
    assert (first["train_start"], first["train_end"], first["test_start"]) == (
        dates[8].date().isoformat(), dates[47].date().isoformat(), dates[60].date().isoformat())
    assert table["test_end"].iloc[-1] == dates[-1].date().isoformat() == "2024-05-17"
    assert table[["n_train", "n_val", "n_test"]].drop_duplicates().values.tolist() == [[40, 10, 10]]
    assert list(fold_table([], dates).columns) == list(FOLD_COLUMNS)


def test_repr_shows_every_setting_and_round_trips():
    s = WalkForwardSplitter(train_days=40, val_days=10, test_days=10, purge_days=2, embargo_days=1, expanding=True,
                            max_folds=3)
    assert repr(s) == ("WalkForwardSplitter(train_days=40, val_days=10, test_days=10, purge_days=2, embargo_days=1, "
                       "expanding=True, max_folds=3)")
    assert repr(eval(repr(s), {"WalkForwardSplitter": WalkForwardSplitter})) == repr(s)
    assert s.gap == 3 and s.min_days == 66
