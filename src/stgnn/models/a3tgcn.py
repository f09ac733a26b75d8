"""PyG-Temporal's A3TGCN with a classification head: the benchmark's training-speed reference.

torch-geometric-temporal is optional (``make install-bench``, installed with ``--no-deps`` because
its pins are years old): :func:`load_a3tgcn` returns None without it, and nothing else in stgnn
imports it.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from functools import cache

import torch
from torch import nn
from torch_geometric.typing import SparseTensor

from stgnn.classes import N_CLASSES

A3TGCN_MISSING = "torch-geometric-temporal not installed: make install-bench"


@cache
def load_a3tgcn() -> type[nn.Module] | None:
    """PyG-Temporal's ``A3TGCN`` class, or None when torch-geometric-temporal is not installed.

    Version 0.56.2 imports ``torch_sparse`` (a compiled extension with no wheel for recent torch)
    at the top of its EvolveGCN-O module for one type annotation, and its package ``__init__``
    imports every model, so A3TGCN cannot be imported without it although it never uses it.
    Without torch_sparse, torch_geometric's own placeholder ``SparseTensor`` stands in for that
    import, and is taken out of ``sys.modules`` again so that no later import mistakes it for the
    real extension.
    """
    if importlib.util.find_spec("torch_geometric_temporal") is None:
        return None
    if importlib.util.find_spec("torch_sparse") is not None:
        from torch_geometric_temporal.nn.recurrent import A3TGCN
        return A3TGCN
    stand_in = types.ModuleType("torch_sparse")
    stand_in.SparseTensor = SparseTensor
    sys.modules["torch_sparse"] = stand_in
    try:
        from torch_geometric_temporal.nn.recurrent import A3TGCN
    finally:
        del sys.modules["torch_sparse"]
    return A3TGCN


class A3TGCNClassifier(nn.Module):
    r"""PyG-Temporal's A3TGCN, ReLU, then a linear head over Down / None / Up.

    ``h = sum_p softmax(a)_p TGCN(x[:, :, p], A)`` and ``logits = W relu(h) + b`` (the head of
    PyG-Temporal's own A3TGCN examples). A3TGCN starts its TGCN cell from the same hidden state at
    every period rather than carrying it forward, so a step costs ``periods`` graph-GRU passes.

    Shapes:
        - **input:** node windows ``(N, F, periods)``, ``edge_index (2, E)``, ``edge_weight (E,)``
        - **output:** logits ``(N, 3)``

    Raises
    ------
    ModuleNotFoundError
        torch-geometric-temporal is not installed.
    """

    def __init__(self, in_channels: int, hidden: int, *, periods: int):
        super().__init__()
        a3tgcn = load_a3tgcn()
        if a3tgcn is None:
            raise ModuleNotFoundError(A3TGCN_MISSING)
        self.cell = a3tgcn(in_channels=in_channels, out_channels=hidden, periods=periods)
        self.head = nn.Linear(hidden, N_CLASSES)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.cell(x, edge_index, edge_weight)))
