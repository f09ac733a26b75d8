import pytest
import torch

from stgnn.config import ModelConfig
from stgnn.models.stgnn import STGNN, NeighbourLayer


@pytest.mark.parametrize("encoder", ["gru", "tcn"])
@pytest.mark.parametrize("conv", ["gat", "gcn"])
def test_logits_for_every_node(encoder, conv):
    torch.manual_seed(0)
    model = STGNN(4, ModelConfig(encoder=encoder, conv=conv, hidden=8, graph_layers=2))
    x = torch.randn(5, 20, 4)
    edges = torch.tensor([[1, 2, 3, 4], [0, 0, 0, 0]])
    out = model(x, edges, torch.tensor([0.9, -0.5, 0.3, 0.1]))
    assert out.shape == (5, 3)
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_neighbours_change_the_centre_only_when_the_graph_is_on():
    torch.manual_seed(0)
    x = torch.randn(3, 10, 4)
    edges = torch.tensor([[1, 2], [0, 0]])
    w = torch.ones(2)
    for graph, should_change in ((True, True), (False, False)):
        model = STGNN(4, ModelConfig(hidden=8, graph=graph, dropout=0.0)).eval()
        moved = x.clone()
        moved[1] += 3.0  # a neighbour's window changes
        changed = not torch.allclose(model(x, edges, w)[0], model(moved, edges, w)[0])
        assert changed == should_change


def test_own_state_and_neighbour_aggregate_side_by_side():
    layer = NeighbourLayer(8, conv="gcn")
    assert layer.mix.in_features == 16


def test_rejects_bad_input():
    model = STGNN(4, ModelConfig(hidden=8))
    with pytest.raises(ValueError, match=r"Expected x of shape \(n_nodes, W, F\)"):
        model(torch.randn(5, 4), torch.zeros(2, 0, dtype=torch.long), torch.zeros(0))
    with pytest.raises(ValueError, match="Expected conv 'gat' or 'gcn'"):
        NeighbourLayer(8, conv="sage")


def test_reset_parameters_reinitialises():
    torch.manual_seed(0)
    model = STGNN(4, ModelConfig(hidden=8))
    before = [p.clone() for p in model.parameters()]
    model.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_alpha360_day_is_read_as_sixty_steps_of_its_channels_oldest_first():
    import numpy as np
    import pandas as pd

    from stgnn.data.factors import ALPHA360_CHANNELS, alpha360
    from stgnn.data.panel import build_panel

    rng = np.random.default_rng(0)
    index = pd.bdate_range("2024-01-01", periods=70)
    close = pd.DataFrame({"A": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 70)))}, index=index)
    fields = {"close": close, "open": close * 0.99, "high": close * 1.01, "low": close * 0.98,
              "volume": close * 0 + 1e6}
    names = list(alpha360(build_panel(fields, origin="toy", min_history=60)).frames)
    channels = len(ALPHA360_CHANNELS)
    model = STGNN(len(names), ModelConfig(hidden=8, graph=False), channels=channels)
    seen = []
    model.encoder.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    x = torch.arange(len(names), dtype=torch.float32).reshape(1, 1, -1)  # one node, window 1: feature j has value j
    model(x, torch.empty(2, 0, dtype=torch.long), torch.empty(0))
    (steps,) = seen
    assert steps.shape == (1, 60, channels)
    for step in (0, 30, 59):  # step 0 is 59 days before the node's day, step 59 the day itself
        assert [names[int(v)] for v in steps[0, step]] == [f"{c.upper()}{59 - step}" for c in ALPHA360_CHANNELS]
    with pytest.raises(ValueError, match="channels dividing"):
        STGNN(len(names) + 1, ModelConfig(hidden=8), channels=channels)


def test_an_alpha360_run_trains_and_its_checkpoint_keeps_the_channels(tmp_path):
    from stgnn.checkpoint import load_checkpoint, model_from_checkpoint
    from stgnn.training.run import run_experiment
    from tests.conftest import tiny_config

    config = tiny_config(features={"set": "alpha360"}, model={"window": 1}, training={"epochs": 1})
    result = run_experiment(config, tmp_path / "run")
    model, *_ = model_from_checkpoint(load_checkpoint(tmp_path / "run" / "model.pt"))
    # The synthetic market has closes only: 60 steps of one channel.
    assert model.channels == 1 and result.metrics["test"]["tuned"]["macro_f1"] >= 0


def test_forward_is_propagate_after_encode():
    torch.manual_seed(0)
    model = STGNN(4, ModelConfig(encoder="tcn", hidden=8)).eval()
    x, edges, w = torch.randn(5, 20, 4), torch.tensor([[1, 2, 3, 4], [0, 0, 0, 0]]), torch.ones(4)
    torch.testing.assert_close(model(x, edges, w), model.propagate(model.encode(x), edges, w), rtol=0, atol=0)


@pytest.mark.parametrize(("config", "channels", "exact"), [
    ({"encoder": "tcn", "temporal_layers": 3, "window": 15}, None, True),  # receptive field 15
    ({"encoder": "tcn", "temporal_layers": 3, "window": 14}, None, False),
    ({"encoder": "tcn", "temporal_layers": 1, "window": 20}, 2, False),
    ({"encoder": "gru", "window": 20}, None, False),
])
def test_series_is_exact_only_for_a_tcn_that_fits_its_window_on_plain_features(config, channels, exact):
    model = STGNN(4, ModelConfig(hidden=8, **config), channels=channels)
    assert model.series_is_exact == exact
    x = torch.randn(3, 30, 4)
    if exact:
        assert model.encode_series(x).shape == (3, 30, 8)
    else:
        with pytest.raises(ValueError, match=r"receptive field <= window=\d+ and no channels, got encoder="):
            model.encode_series(x)
