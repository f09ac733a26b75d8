import numpy as np
import pytest
import torch
from torch_geometric.data import Batch

from stgnn.config import ModelConfig
from stgnn.data.batches import EgoSamples, GraphBatcher, ego_windows, series_rows
from stgnn.data.graph import Graph
from stgnn.models.stgnn import STGNN

T, N, F, W, K = 30, 4, 3, 5, 2


def _setup(n_ego=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(T, N, F)).astype(np.float32)
    y = rng.integers(0, 3, size=(T, N))
    graph = Graph(["A", "B", "C", "D"], np.array([[1, 2], [0, 3], [3, 0], [2, 1]]),
                  np.array([[0.9, 0.5], [0.9, 0.4], [0.8, 0.5], [0.8, 0.4]]))
    ego = EgoSamples(base=np.array([[10, 0], [20, 2], [12, 1]]), other=np.array([[25, 3], [8, 1], [12, 2]]),
                     gap=rng.uniform(size=n_ego), y=np.array([0, 2, 0]),
                     edge_weight=rng.uniform(size=(n_ego, K)).astype(np.float32))
    return x, y, graph, GraphBatcher(x, y, graph, W, ego=ego)


def test_ego_windows_put_the_centre_first():
    x, _, graph, _ = _setup()
    e = ego_windows(x, np.array([12]), np.array([2]), graph, W)
    assert e.shape == (1, K + 1, W, F)
    np.testing.assert_array_equal(e[0, 0], x[8:13, 2])
    np.testing.assert_array_equal(e[0, 1], x[8:13, 3])
    np.testing.assert_array_equal(e[0, 2], x[8:13, 0])


def test_day_graph_labels_every_node_and_encodes_each_window_once():
    x, y, graph, batcher = _setup()
    g = batcher.day_graph(15)
    assert g.x.shape == (N, W, F)  # one window per ticker, however many neighbourhoods it is in
    assert g.y.tolist() == y[15].tolist()
    assert g.edge_index.shape == (2, N * K)


def test_ego_graph_labels_only_the_centre():
    x, _, graph, batcher = _setup()
    g = batcher.ego_graph(1)
    assert g.x.shape == (K + 1, W, F)
    assert g.y.tolist() == [2, -1, -1] and g.labelled_index.tolist() == [0]
    assert g.sample_weight.tolist() == [1.0, 0.0, 0.0]
    assert g.edge_index.tolist() == [[1, 2], [0, 0]]


def test_ego_windows_are_made_from_their_recipe():
    x, _, graph, batcher = _setup()
    a = ego_windows(x, np.array([20]), np.array([2]), graph, W)[0]
    b = ego_windows(x, np.array([8]), np.array([1]), graph, W)[0]
    gap = batcher.ego.gap[1]
    expected = a + gap * (b - a).astype(np.float64)  # SMOTE's rule, rounded once
    np.testing.assert_allclose(batcher.ego_graph(1).x.numpy(), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(batcher.ego.windows(x, graph, W)[1], batcher.ego_graph(1).x.numpy())


def test_labelled_nodes_are_the_known_day_labels_and_the_ego_centres():
    x, y, graph, _ = _setup()
    y = y.copy()
    y[7, 1] = -1
    batcher = GraphBatcher(x, y, graph, W, ego=_setup()[3].ego)
    g = batcher.batch(np.array([7, 9]), np.array([2, 0]))
    assert g.labelled_index.tolist() == [0, 2, 3, 4, 5, 6, 7, 8, 11]
    assert (g.y[g.labelled_index] >= 0).all() and int((g.y >= 0).sum()) == len(g.labelled_index)


def test_bad_labels_and_weights_are_refused_once_up_front():
    x, y, graph, _ = _setup()
    with pytest.raises(ValueError, match="labels in"):
        GraphBatcher(x, np.where(y == 2, 3, y), graph, W)
    with pytest.raises(ValueError, match="sample weights"):
        GraphBatcher(x, y, graph, W, sample_weight=np.full(y.shape, -1.0))
    holed = Graph(graph.tickers, np.array([[1, -1], [0, 3], [3, 0], [2, 1]]), graph.weights)
    with pytest.raises(ValueError, match="every neighbour slot filled"):
        GraphBatcher(x, y, holed, W, ego=_setup()[3].ego)  # recipe 0 is centred on A


def test_to_the_same_device_is_the_same_batcher():
    _, _, _, batcher = _setup()
    assert batcher.to("cpu") is batcher


def test_mixed_batch_equals_pyg_batch_of_the_single_graphs():
    _, _, _, batcher = _setup()
    days, egos = np.array([7, 22, 9]), np.array([2, 0])
    mixed = batcher.batch(days, egos)
    singles = [batcher.day_graph(d) for d in days] + [batcher.ego_graph(e) for e in egos]
    reference = Batch.from_data_list(singles)
    for key in ("x", "y", "sample_weight", "labelled_index", "edge_index", "edge_weight"):
        torch.testing.assert_close(mixed[key], reference[key])


def test_absent_tickers_leave_the_day_graph_with_their_edges():
    x, y, graph, _ = _setup()
    usable = np.ones((T, N), bool)
    usable[15, 0] = False  # A is absent on day 15: B and C lose an incoming edge each
    batcher = GraphBatcher(x, y, graph, W, usable=usable)
    g = batcher.batch(np.array([14, 15]))
    assert g.x.shape == (2 * N - 1, W, F)
    np.testing.assert_array_equal(g.x[N], x[11:16, 1])  # day 15's first node is B
    assert g.y.tolist() == y[14].tolist() + y[15, 1:].tolist()
    assert g.edge_index.shape == (2, 2 * N * K - 4)  # A's two edges in and two edges out, on day 15
    assert int(g.edge_index.max()) == 2 * N - 2
    position, ticker = batcher.nodes(np.array([14, 15]))
    assert position.tolist() == [0] * N + [1] * (N - 1) and ticker.tolist() == [0, 1, 2, 3, 1, 2, 3]


def _centre(batcher):
    return GraphBatcher(batcher.x, batcher.y, batcher.graph, W, ego=batcher.ego, ego_mode="centre")


def test_centre_mode_interpolates_the_centre_alone_and_takes_its_base_days_real_neighbours():
    x, y, graph, exact = _setup()
    g = _centre(exact).batch(np.array([10, 20]), np.array([0, 1]))
    assert g.x.shape == (2 * N + 2, W, F)  # two day graphs and one window per synthetic sample
    for node, ego in ((8, 0), (9, 1)):
        np.testing.assert_array_equal(g.x[node].numpy(), exact.ego_graph(ego).x[0].numpy())  # exact's centre
    incoming = {t: sorted(g.edge_index[0, g.edge_index[1] == t].tolist()) for t in (8, 9)}
    assert incoming == {8: [1, 2], 9: [4, 7]}  # A's neighbours B, C on day 10; C's D, A on day 20
    np.testing.assert_allclose(g.edge_weight[-2 * K:].numpy(), exact.ego.edge_weight[[0, 1]].reshape(-1))
    assert g.y[8:].tolist() == [0, 2] and g.labelled_index.tolist()[-2:] == [8, 9]


def test_centre_mode_adds_the_neighbours_a_batch_lacks_unlabelled():
    x, y, graph, exact = _setup()
    g = _centre(exact).batch(np.array([15]), np.array([0]))  # base day 10 is not in the batch
    assert g.x.shape == (N + 1 + K, W, F)
    np.testing.assert_array_equal(g.x[N + 1:].numpy(), x[6:11, [1, 2]].transpose(1, 0, 2))
    assert g.y[N + 1:].tolist() == [-1, -1] and g.sample_weight[N + 1:].tolist() == [0.0, 0.0]
    assert g.edge_index[:, -K:].tolist() == [[N + 1, N + 2], [N, N]]


def test_the_modes_differ_only_in_the_synthetic_samples_neighbour_windows():
    """One neighbour layer: centre mode's synthetic logits are those of exact's ego graph with its
    neighbour windows replaced by the base sample's own; exact's own neighbours differ from them."""
    from stgnn.config import ModelConfig
    from stgnn.models.stgnn import STGNN
    x, y, graph, exact = _setup()
    torch.manual_seed(0)
    model = STGNN(F, ModelConfig(hidden=8, graph_layers=1)).eval()
    g = _centre(exact).batch(np.array([10, 20]), np.array([0, 1]))
    centre_logits = model(g.x, g.edge_index, g.edge_weight)[[8, 9]]
    for row, ego in enumerate((0, 1)):
        e = exact.ego_graph(ego)
        day, centre = exact.ego.base[ego]
        own = torch.from_numpy(ego_windows(x, np.array([day]), np.array([centre]), graph, W)[0, 1:])
        assert not torch.allclose(e.x[1:], own)  # exact interpolates the neighbours too
        swapped = model(torch.cat([e.x[:1], own]), e.edge_index, e.edge_weight)[0]
        torch.testing.assert_close(centre_logits[row], swapped, rtol=1e-5, atol=1e-5)


def _windows_of_series(g):
    """Each day node's window read back from a series batch at its ``series_index``: (n, W, F)."""
    steps = g.series.shape[1]
    ticker, step = g.series_index // steps, g.series_index % steps
    return g.series[ticker[:, None], step[:, None] + torch.arange(-W + 1, 1)]


def _ragged_setup():
    """x NaN where a ticker is absent, usable only where the whole window is present."""
    x, y, graph, batcher = _setup()
    x = x.copy()
    x[10:13, 1] = np.nan
    x[:6, 3] = np.nan
    x[24:, 2] = np.nan
    finite = np.isfinite(x).all(axis=-1)
    usable = np.array([[t >= W - 1 and finite[t - W + 1:t + 1, j].all() for j in range(N)] for t in range(T)])
    return x, GraphBatcher(x, y, graph, W, usable=usable, ego=batcher.ego)


@pytest.mark.parametrize("days", [np.arange(4, 30), np.array([22, 7, 9, 7, 23, 16, 4]), np.array([12])])
def test_series_batch_points_each_day_node_at_its_own_window(days):
    _, batcher = _ragged_setup()
    egos = np.array([2, 0])
    windowed, series = batcher.batch(days, egos), batcher.batch(days, egos, series=True)
    n_day = len(series.series_index)
    assert n_day == len(batcher.nodes(days)[0]) and series.x.shape == (len(egos) * (K + 1), W, F)
    torch.testing.assert_close(_windows_of_series(series), windowed.x[:n_day], rtol=0, atol=0)
    torch.testing.assert_close(series.x, windowed.x[n_day:], rtol=0, atol=0, equal_nan=True)  # egos read NaN here
    for key in ("y", "sample_weight", "labelled_index", "edge_index", "edge_weight"):
        torch.testing.assert_close(series[key], windowed[key])


def test_series_batch_zeroes_what_no_usable_window_reads():
    x, batcher = _ragged_setup()
    g = batcher.batch(np.arange(4, 30), series=True)
    assert torch.isfinite(g.series).all()
    rows, _ = series_rows(np.arange(4, 30), W)
    present = torch.from_numpy(np.isfinite(x[rows]).all(axis=-1).T)  # (n_tickers, S)
    assert (g.series[~present] == 0).all() and (g.series[present] != 0).all()


def test_series_batch_at_the_panel_start_begins_at_day_zero():
    x, _, _, batcher = _setup()  # every node usable, even where its window would start before day 0
    g = batcher.batch(np.array([6, 1]), series=True)
    torch.testing.assert_close(g.series, torch.from_numpy(x[:7]).transpose(0, 1), rtol=0, atol=0)
    assert g.series_index.tolist() == [j * 7 + 6 for j in range(N)] + [j * 7 + 1 for j in range(N)]


def test_a_series_batch_of_ego_graphs_alone_is_a_window_batch():
    _, _, _, batcher = _setup()
    g = batcher.batch(np.array([], dtype=np.int64), np.array([1]), series=True)
    assert "series" not in g and g.x.shape == (K + 1, W, F)


def test_series_states_are_the_window_states_node_by_node():
    """A TCN along the series batch gives each day node its own window's state, in node order:
    reading any other ticker's (a permutation of the day's nodes) would not match."""
    _, batcher = _ragged_setup()
    torch.manual_seed(0)
    model = STGNN(F, ModelConfig(encoder="tcn", temporal_layers=1, window=W, hidden=8)).eval()  # receptive field 3
    days = np.array([22, 7, 9, 8, 23, 16])
    windowed, series = batcher.batch(days), batcher.batch(days, series=True)
    states = model.encode_series(series.series).flatten(0, 1)[series.series_index]
    expected = model.encode(windowed.x)
    assert torch.isfinite(states).all()
    torch.testing.assert_close(states, expected, rtol=0, atol=1e-5)
    position, ticker = batcher.nodes(days)
    permuted = np.lexsort((-ticker, position))  # each day's nodes in reverse ticker order
    assert not torch.allclose(states[permuted], expected, atol=1e-3)


def _latent(batcher, mode="latent"):
    """The setup's first two recipes with their other sample moved to the base's day (D on day 10,
    B on day 20), in ``mode``."""
    e = batcher.ego
    same_day = EgoSamples(base=e.base[:2], other=np.array([[10, 3], [20, 1]]), gap=e.gap[:2], y=e.y[:2],
                          edge_weight=e.edge_weight[:2])
    return GraphBatcher(batcher.x, batcher.y, batcher.graph, W, ego=same_day, ego_mode=mode)


def test_latent_mode_names_the_day_nodes_to_mix_and_takes_the_base_days_real_neighbours():
    x, y, graph, exact = _setup()
    g = _latent(exact).batch(np.array([10, 20]), np.array([0, 1]))
    assert g.x.shape == (2 * N, W, F) and g.num_nodes == 2 * N + 2  # no window for a synthetic sample
    assert g.synthetic_pair.tolist() == [[0, 6], [3, 5]]  # A and D on day 10, C and B on day 20
    torch.testing.assert_close(g.synthetic_gap, torch.from_numpy(exact.ego.gap[:2]).float())
    incoming = {t: sorted(g.edge_index[0, g.edge_index[1] == t].tolist()) for t in (8, 9)}
    assert incoming == {8: [1, 2], 9: [4, 7]}  # as centre mode: A's B, C on day 10; C's D, A on day 20
    assert g.y[8:].tolist() == [0, 2] and g.labelled_index.tolist()[-2:] == [8, 9]


def test_latent_mode_adds_what_a_batch_lacks_before_the_synthetic_nodes():
    x, y, graph, exact = _setup()
    g = _latent(exact).batch(np.array([15]), np.array([0]))  # base day 10 is not in the batch
    assert g.x.shape == (N + K + 2, W, F) and g.num_nodes == N + K + 3
    np.testing.assert_array_equal(g.x[N:].numpy(), x[6:11, [1, 2, 0, 3]].transpose(1, 0, 2))  # B, C; then A, D
    assert g.synthetic_pair.tolist() == [[N + 2], [N + 3]]
    assert g.edge_index[:, -K:].tolist() == [[N, N + 1], [N + 4, N + 4]]
    assert g.y[N:].tolist() == [-1] * (K + 2) + [0] and g.sample_weight[N:].tolist() == [0.0] * (K + 2) + [1.0]
    assert g.labelled_index.tolist()[-1] == N + K + 2


def test_latent_mode_refuses_samples_whose_two_rows_lie_on_different_days():
    x, y, graph, exact = _setup()
    with pytest.raises(ValueError, match="share a day in latent mode"):
        GraphBatcher(x, y, graph, W, ego=exact.ego, ego_mode="latent")


class _LastStepLinear(torch.nn.Module):
    """A linear encoder: the last step's features, projected."""

    def __init__(self, hidden):
        super().__init__()
        self.proj = torch.nn.Linear(F, hidden)

    def forward(self, x):
        return self.proj(x[:, -1])


@pytest.mark.parametrize("encoder", ["linear", "gru"])
def test_latent_equals_centre_exactly_when_the_encoder_is_linear(encoder):
    """Given the same (same-day) recipes, ``latent`` mixes the two samples' encoder states where
    ``centre`` encodes their mixed window: the same logits under a linear encoder, not under a GRU."""
    from stgnn.training.trainer import batch_logits
    x, y, graph, exact = _setup()
    torch.manual_seed(0)
    model = STGNN(F, ModelConfig(hidden=8, graph_layers=1, window=W)).eval()
    if encoder == "linear":
        model.encoder = _LastStepLinear(8)
    days, egos = np.array([10, 20]), np.array([0, 1])
    latent = batch_logits(model, _latent(exact).batch(days, egos))
    centre = batch_logits(model, _latent(exact, "centre").batch(days, egos))
    torch.testing.assert_close(latent[:2 * N], centre[:2 * N])  # the day graphs' nodes
    same = torch.allclose(latent[2 * N:], centre[2 * N:], rtol=1e-5, atol=1e-5)
    assert same == (encoder == "linear")
