"""Temporal encoders: one state per node from its window of features."""

from __future__ import annotations

import torch
from torch import nn


class GRUEncoder(nn.Module):
    r"""A GRU over the window; the last hidden state is the node's state.

    Shapes:
        - **input:** windows ``(n_nodes, W, F)``
        - **output:** states ``(n_nodes, H)``
    """

    def __init__(self, n_features: int, hidden: int, *, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden, num_layers=layers, batch_first=True,
                          dropout=dropout if layers > 1 else 0.0)

    def reset_parameters(self) -> None:
        self.gru.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # PyTorch's autocast wrapper for cuDNN RNNs casts to float16 whatever dtype it was asked for
        # (AutocastRNN.cpp), and float16 training needs a gradient scaler: under autocast
        # (``--precision bf16``) the GRU stays float32.
        with torch.autocast(device_type=x.device.type, enabled=False):
            _, h = self.gru(x)
        return h[-1]


class TCNEncoder(nn.Module):
    r"""Dilated causal convolutions (dilation 1, 2, 4, ...) with residuals; the state is the output
    at the last time step, which sees ``1 + 2 * (2**layers - 1)`` days back.

    Shapes:
        - **input:** windows ``(n_nodes, W, F)``
        - **output:** states ``(n_nodes, H)``
    """

    def __init__(self, n_features: int, hidden: int, *, layers: int = 3, dropout: float = 0.0, kernel: int = 3):
        super().__init__()
        self.inp = nn.Conv1d(n_features, hidden, 1)
        self.convs = nn.ModuleList(
            nn.Conv1d(hidden, hidden, kernel, dilation=2**i) for i in range(layers)
        )
        self.kernel = kernel
        self.dropout = nn.Dropout(dropout)

    def reset_parameters(self) -> None:
        for conv in (self.inp, *self.convs):
            conv.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x.transpose(1, 2))
        for conv in self.convs:
            pad = (self.kernel - 1) * conv.dilation[0]
            h = h + self.dropout(torch.relu(conv(nn.functional.pad(h, (pad, 0)))))
        return h[:, :, -1]
