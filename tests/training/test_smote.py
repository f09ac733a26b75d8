import logging

import numpy as np
import pytest

from imblearn.over_sampling import SMOTE

from stgnn.data.graph import Graph
from stgnn.errors import ConfigError
from stgnn.training.smote import EgoSMOTE, same_day_recipe, target_counts

T, N, F, W = 60, 4, 3, 5
GRAPH = Graph(["A", "B", "C", "D"], np.array([[1, 2], [0, 3], [3, 0], [2, 1]]), np.full((4, 2), 0.5))


def _panel(labels_by_class=(30, 150, 40), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, N, F)).astype(np.float32)
    y = np.full((T, N), -1)
    days = np.arange(W, T)
    cells = [(d, i) for d in days for i in range(N)]
    labels = np.repeat([0, 1, 2], labels_by_class)[: len(cells)]
    rng.shuffle(labels)
    for (d, i), c in zip(cells, labels):
        y[d, i] = c
    return x, y, days


def test_target_counts_strategies():
    c = np.array([10, 100, 20])
    assert target_counts(c, target_ratio=0.5).tolist() == [50, 100, 50]
    assert target_counts(c, target_ratio=0.1).tolist() == [10, 100, 20]  # never removes
    assert target_counts(c, sampling_strategy="auto").tolist() == [100, 100, 100]
    assert target_counts(c, sampling_strategy="minority").tolist() == [100, 100, 20]
    assert target_counts(c, sampling_strategy={"Up": 60}).tolist() == [10, 100, 60]
    with pytest.raises(ConfigError, match="only adds samples"):
        target_counts(c, sampling_strategy={"Up": 5})
    with pytest.raises(ConfigError, match="Expected SMOTE sampling_strategy"):
        target_counts(c, sampling_strategy="balanced")


def test_synthetic_rows_become_ego_graphs_of_the_right_classes():
    x, y, days = _panel()
    smote = EgoSMOTE(target_ratio=None, sampling_strategy="auto", k_neighbors=3, random_state=0)
    ego = smote.fit_resample(x, y, days, GRAPH, W)
    before = smote.report_.counts_before
    assert before.tolist() == np.bincount(y[y >= 0], minlength=3).tolist()
    assert smote.report_.counts_after.tolist() == [before[1]] * 3
    windows = ego.windows(x, GRAPH, W)
    assert windows.shape == (len(ego), 3, W, F) and windows.dtype == np.float32
    assert np.bincount(ego.y, minlength=3).tolist() == [before[1] - before[0], 0, before[1] - before[2]]
    assert ego.edge_weight.shape == (len(ego), 2)
    np.testing.assert_allclose(ego.edge_weight, 0.5, atol=1e-6)  # interpolating equal weights


def test_synthetic_samples_lie_between_real_same_class_samples():
    x, y, days = _panel()
    ego = EgoSMOTE(sampling_strategy="minority", target_ratio=None, k_neighbors=3).fit_resample(x, y, days, GRAPH, W)
    assert set(ego.y.tolist()) == {0}  # only the minority class, even with one class to grow
    assert (y[ego.base[:, 0], ego.base[:, 1]] == 0).all() and (y[ego.other[:, 0], ego.other[:, 1]] == 0).all()
    assert ((ego.gap >= 0) & (ego.gap < 1)).all()
    windows = ego.windows(x, GRAPH, W)
    assert windows.min() >= x.min() and windows.max() <= x.max()


def test_only_training_days_are_read():
    x, y, days = _panel()
    train = days[: len(days) // 2]
    a = EgoSMOTE(random_state=1).fit_resample(x, y, train, GRAPH, W)
    x2 = x.copy()
    x2[train[-1] + 1:] = 99.0  # everything after the last training day
    b = EgoSMOTE(random_state=1).fit_resample(x2, y, train, GRAPH, W)
    np.testing.assert_array_equal(a.windows(x, GRAPH, W), b.windows(x2, GRAPH, W))
    assert a.base[:, 0].max() <= train[-1] and a.other[:, 0].max() <= train[-1]


def test_deterministic_for_a_seed():
    x, y, days = _panel()
    a = EgoSMOTE(random_state=3).fit_resample(x, y, days, GRAPH, W)
    b = EgoSMOTE(random_state=3).fit_resample(x, y, days, GRAPH, W)
    for field in ("base", "other", "gap", "y", "edge_weight"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


@pytest.mark.parametrize("strategy", ["auto", "minority"])
def test_recipes_make_exactly_the_rows_imbalanced_learns_smote_makes(strategy):
    """The same neighbours and draws as imblearn's SMOTE on the flattened ego windows
    (plus edge weights) of the training rows, which materialises every synthetic row."""
    x, y, days = _panel()
    graph = Graph(GRAPH.tickers, GRAPH.neighbours, np.random.default_rng(5).uniform(size=(N, 2)))
    smote = EgoSMOTE(sampling_strategy=strategy, target_ratio=None, k_neighbors=3, random_state=7, max_pool=None)
    ego = smote.fit_resample(x, y, days, graph, W)
    day, centre = np.nonzero(y[days] >= 0)
    day = days[day]
    labels = y[day, centre]
    grow = np.flatnonzero(smote.report_.counts_after > smote.report_.counts_before)
    rows = np.flatnonzero(np.isin(labels, grow) | (labels == 1))  # a majority row or two satisfy imblearn
    flat = EgoSMOTE._flatten(x, day[rows], centre[rows], graph, W)
    want = {int(c): int(smote.report_.counts_after[c] - smote.report_.counts_before[c] + (labels[rows] == c).sum())
            for c in grow}
    resampled, y_res = SMOTE(sampling_strategy=want, k_neighbors=3, random_state=7).fit_resample(flat, labels[rows])
    expected = resampled[len(rows):]
    got = np.concatenate([ego.windows(x, graph, W).reshape(len(ego), -1), ego.edge_weight], axis=1)
    np.testing.assert_array_equal(ego.y, y_res[len(rows):])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)  # float32 here, through float64 there


def test_k_shrinks_then_smote_is_skipped(caplog):
    x, y, days = _panel((3, 200, 17))
    with caplog.at_level(logging.WARNING):
        smote = EgoSMOTE(k_neighbors=5)
        ego = smote.fit_resample(x, y, days, GRAPH, W)
    assert smote.report_.k_neighbors == 2 and len(ego) > 0
    assert "shrunk from 5 to 2" in caplog.text
    x, y, days = _panel((1, 200, 19))
    with caplog.at_level(logging.WARNING):
        smote = EgoSMOTE(k_neighbors=5)
        ego = smote.fit_resample(x, y, days, GRAPH, W)
    assert len(ego) == 0 and "skipped: class Down has 1 training samples" in caplog.text


def test_a_capped_pool_adds_the_same_number_of_rows():
    x, y, days = _panel((60, 150, 50))
    full = EgoSMOTE(target_ratio=1.0, max_pool=None).fit_resample(x, y, days, GRAPH, W)
    capped = EgoSMOTE(target_ratio=1.0, max_pool=20)
    ego = capped.fit_resample(x, y, days, GRAPH, W)
    assert np.bincount(ego.y, minlength=3).tolist() == np.bincount(full.y, minlength=3).tolist()
    assert capped.report_.counts_after.tolist() == [150, 150, 150]


def _nearest_same_day(x, y, day, centre, graph, k):
    """Brute force: the k nearest rows (by flattened ego window) of one row among its day's rows of its class."""
    others = [c for c in range(N) if c != centre and y[day, c] == y[day, centre]]
    flat = EgoSMOTE._flatten(x, np.full(len(others) + 1, day), np.array([centre, *others]), graph, W)
    distance = np.linalg.norm(flat[1:] - flat[0], axis=1)
    return {others[i] for i in np.argsort(distance)[:k]}


def test_same_day_recipes_pair_a_row_with_its_nearest_rows_of_that_day():
    """Both rows of every sample on one day and of its class; each partner among the base's k
    nearest of that day; the same counts as SMOTE across days; seeded."""
    x, y, days = _panel((60, 120, 60))
    smote = EgoSMOTE(target_ratio=1.0, k_neighbors=1, random_state=2, same_day=True)
    ego = smote.fit_resample(x, y, days, GRAPH, W)
    across = EgoSMOTE(target_ratio=1.0, k_neighbors=1, random_state=2).fit_resample(x, y, days, GRAPH, W)
    assert np.bincount(ego.y, minlength=3).tolist() == np.bincount(across.y, minlength=3).tolist()
    assert (ego.base[:, 0] == ego.other[:, 0]).all() and (ego.base[:, 1] != ego.other[:, 1]).all()
    assert (y[ego.base[:, 0], ego.base[:, 1]] == ego.y).all() and (y[ego.other[:, 0], ego.other[:, 1]] == ego.y).all()
    assert (ego.base[:, 0] != across.base[:, 0]).any() or (ego.other[:, 0] != across.other[:, 0]).any()
    for (day, centre), (_, partner) in zip(ego.base, ego.other):
        assert partner in _nearest_same_day(x, y, day, centre, GRAPH, 1)
    again = EgoSMOTE(target_ratio=1.0, k_neighbors=1, random_state=2, same_day=True).fit_resample(x, y, days, GRAPH, W)
    np.testing.assert_array_equal(ego.base, again.base)
    np.testing.assert_array_equal(ego.gap, again.gap)


def test_same_day_smote_is_skipped_when_no_day_has_two_rows_of_a_class(caplog):
    x, y, days = _panel()
    y = np.where(y == 0, 1, y)
    y[days[::3], 0] = 0  # one Down a day at most
    with caplog.at_level(logging.WARNING):
        smote = EgoSMOTE(same_day=True)
        ego = smote.fit_resample(x, y, days, GRAPH, W)
    assert len(ego) == 0 and "no two Down training samples with a whole ego window share a day" in caplog.text
    assert smote.report_.counts_after.tolist() == smote.report_.counts_before.tolist()


def test_same_day_recipes_draw_only_filled_slots_when_a_day_has_fewer_rows_than_k():
    """k = 5 on days of 2 and 3 rows: every row's partners are all the others of its day (no empty
    slot is ever drawn), and every such pair comes up."""
    days = np.array([0, 0, 1, 1, 1])
    flat = np.arange(10, dtype=np.float32).reshape(5, 2)
    base, other, gap = same_day_recipe(lambda rows: flat[rows], days, 5, 2000, 0)
    assert (other >= 0).all() and (days[base] == days[other]).all() and (base != other).all()
    assert set(zip(base.tolist(), other.tolist())) == {(0, 1), (1, 0), (2, 3), (2, 4), (3, 2), (3, 4), (4, 2), (4, 3)}
    assert ((gap >= 0) & (gap < 1)).all()
    assert all(len(r) == 0 for r in same_day_recipe(lambda rows: flat[rows], np.array([0, 1, 2, 3, 4]), 5, 10, 0))
