"""Training batches are torch-geometric graphs of two kinds, and the model cannot tell them apart.

- A **day graph**: one real trading day; every ticker usable that day (present on its whole
  window) is a labelled node whose features are its window of the last W days, with edges from
  its K training-period neighbours that are usable too. An absent neighbour's edge is dropped, not
  re-drawn among present tickers: the neighbours stay those learned on training days, and on a day
  when some are absent a ticker simply has fewer incoming edges (GAT and GCN normalise by degree).
  An absent ticker is not in the graph at all, so it changes nothing for the others. Each
  (day, ticker) window is encoded once per batch, whatever number of neighbourhoods it belongs to.
- An **ego graph**: a centre and its K neighbours (K + 1 windows, K weighted edges into the
  centre); only the centre is labelled. SMOTE's synthetic samples come as ego graphs.

:class:`GraphBatcher` collates any mix into one ``Data`` (nodes of all graphs stacked, edge
indices offset), the same result as ``Batch.from_data_list`` but vectorised.

Node attributes: ``x`` (n_nodes, W, F), ``y`` (n_nodes,) with -1 for unlabelled nodes,
``sample_weight`` (n_nodes,); edges: ``edge_index`` (2, n_edges), ``edge_weight`` (n_edges,).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch_geometric.data import Data

from stgnn.data.graph import Graph

UNLABELLED = -1


@dataclass(frozen=True)
class EgoSamples:
    """Ego graphs as arrays (usually SMOTE's synthetic samples).

    Attributes
    ----------
    x : np.ndarray of shape (n, K + 1, W, F), float32 — centre first, then its neighbours.
    y : np.ndarray of shape (n,), int64 — the centre's class.
    edge_weight : np.ndarray of shape (n, K), float32 — weight of neighbour k -> centre.
    """

    x: np.ndarray
    y: np.ndarray
    edge_weight: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    @classmethod
    def empty(cls, k: int, window: int, n_features: int) -> EgoSamples:
        return cls(
            np.zeros((0, k + 1, window, n_features), np.float32),
            np.zeros(0, np.int64),
            np.zeros((0, k), np.float32),
        )


def ego_windows(x: np.ndarray, days: np.ndarray, centres: np.ndarray, graph: Graph, window: int) -> np.ndarray:
    """Ego windows of (day, centre) pairs: (n, K + 1, W, F), centre first."""
    nodes = np.concatenate([centres[:, None], graph.neighbours[centres]], axis=1)
    rows = days[:, None] + np.arange(-window + 1, 1)
    return x[rows[:, :, None], nodes[:, None, :]].transpose(0, 2, 1, 3)


class GraphBatcher:
    """Collates day graphs and ego graphs into one torch-geometric ``Data``.

    Parameters
    ----------
    x : np.ndarray of shape (n_days, n_tickers, n_features)
        Scaled features of the whole panel.
    y : np.ndarray of shape (n_days, n_tickers)
        Labels (-1 where unknown).
    graph : Graph
    window : int
    usable : np.ndarray of shape (n_days, n_tickers), bool, optional
        Which (day, ticker) nodes exist; every one by default.
    sample_weight : np.ndarray of shape (n_days, n_tickers), optional
        Per-node loss multiplier (hard negatives); ones by default.
    ego : EgoSamples, optional
    """

    def __init__(self, x, y, graph: Graph, window: int, *, usable=None, sample_weight=None,
                 ego: EgoSamples | None = None):
        self.x = x
        self.y = y
        self.graph = graph
        self.window = window
        self.usable = np.ones(y.shape, bool) if usable is None else np.asarray(usable, bool)
        self.sample_weight = np.ones(y.shape, np.float32) if sample_weight is None else sample_weight
        self.ego = ego if ego is not None else EgoSamples.empty(graph.k, window, x.shape[-1])
        self._day_edges, self._day_weight = graph.edge_index()
        k = graph.k
        self._ego_edges = torch.stack([torch.arange(1, k + 1), torch.zeros(k, dtype=torch.long)])

    def nodes(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(day position in ``days``, ticker) of the day graphs' nodes, in batch order."""
        return np.nonzero(self.usable[np.asarray(days, dtype=np.int64)])

    def batch(self, days: np.ndarray, ego_ids: np.ndarray | None = None) -> Data:
        """One batch: the day graphs of ``days`` (usable nodes only, in :meth:`nodes` order)
        followed by the ego graphs ``ego_ids``."""
        days = np.asarray(days, dtype=np.int64)
        n_days, n, f = len(days), len(self.graph.tickers), self.x.shape[-1]
        position, ticker = self.nodes(days)
        rows = days[position][:, None] + np.arange(-self.window + 1, 1)
        xs = [self.x[rows, ticker[:, None]]]
        ys = [self.y[days[position], ticker]]
        sws = [self.sample_weight[days[position], ticker]]
        day_edges = _tile(self._day_edges, n_days, n)
        present = torch.from_numpy(self.usable[days].reshape(-1))
        kept = present[day_edges[0]] & present[day_edges[1]]
        new_id = torch.cumsum(present.long(), 0) - 1
        edges = [new_id[day_edges[:, kept]]]
        weights = [self._day_weight.repeat(n_days)[kept]]
        n_day_nodes = len(ticker)
        if ego_ids is not None and len(ego_ids):
            k1 = self.graph.k + 1
            m = len(ego_ids)
            xs.append(self.ego.x[ego_ids].reshape(m * k1, self.window, f))
            y_ego = np.full((m, k1), UNLABELLED, np.int64)
            y_ego[:, 0] = self.ego.y[ego_ids]
            ys.append(y_ego.reshape(-1))
            sw = np.zeros((m, k1), np.float32)
            sw[:, 0] = 1.0
            sws.append(sw.reshape(-1))
            edges.append(_tile(self._ego_edges, m, k1) + n_day_nodes)
            weights.append(torch.as_tensor(self.ego.edge_weight[ego_ids].reshape(-1), dtype=torch.float32))
        return Data(
            x=torch.from_numpy(np.ascontiguousarray(np.concatenate(xs))),
            y=torch.from_numpy(np.concatenate(ys).astype(np.int64)),
            sample_weight=torch.from_numpy(np.concatenate(sws).astype(np.float32)),
            edge_index=torch.cat(edges, dim=1),
            edge_weight=torch.cat(weights),
        )

    def day_graph(self, day: int) -> Data:
        return self.batch(np.array([day]))

    def ego_graph(self, ego_id: int) -> Data:
        return self.batch(np.array([], dtype=np.int64), np.array([ego_id]))


def _tile(edge_index: torch.Tensor, copies: int, nodes_per_copy: int) -> torch.Tensor:
    """``copies`` disjoint copies of a graph's edges, node ids offset copy by copy."""
    offsets = torch.arange(copies).repeat_interleave(edge_index.shape[1]) * nodes_per_copy
    return edge_index.repeat(1, copies) + offsets
