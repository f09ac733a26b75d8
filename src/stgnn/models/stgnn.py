"""The spatio-temporal graph neural network."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import GATConv, GCNConv
from torch_geometric.utils import scatter

from stgnn.classes import N_CLASSES
from stgnn.config import ModelConfig
from stgnn.models.encoders import GRUEncoder, TCNEncoder


class NeighbourLayer(nn.Module):
    r"""One round of message passing that keeps a node's own state apart from its neighbours'.

    ``h' = ReLU(W [h || agg(h_j, w_ij)])``: the node's own state and the weighted aggregate of its
    neighbours sit side by side, so the layer can tell "my neighbours moved today" from "I moved
    today" (a layer that mixes both with one weight, like PyG-Temporal's A3TGCN, cannot).
    ``agg`` is GAT attention with the edge weight as an edge feature, or a GCN sum with weights
    normalised by each node's total absolute incoming weight. No self loops: the own path is the
    concatenation.

    Shapes:
        - **input:** states ``(n_nodes, H)``, ``edge_index (2, E)``, ``edge_weight (E,)``
        - **output:** states ``(n_nodes, H)``
    """

    def __init__(self, hidden: int, *, conv: str = "gat", heads: int = 2, dropout: float = 0.0):
        super().__init__()
        if conv == "gat":
            self.conv = GATConv(hidden, hidden, heads=heads, concat=False, edge_dim=1,
                                add_self_loops=False, dropout=dropout)
        elif conv == "gcn":
            self.conv = GCNConv(hidden, hidden, add_self_loops=False, normalize=False)
        else:
            raise ValueError(f"Expected conv 'gat' or 'gcn', got {conv!r}.")
        self.kind = conv
        self.mix = nn.Linear(2 * hidden, hidden)

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()
        self.mix.reset_parameters()

    def forward(self, h: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor) -> torch.Tensor:
        if self.kind == "gat":
            agg = self.conv(h, edge_index, edge_attr=edge_weight.unsqueeze(-1))
        else:
            total = scatter(edge_weight.abs(), edge_index[1], dim=0, dim_size=h.shape[0], reduce="sum")
            agg = self.conv(h, edge_index, edge_weight / total[edge_index[1]].clamp_min(1e-8))
        return torch.relu(self.mix(torch.cat([h, agg], dim=-1)))


class STGNN(nn.Module):
    r"""Temporal encoder -> neighbour layers -> classification head.

    Every node of the batch graph (a ticker on a real day, or a node of a synthetic ego graph)
    is encoded once from its own window (:meth:`encode`); the neighbour layers then pass states
    along the edges and the head gives Down / None / Up logits for every node (:meth:`propagate`).
    Where :attr:`series_is_exact`, the states of a ticker's consecutive days may come instead from
    one pass over its series (:meth:`encode_series`): the same states, each day encoded once.
    With ``graph=False`` the neighbour layers are skipped: the temporal-only ablation, same encoder
    and head.

    With ``channels`` (a feature set whose day is itself a sequence, like ``alpha360``'s 60 days
    of 6 channels, oldest first) each node's ``W x F`` values are read as ``W * F / channels``
    steps of ``channels`` values: the encoder runs over the 60 days, not over one step of 360.

    Shapes:
        - **input:** ``x (n_nodes, W, F)``, ``edge_index (2, E)``, ``edge_weight (E,)``
        - **output:** logits ``(n_nodes, 3)``

    Examples
    --------
    >>> model = STGNN(n_features=4, config=ModelConfig(hidden=8))
    >>> x = torch.randn(5, 20, 4)
    >>> edges = torch.tensor([[1, 2, 3, 4], [0, 0, 0, 0]])
    >>> model(x, edges, torch.ones(4)).shape
    torch.Size([5, 3])
    """

    def __init__(self, n_features: int, config: ModelConfig = ModelConfig(), *, channels: int | None = None):
        super().__init__()
        if channels is not None and (channels < 1 or n_features % channels):
            raise ValueError(f"Expected channels dividing n_features={n_features}, got {channels}.")
        self.config = config
        self.channels = channels
        encoder = GRUEncoder if config.encoder == "gru" else TCNEncoder
        self.encoder = encoder(channels or n_features, config.hidden, layers=config.temporal_layers,
                               dropout=config.dropout)
        self.layers = nn.ModuleList(
            NeighbourLayer(config.hidden, conv=config.conv, heads=config.heads, dropout=config.dropout)
            for _ in range(config.graph_layers if config.graph else 0)
        )
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Sequential(nn.Linear(config.hidden, config.hidden), nn.ReLU(), nn.Linear(config.hidden, N_CLASSES))

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        for layer in self.layers:
            layer.reset_parameters()
        for module in self.head:
            if isinstance(module, nn.Linear):
                module.reset_parameters()

    @property
    def series_is_exact(self) -> bool:
        """Whether :meth:`encode_series` gives, at every day, the state :meth:`encode` gives for the
        window ending there: a TCN encoder whose receptive field fits in the window, on plain
        features (with ``channels`` a window's steps are not the panel's days)."""
        return (isinstance(self.encoder, TCNEncoder) and self.channels is None
                and self.encoder.receptive_field <= self.config.window)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder states ``(n_nodes, H)`` of windows ``x (n_nodes, W, F)``."""
        if x.dim() != 3:
            raise ValueError(f"Expected x of shape (n_nodes, W, F), got {tuple(x.shape)}.")
        if self.channels is not None:
            x = x.reshape(x.shape[0], -1, self.channels)
        return self.encoder(x)

    def encode_series(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder states at every day ``(n, T, H)`` of series ``x (n, T, F)``: the day's window's
        state wherever its whole window lies in the series.

        Raises
        ------
        ValueError
            Unless :attr:`series_is_exact`.
        """
        if not self.series_is_exact:
            field = getattr(self.encoder, "receptive_field", None)
            raise ValueError(f"Expected a TCN encoder with a receptive field <= window={self.config.window} and no "
                             f"channels, got encoder={self.config.encoder!r} (receptive field {field}), "
                             f"channels={self.channels}.")
        return self.encoder.series(x)

    def propagate(self, h: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor) -> torch.Tensor:
        """Logits ``(n_nodes, 3)`` from encoder states ``h (n_nodes, H)``: dropout, neighbour
        layers, head."""
        h = self.dropout(h)
        for layer in self.layers:
            h = self.dropout(layer(h, edge_index, edge_weight))
        return self.head(h)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor) -> torch.Tensor:
        return self.propagate(self.encode(x), edge_index, edge_weight)
