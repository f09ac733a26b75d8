import pytest
import torch

from stgnn.models import a3tgcn
from stgnn.models.a3tgcn import A3TGCN_MISSING, A3TGCNClassifier, load_a3tgcn


def test_logits_for_every_node():
    if load_a3tgcn() is None:
        pytest.skip(A3TGCN_MISSING)
    torch.manual_seed(0)
    model = A3TGCNClassifier(4, 8, periods=6)
    edges = torch.tensor([[1, 2, 3, 0], [0, 0, 1, 3]])
    out = model(torch.randn(4, 4, 6), edges, torch.tensor([0.9, 0.5, 0.3, 0.1]))
    assert out.shape == (4, 3)
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_refused_without_pyg_temporal(monkeypatch):
    monkeypatch.setattr(a3tgcn, "load_a3tgcn", lambda: None)
    with pytest.raises(ModuleNotFoundError, match="make install-bench"):
        A3TGCNClassifier(4, 8, periods=6)
