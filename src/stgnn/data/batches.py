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
  - ``latent``: no window at all. The synthetic node's encoder state is interpolated between the
    states of its two real samples, which share a day (SMOTE's ``same_day`` recipes) and so are
    nodes of that day's graph, and it takes its base sample's real neighbours as ``centre`` does:
    SMOTE in the encoder's output space, as GraphSMOTE (Zhao et al., 2021) does on graphs. The
    batch says which node pairs to mix (``synthetic_pair`` (2, m), ``synthetic_gap`` (m,)); the
    synthetic nodes come last, after every node that has a window or a series step, and their
    ``x`` rows are absent. It equals ``centre`` (given the same recipes) exactly when the encoder
    is linear; with the real, nonlinear encoders the two differ there, and ``latent``'s partners
    are drawn from the base's own day only. Bases, partners or neighbours whose day the batch
    lacks (the balanced sampler) join as unlabelled nodes, as in ``centre``.

:class:`GraphBatcher` collates any mix into one ``Data`` (nodes of all graphs stacked, edge
indices offset), the same result as ``Batch.from_data_list`` but vectorised. The scaled panel
lives on the batcher's device and every window is gathered there by index: per batch the host
works out integer indices only (which nodes, which edges) and sends them in one copy per part (day
graphs, synthetic samples), so a GPU never waits for windows assembled on the CPU.

A **series batch** (``batch(days, ego_ids, series=True)``) carries the day graphs' features as
one series per ticker instead of one window per node, for an encoder that can run along a whole
series (a causal TCN whose receptive field fits in W): ``series`` (n_tickers, S, F) holds the
panel's rows on the union of the windows ending on ``days``, in day order, and the node of (day,
ticker) is the encoder's output at ``series_index``, its position in that series flattened as
``ticker * S + step``. Contiguous days (a validation or test period) share their windows' rows, so
each ticker-day is encoded once, not W times; scattered days (a shuffled training batch) cost what
their windows do (``training.batch_order: contiguous`` gives training batches of consecutive days).
``x`` then holds the ego graphs' windows only, which come after the day graphs' nodes as always.

Node attributes: ``x`` (n_nodes, W, F), ``y`` (n_nodes,) with -1 for unlabelled nodes,
``sample_weight`` (n_nodes,), ``labelled_index`` (the indices of the nodes with ``y >= 0``, worked out
without reading a label back, so that selecting them never makes a GPU wait); edges: ``edge_index`` (2, n_edges),
``edge_weight`` (n_edges,).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch_geometric.data import Data

from stgnn.classes import N_CLASSES
from stgnn.data.graph import Graph
from stgnn.device import indexed

UNLABELLED = -1

EGO_MODES = ("exact", "centre", "latent")
"""How a synthetic ego graph enters a batch: all K + 1 windows interpolated, its centre window
alone attached to real neighbour nodes, or its centre's encoder state alone, likewise attached (see
the module docstring)."""


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


def series_rows(days: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """The panel's rows a series batch of ``days`` holds, and each day's step among them.

    The rows are the sorted union of the windows ``[d - W + 1, d]`` (clipped at day 0), so every
    day's window is the ``W`` steps ending at its own (fewer at the panel's start). Where the rows
    jump a gap the series runs on across it, but a causal encoder reading at most ``W`` steps back
    reads, at a day's step, nothing outside that day's window.

    Parameters
    ----------
    days : np.ndarray of shape (n,), int
        Any days, in any order, repeats allowed.
    window : int

    Returns
    -------
    rows : np.ndarray of shape (S,), int64
    steps : np.ndarray of shape (n,), int64
        ``rows[steps] == days``.

    Examples
    --------
    >>> rows, steps = series_rows(np.array([9, 3, 4]), 3)
    >>> rows.tolist(), steps.tolist()
    ([1, 2, 3, 4, 7, 8, 9], [6, 2, 3])
    """
    days = np.asarray(days, dtype=np.int64)
    rows = np.unique(days[:, None] - np.arange(window))
    rows = rows[rows >= 0]
    return rows, np.searchsorted(rows, days)


def read_by_windows(usable: torch.Tensor, window: int) -> torch.Tensor:
    """Which steps of a series the windows of its usable nodes read: ``usable`` (S, n) bool says
    which (step, ticker) is a node; step s is read if a node lies at one of the steps s .. s + W - 1."""
    n_steps = usable.shape[0]
    seen = torch.nn.functional.pad(usable.long().cumsum(0), (0, 0, 1, 0))
    ahead = torch.clamp(torch.arange(n_steps, device=usable.device) + window, max=n_steps)
    return seen[ahead] > seen[:-1]


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


@dataclass(frozen=True)
class _Nodes:
    """One part of a batch (day graphs, or synthetic samples): its nodes' windows, labels and loss
    weights, its edges and their weights (in batch numbering), the positions of its labelled nodes
    and any attributes of its own."""

    x: torch.Tensor
    y: torch.Tensor
    sample_weight: torch.Tensor
    edge_index: torch.Tensor
    edge_weight: torch.Tensor
    labelled: torch.Tensor
    extra: dict = field(default_factory=dict)  # more batch attributes: a series, latent mixes


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
    ego_mode : {"exact", "centre", "latent"}, default "exact"
        How a synthetic ego graph enters a batch (see the module docstring).

    Raises
    ------
    ValueError
        If a label is outside {-1, 0, 1, 2} or a sample weight is negative or not finite (checked
        once here, so the training loop never reads them back from a GPU), or, in ``latent`` mode,
        if a synthetic sample's two real samples lie on different days.
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
        if ego_mode == "latent" and (self.ego.base[:, 0] != self.ego.other[:, 0]).any():
            raise ValueError("Expected synthetic samples whose two real samples share a day in latent mode "
                             "(EgoSMOTE(same_day=True) makes them).")
        self.device = indexed(torch.device(device))
        self._day_edges, day_weight = graph.edge_index()
        k = graph.k
        put = self._put
        self._x, self._y, self._sw = put(self.x), put(self.y), put(self.sample_weight)
        self._usable = put(self.usable)
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

    def batch(self, days: np.ndarray, ego_ids: np.ndarray | None = None, *, series: bool = False) -> Data:
        """One batch on the batcher's device: the day graphs of ``days`` (usable nodes only, in
        :meth:`nodes` order) followed by the ego graphs ``ego_ids`` (in ``centre`` mode: their
        centres, then any neighbour nodes the day graphs lack; in ``latent``: those nodes, then the
        synthetic ones); with ``series``, the day graphs' features as a series batch (see the
        module's docstring)."""
        days = np.asarray(days, dtype=np.int64)
        ego_ids = np.zeros(0, np.int64) if ego_ids is None else np.asarray(ego_ids, dtype=np.int64)
        day, (position, ticker) = self._day_graphs(days, series and len(days) > 0)
        parts = [day]
        if len(ego_ids):
            parts.append(self._exact_egos(ego_ids, len(ticker)) if self.ego_mode == "exact"
                         else self._attached_egos(days, position, ticker, ego_ids))
        y = torch.cat([p.y for p in parts])
        return Data(x=torch.cat([p.x for p in parts]), y=y, num_nodes=len(y),  # x lacks series and latent nodes
                    sample_weight=torch.cat([p.sample_weight for p in parts]),
                    labelled_index=torch.cat([p.labelled for p in parts]),
                    edge_index=torch.cat([p.edge_index for p in parts], dim=1),
                    edge_weight=torch.cat([p.edge_weight for p in parts]),
                    **{key: value for p in parts for key, value in p.extra.items()})

    def _day_graphs(self, days: np.ndarray, series: bool) -> tuple[_Nodes, tuple[np.ndarray, np.ndarray]]:
        """The day graphs' nodes (no windows in ``x`` with ``series``: their series and each node's
        place in it are their extras), and the (position, ticker) of :meth:`nodes`."""
        position, ticker = self.nodes(days)
        node_day = days[position]
        edges, slot = self._day_edges_of(days)
        host = [node_day, ticker, edges, slot, np.flatnonzero(self.y[node_day, ticker] >= 0)]
        if series:
            rows, steps = series_rows(days, self.window)
            host += [rows, steps, steps[position]]
        node_day, ticker_t, edges, slot, labelled, *layout = self._send(*host)
        extra = {}
        if series:
            rows, steps, node_step = layout
            extra["series"], extra["series_index"] = self._series(rows, steps), ticker_t * len(rows) + node_step
            x = self._x.new_zeros((0, self.window, self._x.shape[-1]))
        else:
            x = gather_windows(self._x, node_day, ticker_t[:, None], self.window)[:, 0]
        nodes = _Nodes(x, self._y[node_day, ticker_t], self._sw[node_day, ticker_t], edges.view(2, -1),
                       self._day_weight[slot], labelled, extra)
        return nodes, (position, ticker)

    def _exact_egos(self, ego_ids: np.ndarray, offset: int) -> _Nodes:
        """Whole synthetic ego graphs (K + 1 interpolated windows each), numbered from ``offset``."""
        m, k1 = len(ego_ids), self.graph.k + 1
        (ego_ids,) = self._send(ego_ids)
        x = _synthetic_windows(self._x, self._neighbours, self.window, self._ego_base[ego_ids],
                               self._ego_other[ego_ids], self._ego_gap[ego_ids]).flatten(0, 1)
        centre = torch.arange(m, device=self.device) * k1
        y = torch.full((m * k1,), UNLABELLED, dtype=torch.long, device=self.device).index_copy_(
            0, centre, self._ego_y[ego_ids])
        return _Nodes(x, y, torch.zeros(m * k1, device=self.device).index_fill_(0, centre, 1.0),
                      _tile(self._ego_edges, m, k1) + offset, self._ego_weight[ego_ids].reshape(-1), centre + offset)

    def _attached_egos(self, days: np.ndarray, position: np.ndarray, ticker: np.ndarray, ego_ids: np.ndarray) -> _Nodes:
        """Synthetic samples attached to their bases' real neighbours among the day graphs' nodes
        (``centre`` and ``latent``), the nodes they read that the day graphs lack added unlabelled:
        in ``centre``, their centres' interpolated windows, then those added nodes; in ``latent``,
        the added nodes, then the synthetic nodes (no window: the pairs to mix are the extras)."""
        latent = self.ego_mode == "latent"
        n_day_nodes, m, k = len(ticker), len(ego_ids), self.graph.k
        base_day, base_centre = self.ego.base[ego_ids].T
        wanted = [self.graph.neighbours[base_centre].reshape(-1)]  # (m * K), every slot filled (checked in __init__)
        wanted_day = [np.repeat(base_day, k)]
        if latent:  # and the two samples to mix, both on the base's day (checked in __init__)
            wanted += [base_centre, self.ego.other[ego_ids, 1]]
            wanted_day += [base_day, base_day]
        wanted, wanted_day = np.concatenate(wanted), np.concatenate(wanted_day)
        source = _node_ids(days, position, ticker, len(self.graph.tickers), wanted_day, wanted)
        missing = np.flatnonzero(source < 0)
        first_added = n_day_nodes + (0 if latent else m)
        source[missing] = first_added + np.arange(len(missing))
        synthetic = (first_added + len(missing) if latent else n_day_nodes) + np.arange(m)
        edges = np.stack([source[:m * k], np.repeat(synthetic, k)])
        ego_ids, added_day, added_ticker, edges, synthetic, pair = self._send(
            ego_ids, wanted_day[missing], wanted[missing], edges, synthetic, source[m * k:].reshape(-1, m))
        n_added = len(missing)
        added = gather_windows(self._x, added_day, added_ticker[:, None], self.window)[:, 0]
        unlabelled = torch.full((n_added,), UNLABELLED, dtype=torch.long, device=self.device)
        ones, zeros = torch.ones(m, device=self.device), torch.zeros(n_added, device=self.device)
        y, gap = self._ego_y[ego_ids], self._ego_gap[ego_ids]
        if latent:
            return _Nodes(added, torch.cat([unlabelled, y]), torch.cat([zeros, ones]), edges.view(2, -1),
                          self._ego_weight[ego_ids].reshape(-1), synthetic,
                          {"synthetic_pair": pair, "synthetic_gap": gap.float()})
        base, other = self._ego_base[ego_ids], self._ego_other[ego_ids]
        centre = interpolate(*(gather_windows(self._x, ends[:, 0], ends[:, 1:], self.window)[:, 0]
                               for ends in (base, other)), gap)
        return _Nodes(torch.cat([centre, added]), torch.cat([y, unlabelled]), torch.cat([ones, zeros]),
                      edges.view(2, -1), self._ego_weight[ego_ids].reshape(-1), synthetic)

    def _series(self, rows: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        """Every ticker's features on ``rows``: (n_tickers, S, F), zero wherever no usable node of
        the batch's days (at ``steps``) reads them. A panel may hold NaN where a ticker is absent;
        no node's window reads it, but a convolution along the whole series would carry it (and a
        convolution algorithm that mixes every step, as an FFT does, to every output)."""
        is_day = torch.zeros(len(rows), dtype=torch.bool, device=self.device).index_fill_(0, steps, True)
        read = read_by_windows(self._usable.index_select(0, rows) & is_day[:, None], self.window)
        return self._x.index_select(0, rows).masked_fill(~read[..., None], 0.0).transpose(0, 1)

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


def _node_ids(days: np.ndarray, position: np.ndarray, ticker: np.ndarray, n_tickers: int,
              wanted_day: np.ndarray, wanted_ticker: np.ndarray) -> np.ndarray:
    """Ids of the day graphs' nodes (at ``position`` in ``days``, ``ticker``) that are the wanted
    (day, ticker) pairs, -1 where the batch has none; a day drawn twice is read at its first draw."""
    node_of = np.full((len(days) + 1, n_tickers), -1, np.int64)  # the last row: a day not in the batch
    node_of[position, ticker] = np.arange(len(ticker))
    first = np.full(max(days.max(initial=-1), wanted_day.max(initial=-1)) + 1, len(days), np.int64)
    first[days[::-1]] = np.arange(len(days))[::-1]
    return node_of[first[wanted_day], wanted_ticker]


def _tile(edge_index: torch.Tensor, copies: int, nodes_per_copy: int) -> torch.Tensor:
    """``copies`` disjoint copies of a graph's edges, node ids offset copy by copy."""
    offsets = torch.arange(copies, device=edge_index.device).repeat_interleave(edge_index.shape[1]) * nodes_per_copy
    return edge_index.repeat(1, copies) + offsets
