import json
import logging

import numpy as np
import pytest

from stgnn.config import GraphConfig
from stgnn.data.graph import (CorrelationGraph, Graph, SectorGraph, _pairwise_correlation, build_graph, graph_summary,
                              read_sectors, residual_returns)
from stgnn.errors import ConfigError, DataError, NotFittedError

TICKERS = ["A", "B", "C", "D", "E"]


def _returns(seed=0, n=300):
    """A and B move together, C is A's mirror image, D and E are noise."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    return np.column_stack([f + 0.2 * rng.normal(size=n), f + 0.2 * rng.normal(size=n),
                            -f + 0.2 * rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)])


def test_absolute_correlation_keeps_negative_partners():
    g = CorrelationGraph(k=2, correlation="absolute").fit(_returns(), TICKERS).graph
    assert set(g.neighbours[0]) == {1, 2}
    assert g.weights[0][list(g.neighbours[0]).index(2)] < -0.8  # the edge weight keeps the sign


def test_positive_correlation_ranks_anticorrelated_last():
    g = CorrelationGraph(k=2, correlation="positive").fit(_returns(), TICKERS).graph
    assert g.neighbours[0][0] == 1
    assert 2 not in g.neighbours[0]


def test_never_self_and_exactly_k():
    g = CorrelationGraph(k=4).fit(_returns(), TICKERS).graph
    assert g.neighbours.shape == (5, 4)
    assert all(i not in row for i, row in enumerate(g.neighbours))


def test_edge_index_points_from_neighbour_to_ticker():
    g = CorrelationGraph(k=2).fit(_returns(), TICKERS).graph
    edge_index, weight = g.edge_index()
    assert edge_index.shape == (2, 10) and weight.shape == (10,)
    assert edge_index[1].tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert edge_index[0, :2].tolist() == g.neighbours[0].tolist()


def test_round_trip_and_save(tmp_path):
    g = CorrelationGraph(k=2).fit(_returns(), TICKERS).graph
    g.save(tmp_path / "graph.json")
    back = Graph.from_dict(json.loads((tmp_path / "graph.json").read_text()))
    np.testing.assert_array_equal(back.neighbours, g.neighbours)
    np.testing.assert_allclose(back.weights, g.weights, atol=1e-6)


def test_sector_graph_prefers_same_sector(tmp_path):
    path = tmp_path / "sectors.csv"
    path.write_text("Ticker,Sector\nA,tech\nB,energy\nC,energy\nD,tech\nE,tech\n")
    sectors = read_sectors(path)
    g = SectorGraph(sectors, k=2).fit(_returns(), TICKERS).graph
    assert set(g.neighbours[0]) == {3, 4}  # A's sector-mates, although B is far more correlated
    # B's sector has one other member: C first, then the most correlated outsider (A).
    assert list(g.neighbours[1]) == [2, 0]
    g2 = build_graph(GraphConfig(k=2, method="sector", sector_file=path), _returns(), TICKERS)
    np.testing.assert_array_equal(g2.neighbours, g.neighbours)


@pytest.mark.parametrize("builder", [CorrelationGraph, lambda **kw: SectorGraph(dict.fromkeys(TICKERS, "x"), **kw)],
                         ids=["correlation", "sector"])
def test_k_is_capped_at_the_tickers_with_training_returns(builder, caplog):
    """k = 5 on five tickers runs with four neighbours each; a ticker without a training return
    (it lists later) does not count, so the cap is read from the training days alone."""
    with caplog.at_level(logging.WARNING, logger="stgnn.data.graph"):
        g = builder(k=5).fit(_returns(), TICKERS).graph
    assert g.k == 4 and g.has_neighbour.all()
    assert "graph k=5 capped at 4: only 5 tickers have returns on the training days" in caplog.text
    late = _returns()
    late[:, 4] = np.nan
    assert builder(k=5).fit(late, TICKERS).graph.k == 3
    assert builder(k=3).fit(late, TICKERS).graph.k == 3  # at the cap: kept


def test_errors(tmp_path):
    alone = np.full((300, 5), np.nan)
    alone[:, 0] = 0.01
    with pytest.raises(DataError, match="at least 2 tickers with returns on the training days, got 1"):
        CorrelationGraph(k=2).fit(alone, TICKERS)
    with pytest.raises(NotFittedError, match="call fit"):
        CorrelationGraph().graph
    with pytest.raises(ValueError, match="Expected returns of shape"):
        CorrelationGraph(k=2).fit(_returns()[:, :3], TICKERS)
    with pytest.raises(DataError, match="No two tickers share min_overlap=60 training days of returns .at most 2."):
        CorrelationGraph(k=2).fit(_returns()[:2], TICKERS)
    with pytest.raises(ConfigError, match="min_overlap >= 3"):
        CorrelationGraph(k=2, min_overlap=2)
    bad = tmp_path / "s.csv"
    bad.write_text("symbol,industry\nA,x\n")
    with pytest.raises(DataError, match="expected columns ticker,sector"):
        read_sectors(bad)
    partial = tmp_path / "p.csv"
    partial.write_text("ticker,sector\nA,x\n")
    with pytest.raises(DataError, match="no sector for B, C, D, E"):
        SectorGraph(read_sectors(partial), k=2).fit(_returns(), TICKERS)
    with pytest.raises(DataError, match="does not exist"):
        read_sectors(tmp_path / "missing.csv")


# --- ragged universes: NaN where a ticker is absent ---------------------------------------------


def _old_graph(returns, k, correlation, priority=0.0):
    """The builder before pairwise overlap (complete columns only), kept to pin existing graphs."""
    r = returns - returns.mean(axis=0)
    norm = np.sqrt((r**2).sum(axis=0))
    norm[norm == 0] = np.inf
    corr = (r.T @ r) / np.outer(norm, norm)
    np.fill_diagonal(corr, 0.0)
    strength = (np.abs(corr) if correlation == "absolute" else corr) + priority
    np.fill_diagonal(strength, -np.inf)
    neighbours = np.argsort(-strength, axis=1, kind="stable")[:, :k]
    return neighbours, np.take_along_axis(corr, neighbours, axis=1)


def _factor_returns(n_days=300, n_tickers=30, seed=1):
    rng = np.random.default_rng(seed)
    loadings = rng.normal(size=(3, n_tickers))
    return rng.normal(size=(n_days, 3)) @ loadings + rng.normal(size=(n_days, n_tickers))


@pytest.mark.parametrize("correlation", ["absolute", "positive"])
def test_complete_data_gives_the_old_graph(correlation):
    r = _factor_returns()
    tickers = [f"T{i}" for i in range(r.shape[1])]
    sectors = {t: "abc"[i % 3] for i, t in enumerate(tickers)}
    labels = np.array(list(sectors.values()))
    for builder, priority in [(CorrelationGraph(k=5, correlation=correlation), 0.0),
                              (SectorGraph(sectors, k=5, correlation=correlation),
                               np.where(labels[:, None] == labels[None, :], 10.0, 0.0))]:
        g = builder.fit(r, tickers).graph
        neighbours, weights = _old_graph(r, 5, correlation, priority)
        np.testing.assert_array_equal(g.neighbours, neighbours)
        np.testing.assert_allclose(g.weights, weights, rtol=0, atol=1e-12)
        assert g.has_neighbour.all()


def test_complete_data_correlation_matches_corrcoef():
    r = _factor_returns()
    expected = np.corrcoef(r.T)
    np.fill_diagonal(expected, np.nan)
    np.testing.assert_allclose(_pairwise_correlation(r, 60), expected, rtol=0, atol=1e-12)


def test_pairwise_overlap_equals_corrcoef_on_common_days():
    r = _factor_returns(n_days=200, n_tickers=8)
    rng = np.random.default_rng(2)
    r[rng.random(r.shape) < 0.3] = np.nan  # scattered absent days
    r[50:150, 3] = np.nan  # and a long hole
    r[:, 5] = r[:, 5] + 5.0  # a far-off mean must not cost precision
    corr = _pairwise_correlation(r, 20)
    for i in range(8):
        for j in range(8):
            both = np.isfinite(r[:, i]) & np.isfinite(r[:, j])
            if i == j or both.sum() < 20:
                assert np.isnan(corr[i, j])
            else:
                assert corr[i, j] == pytest.approx(np.corrcoef(r[both, i], r[both, j])[0, 1], abs=1e-12)
    assert np.isnan(_pairwise_correlation(r, 201)).all()


def test_a_ticker_with_a_hole_keeps_its_correlations():
    r = _returns()
    r[100:200, 0] = np.nan  # A is absent for a third of the training days
    g = CorrelationGraph(k=2).fit(r, TICKERS).graph
    assert set(g.neighbours[0]) == {1, 2}
    days = np.isfinite(r[:, 0])
    for slot, j in enumerate(g.neighbours[0]):
        assert g.weights[0, slot] == pytest.approx(np.corrcoef(r[days, 0], r[days, j])[0, 1], abs=1e-12)


def test_constant_column_correlates_zero():
    """A column constant over a pair's shared days carries no signal there (as before: 0, not NaN)."""
    r = _returns()
    r[:, 2] = 0.0  # constant throughout
    r[150:, 3] = np.nan
    r[:150, 4] = 0.01  # constant exactly on the days D trades, noise afterwards
    corr = _pairwise_correlation(r, 60)
    assert (corr[2, [0, 1, 3, 4]] == 0.0).all() and (corr[[0, 1, 3, 4], 2] == 0.0).all()
    assert corr[3, 4] == 0.0 == corr[4, 3]
    assert np.isfinite(corr[4, :2]).all() and (corr[4, :2] != 0.0).all()


def _late_lister(n_days=300, listed_for=40):
    """TICKERS plus F: A's twin, but only trading the last ``listed_for`` days."""
    r = _returns(n=n_days)
    late = r[:, [0]] + 0.01
    late[:-listed_for] = np.nan
    return np.hstack([r, late]), TICKERS + ["F"]


def test_late_lister_gets_no_edges_in_the_correlation_graph(caplog):
    r, tickers = _late_lister()
    with caplog.at_level(logging.INFO, logger="stgnn.data.graph"):
        g = CorrelationGraph(k=2).fit(r, tickers).graph
    assert g.neighbours[5].tolist() == [-1, -1] and g.weights[5].tolist() == [0.0, 0.0]
    assert 5 not in g.neighbours  # although it is A's twin over the days it traded
    assert g.has_neighbour[:5].all() and not g.has_neighbour[5].any()
    assert len(caplog.records) == 1
    assert "F (2 of 2 empty)" in caplog.text and "min_overlap=60" in caplog.text
    # With enough shared days it is A's best partner.
    g30 = build_graph(GraphConfig(k=2, min_overlap=30), r, tickers)
    assert g30.neighbours[0, 0] == 5 and g30.neighbours[5, 0] == 0


def test_log_line_stays_short_for_many_tickers(caplog):
    r = np.hstack([_returns(), np.full((300, 12), np.nan)])
    tickers = TICKERS + [f"NEW{i}" for i in range(12)]
    with caplog.at_level(logging.INFO, logger="stgnn.data.graph"):
        CorrelationGraph(k=2).fit(r, tickers)
    assert len(caplog.records) == 1
    assert "12 keep empty slots" in caplog.text and "NEW9 (2 of 2 empty), ... (+2 more)" in caplog.text
    assert "NEW10" not in caplog.text


def test_late_lister_takes_sector_peers_in_the_sector_graph(caplog):
    r, tickers = _late_lister()
    sectors = {"A": "tech", "B": "energy", "C": "energy", "D": "tech", "E": "tech", "F": "tech"}
    with caplog.at_level(logging.INFO, logger="stgnn.data.graph"):
        g = SectorGraph(sectors, k=2).fit(r, tickers).graph
    assert g.neighbours[5].tolist() == [0, 3]  # tech peers with history, in column order
    corr = _pairwise_correlation(r, 60)
    tech = [0, 3, 4]
    within = corr[np.ix_(tech, tech)]
    assert g.weights[5].tolist() == [np.median(within[np.isfinite(within)])] * 2
    assert 5 not in g.neighbours[:5]
    assert "take sector peers" in caplog.text and ": F" in caplog.text
    # A sector whose only valid pairs are with outsiders: the median over all valid pairs.
    pair = SectorGraph({**sectors, "A": "utilities", "F": "utilities"}, k=2).fit(r, tickers).graph
    assert pair.neighbours[5].tolist() == [0, -1]
    assert pair.weights[5, 0] == np.median(corr[np.isfinite(corr)]) and pair.weights[5, 1] == 0.0
    # A sector without peers with history: empty slots.
    alone = SectorGraph({**sectors, "F": "utilities"}, k=2).fit(r, tickers).graph
    assert alone.neighbours[5].tolist() == [-1, -1] and alone.weights[5].tolist() == [0.0, 0.0]


def test_fewer_valid_partners_than_k_leaves_trailing_empty_slots():
    r = _returns()
    r[:150, [3, 4]] = np.nan
    r[150:, [0, 1, 2]] = np.nan  # {A, B, C} and {D, E} never trade on the same day
    g = CorrelationGraph(k=3).fit(r, TICKERS).graph
    assert g.neighbours[:3, 2].tolist() == [-1, -1, -1] and set(g.neighbours[0, :2]) == {1, 2}
    assert g.neighbours[3].tolist() == [4, -1, -1] and g.neighbours[4].tolist() == [3, -1, -1]
    assert g.has_neighbour.sum() == 8 and (g.weights[~g.has_neighbour] == 0.0).all()


def test_edge_index_skips_empty_slots():
    r, tickers = _late_lister()
    r[:, 4] = np.where(np.arange(300) < 200, r[:, 4], np.nan)
    g = CorrelationGraph(k=3).fit(r, tickers).graph
    edge_index, weight = g.edge_index()
    assert (edge_index >= 0).all()
    assert edge_index.shape == (2, g.has_neighbour.sum()) == (2, 15) and weight.shape == (15,)
    assert 5 not in edge_index[1].tolist() and 5 not in edge_index[0].tolist()
    assert edge_index[1].tolist() == [i for i in range(5) for _ in range(3)]
    np.testing.assert_allclose(weight.numpy(), g.weights[g.has_neighbour], atol=1e-6)


def test_round_trip_with_empty_slots(tmp_path):
    r, tickers = _late_lister()
    g = CorrelationGraph(k=2).fit(r, tickers).graph
    g.save(tmp_path / "graph.json")
    d = json.loads((tmp_path / "graph.json").read_text())
    assert d["k"] == 2 and d["neighbours"]["F"] == [] and len(d["neighbours"]["A"]) == 2
    back = Graph.from_dict(d)
    np.testing.assert_array_equal(back.neighbours, g.neighbours)
    np.testing.assert_allclose(back.weights, g.weights, atol=1e-6)
    # Every slot empty: k still comes back.
    empty = Graph(["A", "B"], np.full((2, 3), -1), np.zeros((2, 3)))
    assert Graph.from_dict(empty.to_dict()).neighbours.shape == (2, 3)


def test_reads_files_written_before_empty_slots():
    old = {"tickers": ["A", "B", "C"],
           "neighbours": {"A": [{"ticker": "B", "weight": 0.5}], "B": [{"ticker": "A", "weight": 0.5}],
                          "C": [{"ticker": "A", "weight": -0.25}]}}
    g = Graph.from_dict(old)
    assert g.k == 1 and g.neighbours[:, 0].tolist() == [1, 0, 0] and g.weights[2, 0] == -0.25


def test_absent_days_do_not_corrupt_the_ranking():
    """B is A's true partner but misses two thirds of the days; C is weaker but complete.

    Zero-filling B's absent days would rank C first; dropping every day any ticker misses (the old
    listwise rule) would leave no day at all, since D trades only where B does not; E copies A
    over 20 days and would outrank everyone without ``min_overlap``.
    """
    rng = np.random.default_rng(3)
    a = rng.normal(size=300)
    b = a + 0.3 * rng.normal(size=300)
    c = a + 1.0 * rng.normal(size=300)
    d, e = rng.normal(size=300), a.copy()
    b[:200] = np.nan
    d[200:] = np.nan
    e[:280] = np.nan
    r = np.column_stack([a, b, c, d, e])
    zero_filled = np.corrcoef(np.nan_to_num(r[:, :3]).T)
    assert zero_filled[0, 2] > zero_filled[0, 1]  # the plant: zero-filling gets it wrong
    assert not np.isfinite(r).all(axis=1).any()  # and listwise deletion has nothing left
    g = CorrelationGraph(k=2).fit(r, TICKERS).graph
    assert g.neighbours[0].tolist() == [1, 2]
    assert g.weights[0, 0] == pytest.approx(np.corrcoef(a[200:], b[200:])[0, 1], abs=1e-12)
    assert 4 not in g.neighbours and g.neighbours[4].tolist() == [-1, -1]
    assert CorrelationGraph(k=2, min_overlap=10).fit(r, TICKERS).graph.neighbours[0, 0] == 4


# --- residual graphs: the market factor removed -------------------------------------------------


def _planted_pairs(n_pairs=20, n_days=600, seed=4):
    """A strong market with loadings 1.6-2.0 (high beta) or 0.2-0.6 (low), and pairs of one high-
    and one low-beta name sharing an idiosyncratic factor: ticker 2p is paired with 2p + 1.

    The raw correlation of two high-beta names is mostly the market they share (about 0.9), more
    than a pair's (about 0.7): the raw graph pairs high beta with high beta. Net of the market,
    only the pair's own factor is left (and the few pairs' share of the estimated market: enough
    pairs keep it small).
    """
    rng = np.random.default_rng(seed)
    loadings = np.column_stack([rng.uniform(1.6, 2.0, n_pairs), rng.uniform(0.2, 0.6, n_pairs)]).ravel()
    market = 3.0 * rng.normal(size=(n_days, 1))
    own = np.repeat(rng.normal(size=(n_days, n_pairs)), 2, axis=1)
    r = market * loadings + own + rng.normal(size=(n_days, 2 * n_pairs))
    return 0.01 * r, [f"T{i}" for i in range(2 * n_pairs)]


def _partners(n):
    return np.arange(n) ^ 1  # 0 <-> 1, 2 <-> 3, ...


def test_residual_graph_finds_the_planted_pairs_the_raw_graph_misses():
    r, tickers = _planted_pairs()
    partner = _partners(len(tickers))
    raw = build_graph(GraphConfig(k=1), r, tickers)
    residual = build_graph(GraphConfig(k=1, method="residual"), r, tickers)
    high = np.arange(0, len(tickers), 2)
    assert (raw.neighbours[high, 0] != partner[high]).all()  # the plant: raw picks another high-beta name
    assert (residual.neighbours[:, 0] == partner).all()
    assert (residual.weights[:, 0] > 0.3).all()  # the pair's residual correlation, about 0.5
    np.testing.assert_allclose(residual.weights, np.take_along_axis(
        _pairwise_correlation(residual_returns(r), 60), residual.neighbours, axis=1), atol=1e-12)


def test_sector_residual_ranks_within_the_sector_by_residual_correlation(tmp_path):
    r, tickers = _planted_pairs()
    path = tmp_path / "sectors.csv"  # the first ten pairs in sector a, the last ten in b
    path.write_text("ticker,sector\n" + "".join(f"{t},{'ab'[i // 20]}\n" for i, t in enumerate(tickers)))
    sector = build_graph(GraphConfig(k=1, method="sector", sector_file=path), r, tickers)
    residual = build_graph(GraphConfig(k=1, method="sector_residual", sector_file=path), r, tickers)
    high = np.arange(0, len(tickers), 2)
    assert (sector.neighbours[high, 0] != _partners(len(tickers))[high]).all()
    assert (residual.neighbours[:, 0] == _partners(len(tickers))).all()
    builder = SectorGraph(read_sectors(path), k=1, residual=True)
    np.testing.assert_array_equal(builder.fit(r, tickers).graph.neighbours, residual.neighbours)
    assert "residual=True" in repr(builder)


def test_residual_returns_by_hand_on_a_ragged_panel():
    r, _ = _planted_pairs(n_pairs=3, n_days=120)
    rng = np.random.default_rng(5)
    r[rng.random(r.shape) < 0.2] = np.nan
    r[:60, 0] = np.nan  # a late lister
    res = residual_returns(r)
    assert (np.isnan(res) == np.isnan(r)).all()
    for i in range(r.shape[1]):
        days = np.isfinite(r[:, i])
        market = np.array([np.mean(row[np.isfinite(row)]) for row in r[days]])
        beta = np.polyfit(market, r[days, i], 1)[0]
        np.testing.assert_allclose(res[days, i], r[days, i] - beta * market, rtol=0, atol=1e-15)
    # one day of B: the market does not vary over its days, nothing to regress on: B keeps its return
    short = np.array([[0.01, 0.02], [0.03, np.nan], [-0.01, np.nan]])
    assert residual_returns(short)[0, 1] == 0.02


def test_residual_graph_with_absent_days_still_finds_the_pairs():
    r, tickers = _planted_pairs()
    rng = np.random.default_rng(6)
    r[rng.random(r.shape) < 0.25] = np.nan
    r[:300, 5] = np.nan  # and a ticker listed half-way
    g = build_graph(GraphConfig(k=2, method="residual"), r, tickers)
    assert (g.neighbours[:, 0] == _partners(len(tickers))).all()


def test_complete_data_correlation_method_is_unchanged_by_the_residual_option():
    r = _factor_returns()
    tickers = [f"T{i}" for i in range(r.shape[1])]
    g = build_graph(GraphConfig(k=5), r, tickers)
    neighbours, weights = _old_graph(r, 5, "absolute")
    np.testing.assert_array_equal(g.neighbours, neighbours)
    np.testing.assert_allclose(g.weights, weights, rtol=0, atol=1e-12)
    assert repr(CorrelationGraph()) == "CorrelationGraph(k=5, correlation='absolute', min_overlap=60, residual=False)"


def test_build_graph_logs_what_the_neighbours_are(tmp_path, caplog):
    r, tickers = _planted_pairs()
    path = tmp_path / "sectors.csv"  # each pair in its own sector
    path.write_text("ticker,sector\n" + "".join(f"{t},s{i // 2}\n" for i, t in enumerate(tickers)))
    with caplog.at_level(logging.DEBUG, logger="stgnn.data.graph"):
        g = build_graph(GraphConfig(k=1, method="residual", sector_file=path), r, tickers)
    info = [rec.getMessage() for rec in caplog.records if rec.levelno == logging.INFO]
    debug = [rec.getMessage() for rec in caplog.records if rec.levelno == logging.DEBUG]
    assert info == [f"graph residual, k=1: {graph_summary(g, read_sectors(path))}"]
    assert f"{len(tickers)} of {len(tickers)} slots filled" in info[0]
    assert info[0].endswith("100% of neighbours in the ticker's sector")  # each pair is its own sector
    assert len(debug) == len(tickers) and debug[0] == f"graph neighbours T0: T1 {g.weights[0, 0]:.2f}"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="stgnn.data.graph"):
        build_graph(GraphConfig(k=1), r, tickers)
    (line,) = [rec.getMessage() for rec in caplog.records]
    assert line.startswith(f"graph correlation, k=1: {len(tickers)} of") and "sector" not in line
