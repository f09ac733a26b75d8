"""The ticker graph: each ticker's K strongest neighbours, learned from training dates only.

:class:`CorrelationGraph` ranks neighbours by the correlation of daily log returns over the
training days (absolute, or positive only); :class:`SectorGraph` takes neighbours from the same
sector first (ranked by the same correlation) and fills up from other sectors when a sector is
smaller than K + 1. Both keep the correlation as the edge weight and every ticker gets exactly K
neighbours, so an ego window (centre + K neighbours) always has the same shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from stgnn.errors import ConfigError, DataError, NotFittedError
from stgnn.io import atomic_write_text


@dataclass(frozen=True)
class Graph:
    """K neighbours per ticker.

    Attributes
    ----------
    tickers : list of str
    neighbours : np.ndarray of shape (n_tickers, k), int
        ``neighbours[i]`` are the column indices of ticker i's neighbours, strongest first.
    weights : np.ndarray of shape (n_tickers, k), float
        Correlation of each neighbour with ticker i over the training days.
    """

    tickers: list[str]
    neighbours: np.ndarray
    weights: np.ndarray

    @property
    def k(self) -> int:
        return self.neighbours.shape[1]

    def edge_index(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Edges neighbour -> ticker as ``(edge_index (2, N*K), edge_weight (N*K,))``."""
        n, k = self.neighbours.shape
        src = torch.as_tensor(self.neighbours.reshape(-1), dtype=torch.long)
        dst = torch.arange(n).repeat_interleave(k)
        return torch.stack([src, dst]), torch.as_tensor(self.weights.reshape(-1), dtype=torch.float32)

    def to_dict(self) -> dict:
        return {
            "tickers": self.tickers,
            "neighbours": {
                t: [{"ticker": self.tickers[j], "weight": round(float(w), 6)} for j, w in zip(nb, ws)]
                for t, nb, ws in zip(self.tickers, self.neighbours, self.weights)
            },
        }

    @classmethod
    def from_dict(cls, d: dict) -> Graph:
        tickers = list(d["tickers"])
        pos = {t: i for i, t in enumerate(tickers)}
        rows = [d["neighbours"][t] for t in tickers]
        neighbours = np.array([[pos[e["ticker"]] for e in row] for row in rows], dtype=np.int64)
        weights = np.array([[e["weight"] for e in row] for row in rows], dtype=np.float64)
        return cls(tickers, neighbours, weights)

    def save(self, path: str | Path) -> None:
        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=1))


def _correlation(returns: np.ndarray) -> np.ndarray:
    """Pearson correlation of columns, ignoring rows with a NaN; constant columns get 0."""
    r = returns[np.isfinite(returns).all(axis=1)]
    if len(r) < 3:
        raise DataError(f"Expected at least 3 training days of returns to build the graph, got {len(r)}.")
    r = r - r.mean(axis=0)
    norm = np.sqrt((r**2).sum(axis=0))
    norm[norm == 0] = np.inf
    corr = (r.T @ r) / np.outer(norm, norm)
    np.fill_diagonal(corr, 0.0)
    return corr


class _GraphBuilder:
    """Shared ``fit`` contract: ``fit(train_returns, tickers)`` sets ``graph_`` and returns self."""

    def __init__(self, *, k: int = 5, correlation: str = "absolute"):
        if k < 1:
            raise ConfigError(f"Expected graph k >= 1, got {k}.")
        if correlation not in ("absolute", "positive"):
            raise ConfigError(f"Expected correlation 'absolute' or 'positive', got {correlation!r}.")
        self.k = k
        self.correlation = correlation

    def __repr__(self) -> str:
        return f"{type(self).__name__}(k={self.k}, correlation={self.correlation!r})"

    @property
    def graph(self) -> Graph:
        if not hasattr(self, "graph_"):
            raise NotFittedError(f"{type(self).__name__}: call fit(train_returns, tickers) first.")
        return self.graph_

    def fit(self, returns: np.ndarray, tickers: list[str]):
        """Learn neighbours from ``returns`` of shape (n_train_days, n_tickers)."""
        n = len(tickers)
        if returns.ndim != 2 or returns.shape[1] != n:
            raise ValueError(f"Expected returns of shape (n_days, {n}), got {returns.shape}.")
        if self.k >= n:
            raise ConfigError(f"Graph k={self.k} needs at least {self.k + 1} tickers, got {n}; lower --k.")
        corr = _correlation(returns)
        strength = np.abs(corr) if self.correlation == "absolute" else corr
        strength = strength + self._priority(tickers)
        np.fill_diagonal(strength, -np.inf)
        # Stable order: ties broken by ticker position, so a fit is reproducible.
        neighbours = np.argsort(-strength, axis=1, kind="stable")[:, : self.k]
        weights = np.take_along_axis(corr, neighbours, axis=1)
        self.graph_ = Graph(list(tickers), neighbours, weights)
        return self

    def _priority(self, tickers: list[str]) -> np.ndarray | float:
        return 0.0


class CorrelationGraph(_GraphBuilder):
    """Top-k neighbours by correlation of training-period daily log returns.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> common = rng.normal(size=(200, 1))
    >>> r = np.hstack([common + 0.1 * rng.normal(size=(200, 2)), rng.normal(size=(200, 2))])
    >>> g = CorrelationGraph(k=1).fit(r, ["A", "B", "C", "D"]).graph
    >>> [g.tickers[j] for j in g.neighbours[:2, 0]]
    ['B', 'A']
    """


class SectorGraph(_GraphBuilder):
    """Neighbours from the same sector first (by correlation), then the most correlated others.

    Parameters
    ----------
    sectors : dict of ticker -> sector
        From a ``ticker,sector`` csv (:func:`read_sectors`).
    """

    def __init__(self, sectors: dict[str, str], *, k: int = 5, correlation: str = "absolute"):
        super().__init__(k=k, correlation=correlation)
        self.sectors = sectors

    def _priority(self, tickers: list[str]) -> np.ndarray:
        missing = [t for t in tickers if t not in self.sectors]
        if missing:
            raise DataError(f"Sector file has no sector for {', '.join(missing)}; add a ticker,sector row for each.")
        labels = np.array([self.sectors[t] for t in tickers])
        return np.where(labels[:, None] == labels[None, :], 10.0, 0.0)


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


def build_graph(config, returns: np.ndarray, tickers: list[str]) -> Graph:
    """The graph a :class:`~stgnn.config.GraphConfig` asks for, fitted on training returns."""
    if config.method == "sector":
        builder = SectorGraph(read_sectors(config.sector_file), k=config.k, correlation=config.correlation)
    else:
        builder = CorrelationGraph(k=config.k, correlation=config.correlation)
    return builder.fit(returns, tickers).graph
