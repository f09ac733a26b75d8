"""Temporal encoders: one state per node from its window of features.

A node's state is a function of its W-day window alone. The TCN's state at day t reads only its
last :attr:`TCNEncoder.receptive_field` days, so one pass over a ticker's whole series gives every
day's state at once (:meth:`TCNEncoder.series`). The GRU has no such shortcut: its last hidden
state depends on every step of the window, and the same window is run afresh for each day. A GRU
carried over the whole series (stateful or streaming) would make day t's state depend on the whole
past, which is a different model from one that sees a fixed W-day window: it would change what the
default model means and how it trains, so it is not done.
"""

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
    at the last time step, which sees :attr:`receptive_field` ``= 1 + (kernel - 1) * (2**layers - 1)``
    days back.

    Each convolution pads its input with zeros on the left, so the output at step t reads steps
    ``t - R + 1 .. t`` only. With ``R <= W``, :meth:`series` over a ticker's whole run of days gives
    at every day the state :meth:`forward` gives for the window ending there: each ticker-day is
    encoded once instead of once per window it is in.

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

    @property
    def receptive_field(self) -> int:
        """Steps the last output reads: ``1 + (kernel - 1) * (2**layers - 1)``."""
        return 1 + (self.kernel - 1) * sum(conv.dilation[0] for conv in self.convs)

    def reset_parameters(self) -> None:
        for conv in (self.inp, *self.convs):
            conv.reset_parameters()

    def series(self, x: torch.Tensor) -> torch.Tensor:
        """States at every step of ``x`` (n, T, F): shape (n, T, H); step t reads steps
        ``t - R + 1 .. t`` (zeros before the first)."""
        h = self.inp(x.transpose(1, 2))
        for conv in self.convs:
            pad = (self.kernel - 1) * conv.dilation[0]
            h = h + self.dropout(torch.relu(conv(nn.functional.pad(h, (pad, 0)))))
        return h.transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The state at the last step, computing only what it reads: the last ``R`` steps of the
        input, and in layer ``i`` (dilation ``2**i``) only every ``2**(i + 1)``-th output ending at the
        last step. Each layer is then an undilated convolution of stride 2 on the grid the layer
        below left, with the same weights (the same result as :meth:`series`, about a third of
        its work at ``W = 20``, ``R = 15``). A window shorter than ``R`` is read whole by
        :meth:`series`: zeros before its first step are not zeros before the input projection."""
        field = self.receptive_field
        if x.shape[1] < field:
            return self.series(x)[:, -1]
        h = self.inp(x[:, -field:].transpose(1, 2))
        for conv in self.convs:
            body = nn.functional.conv1d(h, conv.weight, conv.bias, stride=2)
            h = h[:, :, self.kernel - 1::2] + self.dropout(torch.relu(body))
        return h[:, :, -1]
