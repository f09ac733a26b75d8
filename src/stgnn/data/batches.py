"""Training batches are torch-geometric graphs of two kinds, and the model cannot tell them apart.

- A **day graph**: one real trading day; every ticker usable that day (present on its whole
  window) is a labelled node whose features are its window of the last W days, with edges from
  its K training-period neighbours that are usable too. An absent neighbour's edge is dropped, not
  re-drawn among present tickers: the neighbours stay those learned on training days, and on a day
  when some are absent a ticker simply has fewer incoming edges (GAT and GCN normalise by degree).
  An absent ticker is not in the graph at all, so it changes nothing for the others. Each
  (day, ticker) window is encoded once per batch, whatever number of neighbourhoods it belongs to.
- An **ego graph**: a centre and its K neighbours (K + 1 windows, K weighted edges into the
  centre); only the centre is labelled. SMOTE's synthetic samples come as ego graphs, in one of
  two modes (``smote.mode``):

  - ``exact``: imbalanced-learn's sample, whole: every one of the K + 1 windows is interpolated
    between the two real samples' ego windows, and the ego graph stands alone in the batch
    (K + 1 windows through the encoder per synthetic sample).
  - ``centre``: only the centre window is interpolated; its K edges come from the *real* nodes of
    its base sample's neighbours on the base sample's day, which the batch's day graph of that day
    has encoded already (the trainer puts each synthetic sample in the batch that holds its base
    day). One window per synthetic sample. The two differ in the neighbours alone: ``exact``'s are
    interpolated towards the other sample's neighbours, ``centre``'s are the base's own; and with
    more than one neighbour layer ``centre``'s neighbours carry their own real neighbourhood
    (``exact``'s have no incoming edges). Where the base day is not in the batch (the balanced day
    sampler draws days with replacement), the base's neighbour windows join the batch as
    unlabelled nodes, so the sample is the same either way.

:class:`GraphBatcher` collates any mix into one ``Data`` (nodes of all graphs stacked, edge
indices offset), the same result as ``Batch.from_data_list`` but vectorised. The scaled panel
lives on the batcher's device and every window is gathered there by index: per batch the host
works out integer indices only (which nodes, which edges) and sends them in one copy, so a GPU
never waits for windows assembled on the CPU.

Node attributes: ``x`` (n_nodes, W, F), ``y`` (n_nodes,) with -1 for unlabelled nodes,
``sample_weight`` (n_nodes,), ``labelled_index`` (the indices of the nodes with ``y >= 0``, worked out on
the host so that selecting them never makes a GPU wait); edges: ``edge_index`` (2, n_edges),
``edge_weight`` (n_edges,).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch_geometric.data import Data

from stgnn.classes import N_CLASSES
from stgnn.data.graph import Graph
from stgnn.device import indexed

UNLABELLED = -1

EGO_MODES = ("exact", "centre")
"""How a synthetic ego graph enters a batch: all K + 1 windows interpolated, or its centre alone
attached to real neighbour nodes (see the module docstring)."""


@dataclass(frozen=True)
class EgoSamples:
    """Synthetic ego graphs (SMOTE's), stored as recipes rather than windows.

    Sample ``i`` interpolates, slot by slot, between the ego windows of two real training samples
    of its class: ``base + gap * (other - base)`` (SMOTE's rule), its edge weights likewise. Its
    windows are gathered and interpolated when a batch needs them, so memory grows with the number
    of samples, not with (K + 1) x W x F copies of them.

    Attributes
    ----------
    base : np.ndarray of shape (n, 2), int64 — (day, centre) of the real sample it starts from.
    other : np.ndarray of shape (n, 2), int64 — (day, centre) of the real sample it moves towards.
    gap : np.ndarray of shape (n,), float64 — in [0, 1).
    y : np.ndarray of shape (n,), int64 — the centre's class.
    edge_weight : np.ndarray of shape (n, K), float32 — weight of neighbour k -> centre.
    """

    base: np.ndarray
    other: np.ndarray
    gap: np.ndarray
    y: np.ndarray
    edge_weight: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    @classmethod
    def empty(cls, k: int) -> EgoSamples:
        return cls(np.zeros((0, 2), np.int64), np.zeros((0, 2), np.int64), np.zeros(0), np.zeros(0, np.int64),
                   np.zeros((0, k), np.float32))

    def windows(self, x: np.ndarray, graph: Graph, window: int) -> np.ndarray:
        """Every sample's ego windows, materialised (to inspect them): (n, K + 1, W, F) float32,
        centre first; the same values a batch gets."""
        return _synthetic_windows(torch.from_numpy(np.ascontiguousarray(x, np.float32)),
                                  torch.from_numpy(graph.neighbours.astype(np.int64)), window,
                                  torch.from_numpy(self.base), torch.from_numpy(self.other),
                                  torch.from_numpy(self.gap)).numpy()


def gather_windows(x: torch.Tensor, days: torch.Tensor, nodes: torch.Tensor, window: int) -> torch.Tensor:
    """Windows ending on ``days`` (n,) of ``nodes`` (n, J): shape (n, J, W, F), on ``x``'s device.

    One ``index_select`` of (day, node) rows of ``x`` seen as (n_days * n_tickers, F): on the CPU
    about four times faster than indexing with a pair of index tensors."""
    n_days, n_tickers, n_features = x.shape
    rows = days[:, None] + torch.arange(-window + 1, 1, device=x.device)
    flat = rows[:, None, :] * n_tickers + nodes[:, :, None]
    return x.reshape(n_days * n_tickers, n_features).index_select(0, flat.reshape(-1)).reshape(*flat.shape, n_features)


def interpolate(a: torch.Tensor, b: torch.Tensor, gap: torch.Tensor) -> torch.Tensor:
    """``a + gap * (b - a)`` per sample, in float32 (``torch.lerp``). imbalanced-learn's SMOTE
    rounds through float64; the two agree within float32 rounding, and float32 is cheap on the
    hot path (a batch of 420 ego graphs on this project's CPU: 0.1 ms, against 4.6 ms in float64)."""
    return torch.lerp(a, b, gap.to(a.dtype).reshape(-1, *[1] * (a.dim() - 1)))


def ego_windows(x: np.ndarray, days: np.ndarray, centres: np.ndarray, graph: Graph, window: int) -> np.ndarray:
    """Ego windows of (day, centre) pairs: (n, K + 1, W, F), centre first."""
    ends = torch.from_numpy(np.stack([days, centres], axis=1).astype(np.int64))
    days_t, nodes = _ego_ends(ends, torch.from_numpy(graph.neighbours.astype(np.int64)))
    return gather_windows(torch.from_numpy(np.ascontiguousarray(x, np.float32)), days_t, nodes, window).numpy()


def _synthetic_windows(x: torch.Tensor, neighbours: torch.Tensor, window: int, base: torch.Tensor,
                       other: torch.Tensor, gap: torch.Tensor) -> torch.Tensor:
    """Ego windows (n, K + 1, W, F) of the recipes ``base``, ``other`` (n, 2) and ``gap`` (n,)."""
    a, b = (gather_windows(x, *_ego_ends(ends, neighbours), window) for ends in (base, other))
    return interpolate(a, b, gap)


def _ego_ends(ends: torch.Tensor, neighbours: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(days, nodes (n, K + 1)) of the real samples ``ends`` (n, 2) = (day, centre): centre first."""
    centres = ends[:, 1]
    return ends[:, 0], torch.cat([centres[:, None], neighbours[centres]], dim=1)


class GraphBatcher:
    """Collates day graphs and ego graphs into one torch-geometric ``Data`` on its device.

    Parameters
    ----------
    x : np.ndarray of shape (n_days, n_tickers, n_features), float32
        Scaled features of the whole panel.
    y : np.ndarray of shape (n_days, n_tickers)
        Labels (-1 where unknown).
    graph : Graph
    window : int
    usable : np.ndarray of shape (n_days, n_tickers), bool, optional
        Which (day, ticker) nodes exist; every one by default.
    sample_weight : np.ndarray of shape (n_days, n_tickers), optional
        Per-node loss multiplier (hard negatives), finite and >= 0; ones by default.
    ego : EgoSamples, optional
        Synthetic ego graphs; their recipes refer to real (day, ticker) windows of ``x``.
    device : str or torch.device, default "cpu"
        Where the panel is kept and batches are made; :meth:`to` gives the same batcher elsewhere.
    ego_mode : {"exact", "centre"}, default "exact"
        How a synthetic ego graph enters a batch (see the module docstring).

    Raises
    ------
    ValueError
        If a label is outside {-1, 0, 1, 2} or a sample weight is negative or not finite (checked
        once here, so the training loop never reads them back from a GPU).
    """

    def __init__(self, x, y, graph: Graph, window: int, *, usable=None, sample_weight=None,
                 ego: EgoSamples | None = None, device: str | torch.device = "cpu", ego_mode: str = "exact"):
        self.x = np.ascontiguousarray(x, np.float32)  # gathered as (day * ticker) rows
        self.y = np.asarray(y, np.int64)
        self.graph = graph
        self.window = window
        self.usable = np.ones(self.y.shape, bool) if usable is None else np.asarray(usable, bool)
        self.sample_weight = (np.ones(self.y.shape, np.float32) if sample_weight is None
                              else np.asarray(sample_weight, np.float32))
        self.ego = ego if ego is not None else EgoSamples.empty(graph.k)
        if ego_mode not in EGO_MODES:
            raise ValueError(f"Expected ego_mode in {EGO_MODES}, got {ego_mode!r}.")
        self.ego_mode = ego_mode
        if self.y.size and (self.y.min() < UNLABELLED or self.y.max() >= N_CLASSES):
            raise ValueError(f"Expected labels in -1 (unknown) to {N_CLASSES - 1}, got values in [{self.y.min()}, {self.y.max()}].")
        if not np.isfinite(self.sample_weight).all() or (self.sample_weight < 0).any():
            raise ValueError("Expected finite sample weights >= 0, got a negative or non-finite one.")
        for end in (self.ego.base, self.ego.other):
            if len(end) and (graph.neighbours[end[:, 1]] < 0).any():
                raise ValueError("Expected synthetic ego graphs of centres with every neighbour slot filled.")
        self.device = indexed(torch.device(device))
        self._day_edges, day_weight = graph.edge_index()
        k = graph.k
        put = self._put
        self._x, self._y, self._sw = put(self.x), put(self.y), put(self.sample_weight)
        self._day_weight, self._neighbours = put(day_weight), put(graph.neighbours.astype(np.int64))
        self._ego_edges = put(np.stack([np.arange(1, k + 1), np.zeros(k, np.int64)]))
        e = self.ego
        self._ego_base, self._ego_other, self._ego_gap = put(e.base), put(e.other), put(e.gap)
        self._ego_y, self._ego_weight = put(e.y), put(e.edge_weight)
        self._moved: dict[torch.device, GraphBatcher] = {self.device: self}

    def _put(self, a) -> torch.Tensor:
        """A host array on the batcher's device (shared, not copied, on the CPU)."""
        t = torch.as_tensor(a)
        return t if self.device.type == "cpu" else t.to(self.device)

    def to(self, device: str | torch.device) -> GraphBatcher:
        """The same batcher with its panel on ``device``; made once per device and kept."""
        device = indexed(torch.device(device))
        if device not in self._moved:
            moved = GraphBatcher(self.x, self.y, self.graph, self.window, usable=self.usable,
                                 sample_weight=self.sample_weight, ego=self.ego, device=device,
                                 ego_mode=self.ego_mode)
            moved._moved = self._moved  # every copy knows every other
            self._moved[device] = moved
        return self._moved[device]

    def nodes(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(day position in ``days``, ticker) of the day graphs' nodes, in batch order."""
        return np.nonzero(self.usable[np.asarray(days, dtype=np.int64)])

    def batch(self, days: np.ndarray, ego_ids: np.ndarray | None = None) -> Data:
        """One batch on the batcher's device: the day graphs of ``days`` (usable nodes only, in
        :meth:`nodes` order) followed by the ego graphs ``ego_ids`` (in ``centre`` mode: their
        centres, then any neighbour nodes the day graphs lack)."""
        days = np.asarray(days, dtype=np.int64)
        ego_ids = np.zeros(0, np.int64) if ego_ids is None else np.asarray(ego_ids, dtype=np.int64)
        if self.ego_mode == "centre" and len(ego_ids):
            return self._centre_batch(days, ego_ids)
        position, ticker = self.nodes(days)
        node_day = days[position]
        n_day_nodes, m, k1 = len(ticker), len(ego_ids), self.graph.k + 1
        edges, slot = self._day_edges_of(days)
        labelled = np.concatenate([np.flatnonzero(self.y[node_day, ticker] >= 0), n_day_nodes + k1 * np.arange(m)])
        node_day, ticker, edges, slot, ego_ids, labelled = self._send(node_day, ticker, edges, slot, ego_ids, labelled)
        xs = [gather_windows(self._x, node_day, ticker[:, None], self.window)[:, 0]]
        ys, sws = [self._y[node_day, ticker]], [self._sw[node_day, ticker]]
        edge_index, edge_weight = [edges.view(2, -1)], [self._day_weight[slot]]
        if m:
            xs.append(_synthetic_windows(self._x, self._neighbours, self.window, self._ego_base[ego_ids],
                                         self._ego_other[ego_ids], self._ego_gap[ego_ids]).flatten(0, 1))
            centre = torch.arange(m, device=self.device) * k1
            ys.append(torch.full((m * k1,), UNLABELLED, dtype=torch.long, device=self.device).index_copy_(
                0, centre, self._ego_y[ego_ids]))
            sws.append(torch.zeros(m * k1, device=self.device).index_fill_(0, centre, 1.0))
            edge_index.append(_tile(self._ego_edges, m, k1) + n_day_nodes)
            edge_weight.append(self._ego_weight[ego_ids].reshape(-1))
        return Data(x=torch.cat(xs), y=torch.cat(ys), sample_weight=torch.cat(sws), labelled_index=labelled,
                    edge_index=torch.cat(edge_index, dim=1), edge_weight=torch.cat(edge_weight))

    def _centre_batch(self, days: np.ndarray, ego_ids: np.ndarray) -> Data:
        """:meth:`batch` in ``centre`` mode: one interpolated window per synthetic sample, its edges
        from its base's neighbours, found among the day graphs' nodes (or added, unlabelled)."""
        position, ticker = self.nodes(days)
        n_day_nodes, m, k = len(ticker), len(ego_ids), self.graph.k
        edges, slot = self._day_edges_of(days)
        node_of = np.full((len(days), len(self.graph.tickers)), -1, np.int64)
        node_of[position, ticker] = np.arange(n_day_nodes)
        first = np.full(len(self.y), -1, np.int64)  # each day's first position in ``days``
        first[days[::-1]] = np.arange(len(days))[::-1]
        base_day, base_centre = self.ego.base[ego_ids].T
        neighbour = self.graph.neighbours[base_centre]  # (m, K), every slot filled (checked in __init__)
        at = first[base_day]
        source = np.where(at[:, None] >= 0, node_of[np.maximum(at, 0)[:, None], neighbour], -1).reshape(-1)
        missing = np.flatnonzero(source < 0)
        source[missing] = n_day_nodes + m + np.arange(len(missing))
        extra_day, extra_ticker = np.repeat(base_day, k)[missing], neighbour.reshape(-1)[missing]
        target = n_day_nodes + np.repeat(np.arange(m), k)
        labelled = np.concatenate([np.flatnonzero(self.y[days[position], ticker] >= 0), n_day_nodes + np.arange(m)])
        node_day, ticker, edges, slot, ego_ids, extra_day, extra_ticker, ego_edges, labelled = self._send(
            days[position], ticker, edges, slot, ego_ids, extra_day, extra_ticker, np.stack([source, target]),
            labelled)
        base, other = self._ego_base[ego_ids], self._ego_other[ego_ids]
        centre = interpolate(*(gather_windows(self._x, ends[:, 0], ends[:, 1:], self.window)[:, 0]
                               for ends in (base, other)), self._ego_gap[ego_ids])
        n_extra = len(extra_day)
        x = torch.cat([gather_windows(self._x, node_day, ticker[:, None], self.window)[:, 0], centre,
                       gather_windows(self._x, extra_day, extra_ticker[:, None], self.window)[:, 0]])
        unlabelled = torch.full((n_extra,), UNLABELLED, dtype=torch.long, device=self.device)
        y = torch.cat([self._y[node_day, ticker], self._ego_y[ego_ids], unlabelled])
        sample_weight = torch.cat([self._sw[node_day, ticker], torch.ones(m, device=self.device),
                                   torch.zeros(n_extra, device=self.device)])
        return Data(x=x, y=y, sample_weight=sample_weight, labelled_index=labelled,
                    edge_index=torch.cat([edges.view(2, -1), ego_edges.view(2, -1)], dim=1),
                    edge_weight=torch.cat([self._day_weight[slot], self._ego_weight[ego_ids].reshape(-1)]))

    def _day_edges_of(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Edges (2, E) between the usable nodes of ``days`` in batch numbering, and each edge's
        slot in the graph's edge list (for its weight). Integer work on the host."""
        n, n_edges = len(self.graph.tickers), self._day_edges.shape[1]
        day_edges = _tile(self._day_edges, len(days), n)
        present = torch.from_numpy(self.usable[days].reshape(-1))
        kept = torch.nonzero(present[day_edges[0]] & present[day_edges[1]]).squeeze(1)
        new_id = torch.cumsum(present.long(), 0) - 1
        return new_id[day_edges[:, kept]].numpy(), (kept % n_edges).numpy()

    def _send(self, *arrays: np.ndarray) -> list[torch.Tensor]:
        """Host index arrays as int64 tensors on the device: written into one pinned buffer and
        copied asynchronously on a GPU (no wait for the work already queued), shared views on the CPU."""
        if self.device.type == "cpu":
            return [torch.from_numpy(np.ascontiguousarray(a, np.int64)) for a in arrays]
        sizes = [np.size(a) for a in arrays]
        staged = torch.empty(sum(sizes), dtype=torch.int64, pin_memory=True)
        np.concatenate([np.ravel(a) for a in arrays], out=staged.numpy())
        return list(torch.split(staged.to(self.device, non_blocking=True), sizes))

    def day_graph(self, day: int) -> Data:
        return self.batch(np.array([day]))

    def ego_graph(self, ego_id: int) -> Data:
        return self.batch(np.array([], dtype=np.int64), np.array([ego_id]))


def _tile(edge_index: torch.Tensor, copies: int, nodes_per_copy: int) -> torch.Tensor:
    """``copies`` disjoint copies of a graph's edges, node ids offset copy by copy."""
    offsets = torch.arange(copies, device=edge_index.device).repeat_interleave(edge_index.shape[1]) * nodes_per_copy
    return edge_index.repeat(1, copies) + offsets
