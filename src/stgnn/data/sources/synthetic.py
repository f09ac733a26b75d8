r"""A synthetic market on a known graph, with the exact Bayes posterior of every label.

Daily log returns follow a Gaussian VAR(1): tickers sit in clusters of ``cluster_size``; each
ticker's return tomorrow follows the mean of its cluster-mates' returns today (lead-lag), plus a
cluster factor and idiosyncratic noise:

.. math::

    r_{t+1} = B r_t + e_{t+1}, \qquad
    B_{ij} = \frac{\text{lead\_lag}}{m - 1} \text{ for cluster-mates } j \ne i, \qquad
    e_{t,i} = \sigma_f f_{t,c(i)} + \sigma_\epsilon z_{t,i}.

Given everything up to day t, the h-day forward return :math:`R = \sum_{k=1}^h r_{t+k}` is
Gaussian with mean :math:`M_h r_t`, :math:`M_h = B + \dots + B^h`, and covariance
:math:`\sum_{k=1}^{h} C_{h-k} \Sigma C_{h-k}^T`, :math:`C_m = I + B + \dots + B^m`, so
P(Down), P(None), P(Up) are exact normal probabilities. A model can do no better than this
posterior: tests hold the STGNN against it. The signal sits in the neighbours, so a model without
the graph stays well below it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from stgnn.config import DataConfig, SyntheticConfig
from stgnn.data.panel import PricePanel, build_panel, validation_options

BURN_IN = 50


@dataclass(frozen=True)
class SyntheticMarket:
    """Prices, returns, the true graph and the model's matrices.

    Attributes
    ----------
    panel : PricePanel
    returns : pd.DataFrame of shape (n_days, n_tickers)
        ``r_t = log(close_t / close_{t-1})``; 0 on the first date.
    neighbours : dict of ticker -> list of tickers
        The true graph: each ticker's cluster-mates.
    lead_lag : np.ndarray of shape (n, n)
        B.
    shock_cov : np.ndarray of shape (n, n)
        Sigma = Cov(e).
    """

    panel: PricePanel
    returns: pd.DataFrame
    neighbours: dict[str, list[str]]
    lead_lag: np.ndarray
    shock_cov: np.ndarray

    def posterior(self, horizon: int, threshold) -> np.ndarray:
        """Exact P(Down), P(None), P(Up) of shape (n_days, n_tickers, 3), given returns up to t.

        ``threshold`` is a scalar or an (n_days, n_tickers) array known at t.
        """
        b = self.lead_lag
        n = len(b)
        power, m_h = np.eye(n), np.zeros((n, n))
        c = [np.eye(n)]
        for _ in range(horizon):
            power = power @ b
            m_h += power
            c.append(c[-1] + power)
        cov = sum(c[horizon - k] @ self.shock_cov @ c[horizon - k].T for k in range(1, horizon + 1))
        mu = self.returns.to_numpy() @ m_h.T
        sd = np.sqrt(np.diag(cov))[None, :]
        theta = np.broadcast_to(np.asarray(threshold, dtype=np.float64), mu.shape)
        p_down = ndtr((-theta - mu) / sd)
        p_up = 1.0 - ndtr((theta - mu) / sd)
        return np.stack([p_down, 1.0 - p_down - p_up, p_up], axis=-1)

    def bayes_predictions(self, horizon: int, threshold) -> np.ndarray:
        """Argmax of the posterior. The best decision for macro-F1 is not the argmax in general:
        tests tune decision thresholds on validation for it, as for any model."""
        return self.posterior(horizon, threshold).argmax(axis=-1)


def make_market(config: SyntheticConfig) -> SyntheticMarket:
    """Simulate the market of a :class:`~stgnn.config.SyntheticConfig` (deterministic by seed)."""
    n, m = config.n_tickers, config.cluster_size
    rng = np.random.default_rng(config.seed)
    cluster = np.arange(n) // m
    same = cluster[:, None] == cluster[None, :]
    b = np.where(same & ~np.eye(n, dtype=bool), config.lead_lag / (m - 1), 0.0)
    sigma = np.where(same, config.factor_vol**2, 0.0) + np.eye(n) * config.idio_vol**2
    steps = config.n_days + BURN_IN
    shocks = (config.factor_vol * rng.standard_normal((steps, n // m))[:, cluster]
              + config.idio_vol * rng.standard_normal((steps, n)))
    r = np.zeros((steps, n))
    for t in range(1, steps):
        r[t] = b @ r[t - 1] + shocks[t]
    r = r[BURN_IN:]
    r[0] = 0.0
    tickers = [f"T{i:03d}" for i in range(n)]
    dates = pd.bdate_range("2000-01-03", periods=config.n_days, name="date")
    returns = pd.DataFrame(r, index=dates, columns=tickers)
    close = 100.0 * np.exp(returns.cumsum())
    panel = build_panel({"close": close}, origin=f"synthetic(seed={config.seed})", min_history=30)
    neighbours = {t: [tickers[j] for j in np.flatnonzero(same[i]) if j != i] for i, t in enumerate(tickers)}
    return SyntheticMarket(panel, returns, neighbours, b, sigma)


def load_synthetic(config: DataConfig) -> PricePanel:
    market = make_market(config.synthetic)
    return build_panel({"close": market.panel.close}, origin=market.panel.source, **validation_options(config))
