r"""A synthetic market on a known graph, with the exact Bayes posterior of every label.

Daily log returns follow a Gaussian VAR(1). Tickers sit in clusters of ``m = cluster_size``
consecutive tickers; each ticker's return tomorrow follows the mean of its cluster-mates' returns
today (lead-lag), plus a cluster factor and idiosyncratic noise:

.. math::

    r_{t+1} = B r_t + e_{t+1}, \qquad
    B_{ij} = \frac{\text{lead\_lag}}{m - 1} \text{ for cluster-mates } j \ne i \text{ (else 0)},
    \qquad e_{t,i} = \sigma_f f_{t,c(i)} + \sigma_\epsilon z_{t,i},

with :math:`f, z` iid standard normal, so :math:`\Sigma = \operatorname{Cov}(e)` has
:math:`\sigma_f^2 + \sigma_\epsilon^2` on the diagonal, :math:`\sigma_f^2` between cluster-mates and
0 elsewhere. The spectral radius of :math:`B` is ``lead_lag < 1``, so the process is stationary.

Given all returns up to day t, the h-day forward log return
:math:`R = \sum_{k=1}^h r_{t+k} = M_h r_t + \sum_{k=1}^h C_{h-k} e_{t+k}` is Gaussian with mean
:math:`M_h r_t`, :math:`M_h = B + \dots + B^h`, and covariance
:math:`\sum_{k=1}^{h} C_{h-k} \Sigma C_{h-k}^T`, :math:`C_j = I + B + \dots + B^j`. P(Down),
P(None) and P(Up) are therefore exact normal probabilities: no model can do better, so tests hold
the STGNN against this posterior. The signal sits in the neighbours, so a model without the graph
stays well below it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import ndtr

from stgnn.config import DataConfig, SyntheticConfig
from stgnn.data.dataset import PanelData
from stgnn.data.panel import PricePanel, build_panel, validation_options

BURN_IN = 50
"""Days simulated from ``r = 0`` and discarded before the first date."""

FIRST_DATE = "2000-01-03"


@dataclass(frozen=True)
class SyntheticMarket:
    """Prices, returns, the true graph and the matrices of the VAR(1).

    Attributes
    ----------
    panel : PricePanel
        ``close = 100 * exp(cumsum(r))`` on business days from 2000-01-03, tickers
        ``T000, T001, ...``.
    returns : pd.DataFrame of shape (n_days, n_tickers)
        The simulated state ``r_t``. From the second date on it equals
        ``log(close_t / close_{t-1})``; on the first date it is the true return from an implicit
        price of 100 the day before (``close_0 = 100 * exp(r_0)``), so the posterior is exact on
        every row, the first included.
    neighbours : dict of str to list of str
        The true graph: each ticker's cluster-mates.
    lead_lag : np.ndarray of shape (n_tickers, n_tickers)
        ``B``, read-only.
    shock_cov : np.ndarray of shape (n_tickers, n_tickers)
        ``Sigma = Cov(e)``, read-only.
    """

    panel: PricePanel
    returns: pd.DataFrame
    neighbours: dict[str, list[str]]
    lead_lag: np.ndarray
    shock_cov: np.ndarray

    def posterior(self, horizon: int, threshold) -> np.ndarray:
        r"""Exact posterior of the label of every (date, ticker), given all returns up to the date.

        With :math:`\mu = M_h r_t` and :math:`s` the forward standard deviation
        (see :func:`forward_moments`), the label of the forward log return :math:`R` at
        threshold :math:`\theta` has

        .. math::

            P(\text{Down}) = \Phi\left(\frac{-\theta - \mu}{s}\right), \quad
            P(\text{Up}) = \Phi\left(\frac{\mu - \theta}{s}\right), \quad
            P(\text{None}) = \Phi\left(\frac{\theta - \mu}{s}\right) - P(\text{Down}).

        Parameters
        ----------
        horizon : int
            Trading days ahead, ``h >= 1``.
        threshold : float or array-like of shape (n_days, n_tickers)
            ``theta``, a scalar or one value per (date, ticker) (vol-scaled labels); it must be
            known at the date for the result to be a posterior. NaN gives NaN probabilities.

        Returns
        -------
        np.ndarray of shape (n_days, n_tickers, 3)
            P(Down), P(None), P(Up) (:mod:`stgnn.classes` order). The last ``horizon`` rows are
            computed too: their labels are unknown, but the posterior only needs the past.

        Raises
        ------
        ValueError
            ``horizon < 1``, a threshold of another shape, or a negative threshold.

        Examples
        --------
        >>> market = make_market(SyntheticConfig(n_tickers=4, cluster_size=2, n_days=100))
        >>> p = market.posterior(1, 0.018)
        >>> p.shape, bool(np.allclose(p.sum(axis=-1), 1.0))
        ((100, 4, 3), True)
        """
        return label_posterior(self.returns.to_numpy(), self.lead_lag, self.shock_cov, horizon, threshold)

    def bayes_predictions(self, horizon: int, threshold) -> np.ndarray:
        """The most probable class of every (date, ticker), of shape (n_days, n_tickers).

        This argmax maximises accuracy; the decision that maximises macro-F1 is not the argmax in
        general, so tests tune decision thresholds on validation for the posterior, as for any
        model. Parameters as in :meth:`posterior`.
        """
        return self.posterior(horizon, threshold).argmax(axis=-1)


def label_posterior(returns: np.ndarray, lead_lag, shock_cov, horizon: int, threshold) -> np.ndarray:
    """:meth:`SyntheticMarket.posterior` of the labels of some returns of shape (n_days, n_tickers)
    under the VAR(1) ``lead_lag``, ``shock_cov``: row t reads row t alone (NaN returns give NaN)."""
    shape = returns.shape
    theta = np.asarray(threshold, dtype=np.float64)
    if theta.ndim and theta.shape != shape:
        raise ValueError(f"Expected a scalar threshold or one of shape {shape}, got shape {theta.shape}.")
    if np.any(theta < 0):
        raise ValueError(f"Expected threshold >= 0, got {np.nanmin(theta):g}.")
    mean_map, variance = forward_moments(lead_lag, shock_cov, horizon)
    mu = (mean_map @ np.asarray(returns, dtype=np.float64).T).T
    sd = np.sqrt(variance)
    p_down = ndtr((-theta - mu) / sd)
    p_not_up = ndtr((theta - mu) / sd)
    return np.stack([p_down, p_not_up - p_down, ndtr((mu - theta) / sd)], axis=-1)


def forward_moments(lead_lag, shock_cov, horizon: int) -> tuple[sparse.csr_array, np.ndarray]:
    r"""Mean map and variances of the h-day forward log return of the VAR(1).

    .. math::

        \mathbb{E}[R \mid r_t] = M_h r_t, \quad M_h = \sum_{k=1}^h B^k, \qquad
        \operatorname{Var}(R_i \mid r_t) = \Big[\sum_{j=0}^{h-1} C_j \Sigma C_j^T\Big]_{ii},
        \quad C_j = \sum_{k=0}^{j} B^k.

    Computed with sparse matrices: for block-diagonal ``B`` and ``Sigma`` (one block a cluster)
    every product stays block-diagonal, so the cost grows with ``n * cluster_size**2``, not
    ``n**3``.

    Parameters
    ----------
    lead_lag : array-like or sparse array of shape (n, n)
        ``B``.
    shock_cov : array-like or sparse array of shape (n, n)
        ``Sigma``.
    horizon : int
        ``h >= 1``.

    Returns
    -------
    mean_map : scipy.sparse.csr_array of shape (n, n)
        ``M_h``.
    variance : np.ndarray of shape (n,)
        The diagonal of the forward covariance (labels need only the marginals).

    Raises
    ------
    ValueError
        ``horizon < 1``.
    """
    if horizon < 1:
        raise ValueError(f"Expected horizon >= 1, got {horizon}.")
    b, sigma = sparse.csr_array(lead_lag), sparse.csr_array(shock_cov)
    eye = sparse.eye_array(b.shape[0], format="csr")
    power, cumulative, variance = eye, eye, np.zeros(b.shape[0])
    for _ in range(horizon):
        variance += np.asarray((cumulative @ sigma).multiply(cumulative).sum(axis=1)).ravel()
        power = power @ b
        cumulative = cumulative + power
    return (cumulative - eye).tocsr(), variance


def var_matrices(config: SyntheticConfig) -> tuple[np.ndarray, np.ndarray]:
    """``B`` and ``Sigma`` of the VAR(1) a config describes (see the module docstring)."""
    n, m = config.n_tickers, config.cluster_size
    cluster = np.arange(n) // m
    mates = cluster[:, None] == cluster[None, :]
    lead_lag = np.where(mates & ~np.eye(n, dtype=bool), config.lead_lag / (m - 1), 0.0)
    return lead_lag, config.factor_vol**2 * mates + config.idio_vol**2 * np.eye(n)


def market_tickers(config: SyntheticConfig) -> list[str]:
    """``T000, T001, ...``: the market's tickers, zero-padded to sort as they are numbered."""
    width = max(3, len(str(config.n_tickers - 1)))
    return [f"T{i:0{width}d}" for i in range(config.n_tickers)]


def make_market(config: SyntheticConfig) -> SyntheticMarket:
    """Simulate the market a :class:`~stgnn.config.SyntheticConfig` describes.

    Starts from ``r = 0``, discards :data:`BURN_IN` days, and keeps ``n_days``. Shocks are drawn
    as ``factor_vol * f + idio_vol * z``, the per-cluster square root of ``Sigma``, so no
    Cholesky factor is needed. Deterministic for a seed (``numpy.random.default_rng(seed)``).

    Examples
    --------
    >>> market = make_market(SyntheticConfig(n_tickers=4, cluster_size=2, n_days=100))
    >>> market.panel.tickers, market.neighbours["T000"]
    (['T000', 'T001', 'T002', 'T003'], ['T001'])
    """
    n, m = config.n_tickers, config.cluster_size
    cluster = np.arange(n) // m
    mates = cluster[:, None] == cluster[None, :]
    lead_lag, shock_cov = var_matrices(config)

    rng = np.random.default_rng(config.seed)
    steps = BURN_IN + config.n_days
    r = (config.factor_vol * rng.standard_normal((steps, n // m))[:, cluster]
         + config.idio_vol * rng.standard_normal((steps, n)))
    step = sparse.csr_array(lead_lag)
    for t in range(1, steps):
        r[t] += step @ r[t - 1]

    tickers = market_tickers(config)
    dates = pd.bdate_range(FIRST_DATE, periods=config.n_days, name="date")
    returns = pd.DataFrame(r[BURN_IN:], index=dates, columns=tickers)
    close = 100.0 * np.exp(returns.cumsum())
    panel = build_panel({"close": close}, origin=f"synthetic(seed={config.seed})", min_history=config.n_days)
    neighbours = {t: [tickers[j] for j in np.flatnonzero(mates[i]) if j != i] for i, t in enumerate(tickers)}
    lead_lag.setflags(write=False)
    shock_cov.setflags(write=False)
    return SyntheticMarket(panel=panel, returns=returns, neighbours=neighbours,
                           lead_lag=lead_lag, shock_cov=shock_cov)


def load_synthetic(config: DataConfig) -> PricePanel:
    """The ``synthetic`` source: the simulated closes, validated like any other source's."""
    panel = make_market(config.synthetic).panel
    return build_panel({"close": panel.close}, origin=panel.source, **validation_options(config))


def bayes_unavailable(config: DataConfig, data: PanelData) -> str | None:
    """Why the market's posterior is not the exact posterior of ``data``'s labels, or None where it is.

    It is exact for labels cut at a threshold from the ticker's own forward return from the close of
    the call (vol-scaled or not), given every ticker of the market: a quantile cut, a return relative
    to peers or a delayed entry asks another question, and a subset of the tickers hides neighbours
    the posterior reads."""
    labels = data.label_config
    if config.source != "synthetic":
        return f"the {config.source} source has no known posterior"
    if labels.kind != "threshold":
        return "quantile labels depend on the whole day's cross-section"
    if labels.relative_to != "none":
        return f"labels relative to the {labels.relative_to}"
    if labels.delay:
        return f"labels delayed by {labels.delay} day(s)"
    if list(data.tickers) != market_tickers(config.synthetic):
        return "a subset of the market's tickers"
    return None


def bayes_posterior(config: DataConfig, data: PanelData) -> np.ndarray | None:
    """The exact posterior of every label of ``data`` (of shape (n_days, n_tickers, 3)) from the
    returns it holds up to each day and the market's true matrices: the best any model can do on
    these rows, or None where :func:`bayes_unavailable` says why it is not exact."""
    if bayes_unavailable(config, data) is not None:
        return None
    lead_lag, shock_cov = var_matrices(config.synthetic)
    return label_posterior(data.returns(), lead_lag, shock_cov, data.label_config.horizon, data.labels.threshold)
