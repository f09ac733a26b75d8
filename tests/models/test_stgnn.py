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
