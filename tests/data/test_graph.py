import numpy as np
import pytest

from stgnn.config import GraphConfig
from stgnn.data.graph import CorrelationGraph, Graph, SectorGraph, build_graph, read_sectors
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
    import json
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


def test_errors(tmp_path):
    with pytest.raises(ConfigError, match="k=5 needs at least 6 tickers"):
        CorrelationGraph(k=5).fit(_returns(), TICKERS)
    with pytest.raises(NotFittedError, match="call fit"):
        CorrelationGraph().graph
    with pytest.raises(ValueError, match="Expected returns of shape"):
        CorrelationGraph(k=2).fit(_returns()[:, :3], TICKERS)
    with pytest.raises(DataError, match="at least 3 training days"):
        CorrelationGraph(k=2).fit(_returns()[:2], TICKERS)
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
