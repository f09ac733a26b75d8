"""The ticker graph: each ticker's K strongest neighbours, learned from training dates only.

:class:`CorrelationGraph` ranks neighbours by the correlation of daily log returns over the
training days (absolute, or positive only); :class:`SectorGraph` takes neighbours from the same
sector first (ranked by the same correlation) and fills up from other sectors when a sector is
smaller than K + 1. Both keep the correlation as the edge weight (for the sector peers of a ticker
with no history, an estimate of it: see :class:`SectorGraph`).

On stock returns one common factor, the market, dominates every correlation: names with a high
market beta all look alike, whatever else they share. With ``residual=True`` (graph methods
``residual`` and ``sector_residual``) both builders rank by the correlation of *residual* returns
instead, each ticker's return net of its beta times the market (:func:`residual_returns`), so a
neighbour is a name that moves with the ticker beyond the market; the edge weight is then that
residual correlation.

The panel is ragged (tickers list late, delist, have holes), so a correlation is computed over the
days both tickers traded, and only counts when they share at least ``min_overlap`` of them: a
correlation from a handful of days is noise that would outrank real partners. Every ticker keeps
K neighbour *slots* so an ego window (centre + K neighbours) always has the same shape, but a
ticker with fewer than K valid partners has empty slots (neighbour -1, weight 0.0) at the end of
its row. Consumers use :attr:`Graph.has_neighbour` or :meth:`Graph.edge_index`, which omits them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from stgnn.datasets import SP500_SECTORS
from stgnn.errors import ConfigError, DataError, NotFittedError
from stgnn.io import atomic_write_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Graph:
    """K neighbour slots per ticker; a slot may be empty.

    Attributes
    ----------
    tickers : list of str
    neighbours : np.ndarray of shape (n_tickers, k), int
        ``neighbours[i]`` are the column indices of ticker i's neighbours, strongest first. ``-1``
        marks an empty slot (ticker i has fewer than k valid partners); empty slots come last.
        Indexing with a raw -1 silently picks the last ticker: mask with :attr:`has_neighbour`.
    weights : np.ndarray of shape (n_tickers, k), float
        Correlation of each neighbour with ticker i over the training days they share; 0.0 in an
        empty slot, so a weighted sum over all k slots ignores it.

    Examples
    --------
    >>> g = Graph(["A", "B", "C"], np.array([[1, 2], [0, -1], [-1, -1]]),
    ...           np.array([[0.9, 0.5], [0.9, 0.0], [0.0, 0.0]]))
    >>> g.k, g.has_neighbour.sum(axis=1).tolist()
    (2, [2, 1, 0])
    >>> edge_index, edge_weight = g.edge_index()
    >>> edge_index.tolist(), edge_weight.tolist()
    ([[1, 2, 0], [0, 0, 1]], [0.8999999761581421, 0.5, 0.8999999761581421])
    >>> Graph.from_dict(g.to_dict()).neighbours.tolist()
    [[1, 2], [0, -1], [-1, -1]]
    """

    tickers: list[str]
    neighbours: np.ndarray
    weights: np.ndarray

    @property
    def k(self) -> int:
        """Neighbour slots per ticker (filled or empty)."""
        return self.neighbours.shape[1]

    @property
    def has_neighbour(self) -> np.ndarray:
        """(n_tickers, k) bool: True where the slot holds a neighbour, False where it is empty."""
        return self.neighbours >= 0

    def edge_index(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Edges neighbour -> ticker as ``(edge_index (2, E), edge_weight (E,))``, E = filled slots.

        Empty slots are left out rather than sent as zero-weight edges: index -1 is no node.
        Edges are ordered by ticker, then slot (strongest first).
        """
        filled = self.has_neighbour
        src = torch.as_tensor(self.neighbours[filled], dtype=torch.long)
        dst = torch.as_tensor(np.nonzero(filled)[0], dtype=torch.long)
        return torch.stack([src, dst]), torch.as_tensor(self.weights[filled], dtype=torch.float32)

    def to_dict(self) -> dict:
        """JSON-ready: per ticker the list of its filled slots (shorter than k where some are empty)."""
        return {
            "tickers": self.tickers,
            "k": self.k,
            "neighbours": {
                t: [{"ticker": self.tickers[j], "weight": round(float(w), 6)} for j, w in zip(nb, ws) if j >= 0]
                for t, nb, ws in zip(self.tickers, self.neighbours, self.weights)
            },
        }

    @classmethod
    def from_dict(cls, d: dict) -> Graph:
        """Inverse of :meth:`to_dict`; rows shorter than k are padded with empty slots.

        Files written before empty slots existed have no ``"k"``: every row then has k entries.
        """
        tickers = list(d["tickers"])
        pos = {t: i for i, t in enumerate(tickers)}
        rows = [d["neighbours"][t] for t in tickers]
        k = d.get("k", max((len(row) for row in rows), default=0))
        neighbours = np.full((len(tickers), k), -1, dtype=np.int64)
        weights = np.zeros((len(tickers), k), dtype=np.float64)
        for i, row in enumerate(rows):
            neighbours[i, : len(row)] = [pos[e["ticker"]] for e in row]
            weights[i, : len(row)] = [e["weight"] for e in row]
        return cls(tickers, neighbours, weights)

    def save(self, path: str | Path) -> None:
        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=1))


# Below this fraction of its sum of squares, a column's variance over an overlap is rounding noise
# of the one-pass formula: the column is constant there.
_CONSTANT_TOL = 1e-10


def _pairwise_correlation(returns: np.ndarray, min_overlap: int) -> np.ndarray:
    """Pearson correlation of each pair of columns over the rows where both are finite.

    One-pass sums per pair from masked matrix products (``M`` presence, ``X`` zero-filled):
    ``n = M'M``, sums ``X'M``, sums of squares ``(X*X)'M``, cross products ``X'X``. Columns are
    first centred on their own mean, so the one-pass formula subtracts small numbers and, on
    complete data, equals the two-pass ``np.corrcoef`` to rounding.

    Returns
    -------
    np.ndarray of shape (n_tickers, n_tickers)
        NaN on the diagonal and where a pair shares fewer than ``min_overlap`` rows (no
        correlation); 0 where a column is constant over the shared rows, as it carries no signal.

    Examples
    --------
    >>> r = np.array([[1.0, 2.0, np.nan], [2.0, 1.0, 1.0], [3.0, 5.0, 3.0], [4.0, 3.0, 2.0]])
    >>> _pairwise_correlation(r, 3).round(2)  # column 2 misses day 0: its pairs use days 1-3
    array([[ nan, 0.53, 0.5 ],
           [0.53,  nan, 1.  ],
           [0.5 , 1.  ,  nan]])
    >>> round(float(np.corrcoef(r[1:, 0], r[1:, 2])[0, 1]), 2)
    0.5
    >>> bool(np.isnan(_pairwise_correlation(r, 4)[0, 2]))  # 3 shared days < min_overlap
    True
    """
    present = np.isfinite(returns)
    m = present.astype(np.float64)
    count = m.sum(axis=0)
    mean = np.where(present, returns, 0.0).sum(axis=0) / np.maximum(count, 1.0)
    x = np.where(present, returns - mean, 0.0)
    n = m.T @ m
    s = x.T @ m  # s[i, j]: sum of i over the days j trades too
    ss = (x * x).T @ m
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = x.T @ x - s * s.T / n
        var = ss - s * s / n  # var[i, j]: i's sum of squared deviations over the days shared with j
        constant = (var <= _CONSTANT_TOL * ss) | (var.T <= _CONSTANT_TOL * ss.T)
        corr = np.where(constant, 0.0, cov / np.sqrt(var * var.T))
    corr[n < min_overlap] = np.nan
    np.fill_diagonal(corr, np.nan)
    return corr


def residual_returns(returns: np.ndarray) -> np.ndarray:
    """Each column's returns net of its exposure to the equal-weight market, NaN where absent.

    The market on day t is the mean return of the tickers present that day (a ragged panel has no
    fixed universe to weight). Each ticker's beta is the OLS slope, with an intercept, of its
    returns on the market over its own present days, and its residual is ``r - beta * market``
    (the intercept is left in: a correlation ignores it). A beta rather than ``r - market`` because
    the loadings differ: subtracting the market whole would leave ``(beta - 1) * market`` in every
    residual, and high-beta names would still look alike. The market includes the ticker itself,
    a 1/N share that is negligible on a few hundred names. A ticker whose market returns do not
    vary over its days keeps its returns (beta 0).

    Everything comes from ``returns`` alone: given the training rows, nothing later is read.

    Parameters
    ----------
    returns : np.ndarray of shape (n_days, n_tickers)
        Daily log returns, NaN where a ticker is absent.

    Returns
    -------
    np.ndarray of shape (n_days, n_tickers)

    Examples
    --------
    Twenty names loading 0.5 to 2.0 on one market and nothing else in common (the first lists on
    day 100): raw, every pair looks alike; net of the market, no pair does.

    >>> rng = np.random.default_rng(0)
    >>> r = rng.normal(size=(250, 1)) * np.linspace(0.5, 2.0, 20) + 0.5 * rng.normal(size=(250, 20))
    >>> r[:100, 0] = np.nan
    >>> res = residual_returns(r)
    >>> pairs = ~np.eye(20, dtype=bool)
    >>> mean_correlation = lambda x: round(float(np.corrcoef(x[100:].T)[pairs].mean()), 2)
    >>> mean_correlation(r), mean_correlation(res)
    (0.82, -0.05)
    >>> int(np.isnan(res).sum())  # absent stays absent
    100
    """
    present = np.isfinite(returns)
    x = np.where(present, returns, 0.0)
    market = x.sum(axis=1) / np.maximum(present.sum(axis=1), 1)
    m = np.where(present, market[:, None], 0.0)
    mean = m.sum(axis=0) / np.maximum(present.sum(axis=0), 1)
    dm = np.where(present, m - mean, 0.0)
    var = (dm * dm).sum(axis=0)
    moves = var > _CONSTANT_TOL * (m * m).sum(axis=0)
    beta = np.divide((dm * x).sum(axis=0), var, out=np.zeros_like(var), where=moves)
    return np.where(present, returns - beta * market[:, None], np.nan)


def _names(tickers: list[str], limit: int = 10) -> str:
    """Comma-separated, at most ``limit`` names, so one log line stays one line on a big universe."""
    more = f", ... (+{len(tickers) - limit} more)" if len(tickers) > limit else ""
    return ", ".join(tickers[:limit]) + more


class _GraphBuilder:
    """Shared ``fit`` contract: ``fit(train_returns, tickers)`` sets ``graph_`` and returns self.

    Parameters
    ----------
    k : int
        Neighbour slots per ticker; ``fit`` caps it at the tickers with training returns less one
        (``k_``, with a warning).
    correlation : {"absolute", "positive"}
        Rank partners by ``|corr|`` or by ``corr``.
    min_overlap : int
        Fewest training days two tickers must both trade for their correlation to count; a pair
        below it can never be neighbours.
    residual : bool
        Correlate residual returns, the market factor removed (:func:`residual_returns`), rather
        than raw returns.
    """

    def __init__(self, *, k: int = 5, correlation: str = "absolute", min_overlap: int = 60, residual: bool = False):
        if k < 1:
            raise ConfigError(f"Expected graph k >= 1, got {k}.")
        if correlation not in ("absolute", "positive"):
            raise ConfigError(f"Expected correlation 'absolute' or 'positive', got {correlation!r}.")
        if min_overlap < 3:
            raise ConfigError(f"Expected graph min_overlap >= 3 (fewer days give a meaningless correlation), "
                              f"got {min_overlap}.")
        self.k = k
        self.correlation = correlation
        self.min_overlap = min_overlap
        self.residual = residual

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(k={self.k}, correlation={self.correlation!r}, min_overlap={self.min_overlap}, "
                f"residual={self.residual})")

    @property
    def graph(self) -> Graph:
        if not hasattr(self, "graph_"):
            raise NotFittedError(f"{type(self).__name__}: call fit(train_returns, tickers) first.")
        return self.graph_

    def fit(self, returns: np.ndarray, tickers: list[str]):
        """Learn neighbours from ``returns`` of shape (n_train_days, n_tickers), NaN where absent.

        Only ``returns`` is read (the market factor of ``residual`` too): pass the training days.
        """
        n = len(tickers)
        if returns.ndim != 2 or returns.shape[1] != n:
            raise ValueError(f"Expected returns of shape (n_days, {n}), got {returns.shape}.")
        self.k_ = self._capped_k(returns)
        corr = _pairwise_correlation(residual_returns(returns) if self.residual else returns, self.min_overlap)
        valid = np.isfinite(corr)
        if not valid.any():
            shared = (np.isfinite(returns).T.astype(np.int64) @ np.isfinite(returns)) * (1 - np.eye(n, dtype=np.int64))
            raise DataError(f"No two tickers share min_overlap={self.min_overlap} training days of returns (at most "
                            f"{shared.max()}); train on more days or lower graph.min_overlap.")
        strength = np.abs(corr) if self.correlation == "absolute" else corr
        strength = np.where(valid, strength + self._priority(tickers), -np.inf)
        # Stable order: ties broken by ticker position, so a fit is reproducible; invalid last.
        order = np.argsort(-strength, axis=1, kind="stable")[:, : self.k_]
        filled = np.take_along_axis(valid, order, axis=1)
        neighbours = np.where(filled, order, -1)
        weights = np.where(filled, np.take_along_axis(corr, order, axis=1), 0.0)
        sector_filled = self._fill_isolated(neighbours, weights, corr, tickers)
        self.graph_ = Graph(list(tickers), neighbours, weights)
        self._log_gaps(sector_filled)
        return self

    def _capped_k(self, returns: np.ndarray) -> int:
        """``k``, capped at the tickers with training returns less one (with a warning): a small
        universe runs with every partner it has rather than failing. Counted on the training days
        alone, so that a ticker listing later changes no fold's graph."""
        present = int(np.isfinite(returns).any(axis=0).sum())
        if present < 2:
            raise DataError(f"A graph needs at least 2 tickers with returns on the training days, got {present}; "
                            "add tickers or train on more days.")
        if self.k < present:
            return self.k
        logger.warning("graph k=%d capped at %d: only %d tickers have returns on the training days", self.k,
                       present - 1, present)
        return present - 1

    def _priority(self, tickers: list[str]) -> np.ndarray | float:
        return 0.0

    def _fill_isolated(self, neighbours: np.ndarray, weights: np.ndarray, corr: np.ndarray,
                       tickers: list[str]) -> list[int]:
        """Fill, in place, the rows of tickers without any valid partner; return those filled.

        The correlation graph has nothing to rank such a ticker by: it gets no edges.
        """
        return []

    def _log_gaps(self, sector_filled: list[int]) -> None:
        """One info line naming the tickers whose slots are sector-filled or partly empty, and why."""
        g = self.graph_
        empty = (~g.has_neighbour).sum(axis=1)
        short = [f"{g.tickers[i]} ({empty[i]} of {g.k} empty)" for i in np.flatnonzero(empty)]
        if not short and not sector_filled:
            return
        parts = [f"graph k={g.k}, min_overlap={self.min_overlap}: fewer than k partners share "
                 f"{self.min_overlap} training days"]
        if sector_filled:
            parts.append(f"{len(sector_filled)} without any partner take sector peers "
                         f"(weight = sector's median correlation): {_names([g.tickers[i] for i in sector_filled])}")
        if short:
            parts.append(f"{len(short)} keep empty slots: {_names(short)}")
        logger.info("; ".join(parts))


class CorrelationGraph(_GraphBuilder):
    """Top-k neighbours by correlation of training-period daily log returns.

    A ticker with fewer than k partners sharing ``min_overlap`` days keeps empty slots; one with
    none (say, listed at the end of the training period) gets no edges and is nobody's neighbour.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> common = rng.normal(size=(200, 1))
    >>> r = np.hstack([common + 0.1 * rng.normal(size=(200, 2)), rng.normal(size=(200, 2))])
    >>> g = CorrelationGraph(k=1).fit(r, ["A", "B", "C", "D"]).graph
    >>> [g.tickers[j] for j in g.neighbours[:2, 0]]
    ['B', 'A']
    >>> r[:180, 3] = np.nan  # D lists late: 20 days of history
    >>> CorrelationGraph(k=2, min_overlap=60).fit(r, ["A", "B", "C", "D"]).graph.neighbours.tolist()
    [[1, 2], [0, 2], [1, 0], [-1, -1]]
    """


class SectorGraph(_GraphBuilder):
    """Neighbours from the same sector first (by correlation), then the most correlated others.

    A ticker without a single partner sharing ``min_overlap`` training days cannot be ranked; it
    gets up to k peers from its own sector instead, in column order, among peers that have
    history (a peer just as new tells nothing). Its edge weight is unknown, and 0 would mean no
    message, so it is the sector's median correlation over its valid pairs: the expected
    correlation of two members (the median over all valid pairs when the sector has none).
    Without such peers it keeps empty slots.

    Parameters
    ----------
    sectors : dict of ticker -> sector
        From a ``ticker,sector`` csv (:func:`read_sectors`).
    k, correlation, min_overlap, residual
        As for :class:`CorrelationGraph` (``residual``: rank within and outside the sector by
        residual correlation).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = rng.normal(size=(200, 4)) + rng.normal(size=(200, 1))
    >>> r[:180, 3] = np.nan  # D lists late
    >>> sectors = {"A": "tech", "B": "energy", "C": "tech", "D": "tech"}
    >>> g = SectorGraph(sectors, k=2).fit(r, ["A", "B", "C", "D"]).graph
    >>> g.neighbours[3].tolist(), bool(g.weights[3, 0] == g.weights[3, 1] == g.weights[0, 0])
    ([0, 2], True)
    """

    def __init__(self, sectors: dict[str, str], *, k: int = 5, correlation: str = "absolute", min_overlap: int = 60,
                 residual: bool = False):
        super().__init__(k=k, correlation=correlation, min_overlap=min_overlap, residual=residual)
        self.sectors = sectors

    def _labels(self, tickers: list[str]) -> np.ndarray:
        missing = [t for t in tickers if t not in self.sectors]
        if missing:
            raise DataError(f"Sector file has no sector for {', '.join(missing)}; add a ticker,sector row for each.")
        return np.array([self.sectors[t] for t in tickers])

    def _priority(self, tickers: list[str]) -> np.ndarray:
        labels = self._labels(tickers)
        return np.where(labels[:, None] == labels[None, :], 10.0, 0.0)

    def _fill_isolated(self, neighbours: np.ndarray, weights: np.ndarray, corr: np.ndarray,
                       tickers: list[str]) -> list[int]:
        labels = self._labels(tickers)
        valid = np.isfinite(corr)
        history = valid.any(axis=1)
        filled = []
        for i in np.flatnonzero(~history):
            same = labels == labels[i]
            peers = np.flatnonzero(same & history)[: self.k_]
            if len(peers) == 0:
                continue
            within = corr[np.ix_(same, same)]
            within = within[np.isfinite(within)]
            neighbours[i, : len(peers)] = peers
            weights[i, : len(peers)] = np.median(within if len(within) else corr[valid])
            filled.append(int(i))
        return filled


def read_sectors(path: str | Path) -> dict[str, str]:
    """Read a ``ticker,sector`` csv (headers case-insensitive)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Sector file {path} does not exist; pass a csv with columns ticker,sector.")
    frame = pd.read_csv(path)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if not {"ticker", "sector"} <= set(frame.columns):
        raise DataError(f"{path}: expected columns ticker,sector, got {', '.join(frame.columns)}.")
    return {str(t).strip().upper(): str(s).strip() for t, s in zip(frame["ticker"], frame["sector"])}


def graph_summary(graph: Graph, sectors: dict[str, str] | None = None) -> str:
    """One line on what the neighbours are: filled slots, mean edge weight, and (sectors known)
    how many neighbours share the ticker's sector.

    A summary, because 500 tickers' lists do not fit a log line (graph.json holds them all):
    the mean weight says how strongly neighbours co-move (a residual graph's is lower: the market
    is gone), the sector share whether the neighbours are economic peers. A neighbour counts
    toward the share only when both sectors are known.

    Examples
    --------
    >>> g = Graph(["A", "B", "C"], np.array([[1, 2], [0, -1], [-1, -1]]),
    ...           np.array([[0.6, -0.2], [0.6, 0.0], [0.0, 0.0]]))
    >>> print(graph_summary(g, {"A": "tech", "B": "tech", "C": "energy"}))
    3 of 6 slots filled, mean neighbour correlation 0.33 (|0.47|), 67% of neighbours in the ticker's sector
    >>> print(graph_summary(g))
    3 of 6 slots filled, mean neighbour correlation 0.33 (|0.47|)
    """
    filled = graph.has_neighbour
    w = graph.weights[filled]
    mean = f"{w.mean():.2f} (|{np.abs(w).mean():.2f}|)" if w.size else "n/a"
    line = f"{int(filled.sum())} of {filled.size} slots filled, mean neighbour correlation {mean}"
    if sectors is None or not w.size:
        return line
    labels = np.array([sectors.get(t, "") for t in graph.tickers])
    known = np.array([t in sectors for t in graph.tickers])
    centre = np.broadcast_to(np.arange(len(graph.tickers))[:, None], filled.shape)[filled]
    peer = graph.neighbours[filled]
    both = known[centre] & known[peer]
    share = f"{(labels[centre] == labels[peer])[both].mean():.0%}" if both.any() else "n/a"
    return f"{line}, {share} of neighbours in the ticker's sector"


def _neighbour_lines(graph: Graph) -> list[str]:
    """Per ticker, its neighbours and their weights: ``A: B 0.60, C -0.20``."""
    return [f"{t}: " + (", ".join(f"{graph.tickers[j]} {w:.2f}" for j, w in zip(nb, ws) if j >= 0) or "none")
            for t, nb, ws in zip(graph.tickers, graph.neighbours, graph.weights)]


def configured_sectors(config) -> dict[str, str] | None:
    """The sectors of ``graph.sector_file`` (a :class:`~stgnn.config.GraphConfig`), or None without one."""
    return read_sectors(config.sector_file) if config.sector_file is not None else None


def known_sectors(config) -> dict[str, str] | None:
    """Each ticker's sector wherever it is known (a :class:`~stgnn.config.Config`): its
    ``graph.sector_file``, else source sp500's bundled GICS sectors, else None.

    For reporting: a correlation graph on sp500 needs no sector file, yet its report can still say
    in which sectors the signal lives.
    """
    if config.graph.sector_file is not None:
        return read_sectors(config.graph.sector_file)
    return read_sectors(SP500_SECTORS) if config.data.source == "sp500" else None


def build_graph(config, returns: np.ndarray, tickers: list[str]) -> Graph:
    """The graph a :class:`~stgnn.config.GraphConfig` asks for, fitted on training returns (NaN where absent).

    ``method`` picks the builder (``correlation``/``residual``: :class:`CorrelationGraph`;
    ``sector``/``sector_residual``: :class:`SectorGraph`) and whether it ranks by residual
    correlation. Logs :func:`graph_summary`'s line at info level, with the sector share whenever a
    sector file is set (for any method, so a correlation graph's peers can be compared with a
    sector graph's), and each ticker's neighbours at debug level.

    Examples
    --------
    >>> from stgnn.config import GraphConfig
    >>> rng = np.random.default_rng(0)
    >>> r = rng.normal(size=(200, 4)) + rng.normal(size=(200, 1))
    >>> g = build_graph(GraphConfig(k=1, method="residual", min_overlap=60), r, ["A", "B", "C", "D"])
    >>> g.k, bool(np.abs(g.weights).max() < 0.5)  # the common factor is gone
    (1, True)
    """
    sectors = configured_sectors(config)
    options = dict(k=config.k, correlation=config.correlation, min_overlap=config.min_overlap,
                   residual=config.method.endswith("residual"))
    builder = SectorGraph(sectors, **options) if config.method.startswith("sector") else CorrelationGraph(**options)
    graph = builder.fit(returns, tickers).graph
    logger.info("graph %s, k=%d: %s", config.method, graph.k, graph_summary(graph, sectors))
    if logger.isEnabledFor(logging.DEBUG):
        for line in _neighbour_lines(graph):
            logger.debug("graph neighbours %s", line)
    return graph
