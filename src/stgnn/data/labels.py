"""Labels: the forward log return over ``h`` days, cut into Down / None / Up.

Raw daily moves are dominated by the market factor, which no graph predicts. With
``relative_to`` the label is cut from the forward return in excess of an equal-weight benchmark
(the present universe, or the ticker's sector), so Up and Down mean "beat" and "lagged" its peers.

Two cuts: ``threshold`` (at +-theta) mostly asks *whether* a stock moves; ``quantile`` (each day's
top and bottom ``q`` of the labelled tickers) asks *which way, relative to the others*, the
question a ranking book trades. With ``delay`` d the return runs from the close of t + d to that
of t + d + h: a call made after the close of t is traded at a later close, never at the one that
produced its features.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stgnn.classes import DOWN, NONE, UP
from stgnn.config import LabelConfig
from stgnn.data.features import log_returns
from stgnn.errors import ConfigError

UNKNOWN = -1
"""Label of a (date, ticker) whose forward return lies beyond the panel's last date."""


@dataclass(frozen=True)
class Labels:
    """Targets aligned with the panel.

    Attributes
    ----------
    y : np.ndarray of shape (n_days, n_tickers), int64
        Class per (date, ticker): Down=0, None=1, Up=2, or ``UNKNOWN`` (-1) where the forward
        return is not yet known (the last ``delay + horizon`` days) or the threshold is undefined.
    fwd_return : np.ndarray of shape (n_days, n_tickers)
        ``log(close[t + d + h] / close[t + d])`` (d: the delay); NaN where unknown. Always the raw
        return: the backtest trades it, and a per-day Rank IC is the same against it as against
        the excess.
    threshold : np.ndarray of shape (n_days, n_tickers)
        The theta used for each cell (constant unless ``vol_scaled``); NaN for quantile labels,
        which have none.
    benchmark : np.ndarray of shape (n_days, n_tickers) or None
        The equal-weight forward return of the ticker's peers (universe or sector) subtracted
        before cutting; ``None`` for raw labels (``relative_to: none``).
    exit_return : np.ndarray of shape (n_days, n_tickers) or None
        What a position bought at t's close earns over the horizon, whether or not the stock trades
        at t + h (:func:`exit_log_return`); ``None`` until the panel's trading days are applied
        (:func:`stgnn.data.dataset.traded_labels`).
    """

    y: np.ndarray
    fwd_return: np.ndarray
    threshold: np.ndarray
    horizon: int
    benchmark: np.ndarray | None = None
    exit_return: np.ndarray | None = None
    delay: int = 0

    @property
    def target_return(self) -> np.ndarray:
        """The return the label was cut from: ``fwd_return - benchmark``, or ``fwd_return`` itself
        for raw labels. Compare this, not ``fwd_return``, with ``threshold``."""
        return self.fwd_return if self.benchmark is None else self.fwd_return - self.benchmark

    def class_counts(self, rows: slice | np.ndarray = slice(None)) -> np.ndarray:
        """Counts of Down, None, Up over the known labels of some rows (days)."""
        y = self.y[rows]
        return np.bincount(y[y >= 0], minlength=3)


def forward_log_return(close: pd.DataFrame, horizon: int, delay: int = 0) -> np.ndarray:
    """``log(close[t + d + h] / close[t + d])``, NaN for the last ``d + h`` rows.

    >>> forward_log_return(pd.DataFrame({"A": [1.0, 1.0, np.e, np.e]}), 1, delay=1)[:, 0].tolist()
    [1.0, 0.0, nan, nan]
    """
    return log_returns(close.astype(np.float64), horizon).shift(-horizon - delay).to_numpy()


def exit_log_return(close: pd.DataFrame, traded: pd.DataFrame, horizon: int, delay: int = 0) -> np.ndarray:
    """Log return of a position bought at the close of t + ``delay`` and sold ``horizon`` days
    later, or at the last traded price before then when the stock stops trading sooner (a halt, or
    a delisting: no delisting return is in the data, so the last trade stands for it).

    NaN where the stock does not trade at t or at t + delay (no call is made on a carried price,
    and no position opened on one) or where t + delay + h lies beyond the panel (the period is
    not over).

    Examples
    --------
    A trades on days 0-2 and delists: bought on day 1, it is sold on day 2's price.

    >>> close = pd.DataFrame({"A": [100.0, 110.0, 121.0, 121.0, np.nan]})
    >>> traded = pd.DataFrame({"A": [True, True, True, False, False]})
    >>> np.round(np.exp(exit_log_return(close, traded, 2)[:, 0]), 3).tolist()
    [1.21, 1.1, 1.0, nan, nan]

    Called on day 0 and traded a day later: bought at 110, sold at 121.

    >>> np.round(np.exp(exit_log_return(close, traded, 2, delay=1)[:, 0]), 3).tolist()
    [1.1, 1.0, nan, nan, nan]
    """
    is_traded = traded.to_numpy()
    price = close.where(is_traded).astype(np.float64).to_numpy()
    last = pd.DataFrame(price).ffill().to_numpy()
    out = np.full(price.shape, np.nan)
    span = delay + horizon
    if len(price) > span:
        entry = price[delay: len(price) - horizon]
        out[:-span] = np.where(is_traded[:-span], np.log(last[span:] / entry), np.nan)
    return out


def peer_mean(returns: pd.DataFrame, groups: np.ndarray) -> pd.DataFrame:
    """Each day, the mean return of each ticker's group over the group members that have one.

    A NaN return (the ticker absent at either end) neither counts nor weighs, so the benchmark of a
    day is made of the tickers present that day only; a group with no return that day gives NaN.

    Examples
    --------
    >>> r = pd.DataFrame({"A": [1.0, 2.0], "B": [3.0, np.nan], "C": [5.0, 0.0]})
    >>> peer_mean(r, np.array(["x", "x", "y"])).to_numpy().tolist()
    [[2.0, 2.0, 5.0], [2.0, 2.0, 0.0]]
    """
    return returns.T.groupby(groups).transform("mean").T


def make_labels(close: pd.DataFrame, config: LabelConfig = LabelConfig(), *,
                sectors: Mapping[str, str] | None = None, among: np.ndarray | None = None) -> Labels:
    """Classify each (date, ticker) by its forward log return, raw or in excess of its peers.

    ``relative_to: universe`` subtracts the equal-weight forward return of the tickers whose
    forward return exists that day (:func:`peer_mean`); ``sector`` does the same within each GICS
    sector of ``sectors`` (ticker -> sector). Every ticker with a price at t + d and t + d + h
    counts, a universe file's non-members included: membership decides which nodes are trained
    on, not what the market did. A ticker alone in its group that day has an excess of exactly 0.

    ``kind: threshold`` cuts at +-theta. With ``vol_scaled``, theta at (t, i) is
    ``threshold * vol[t, i] / median(vol[:t+1, i])``: each ticker's trailing ``vol_window``-day
    volatility relative to its own history so far, so the threshold never uses the future and
    keeps the units of ``threshold``. For relative labels ``vol`` is that of the daily *excess*
    return (same benchmark, 1-day returns): theta should widen with the dispersion of what is being
    cut, and a market-wide shock that lifts every raw volatility but cancels out of the excess
    would otherwise push the excess labels into None.

    ``kind: quantile`` cuts each day separately (:func:`quantile_classes`) among that day's
    labelled cells: those with a return and, when given, ``among`` (the caller's usable, traded
    nodes), so the counts hold on the rows a model is trained and scored on.

    Parameters
    ----------
    among : np.ndarray of shape (n_days, n_tickers), bool, optional
        The cells that may be labelled; the others are ``UNKNOWN``. Default: every cell.

    Raises
    ------
    ConfigError
        ``relative_to: sector`` without ``sectors``, or with a ticker they give no sector: a
        ticker alone in its own group would silently always be None.

    Examples
    --------
    >>> close = pd.DataFrame({"A": [100.0, 103.0, 101.0, 101.5]})
    >>> make_labels(close, LabelConfig(horizon=1, threshold=0.018)).y[:, 0].tolist()
    [2, 0, 1, -1]

    B falls 1%, within theta, but 2% behind the universe's mean (+0.98%): Down.

    >>> close = pd.DataFrame({"A": [100.0, 103.0], "B": [100.0, 99.0]})
    >>> make_labels(close, LabelConfig(threshold=0.018)).y[0].tolist()
    [2, 1]
    >>> make_labels(close, LabelConfig(threshold=0.018, relative_to="universe")).y[0].tolist()
    [2, 0]

    Quantile labels with q = 0.25 on four tickers: the best Up, the worst Down, whatever the size.

    >>> close = pd.DataFrame({"A": [100.0, 100.1], "B": [100.0, 99.9], "C": [100.0, 100.0], "D": [100.0, 100.05]})
    >>> make_labels(close, LabelConfig(kind="quantile", q=0.25)).y[0].tolist()
    [2, 0, 1, 1]
    """
    groups = _groups(list(close.columns), config, sectors)
    fwd = forward_log_return(close, config.horizon, config.delay)
    benchmark = None if groups is None else peer_mean(pd.DataFrame(fwd), groups).to_numpy()
    target = fwd if benchmark is None else fwd - benchmark
    known = np.isfinite(target) if among is None else np.isfinite(target) & among
    if config.kind == "quantile":
        threshold = np.full(fwd.shape, np.nan)
        y = quantile_classes(np.where(known, target, np.nan), config.q)
    else:
        if config.vol_scaled:
            daily = log_returns(close)
            excess = daily if groups is None else daily - peer_mean(daily, groups)
            vol = excess.rolling(config.vol_window).std()
            threshold = (config.threshold * vol / vol.expanding().median()).to_numpy()
        else:
            threshold = np.full(fwd.shape, config.threshold)
        known &= np.isfinite(threshold)
        y = np.full(fwd.shape, UNKNOWN, dtype=np.int64)
        y[known] = NONE
        y[known & (target < -threshold)] = DOWN
        y[known & (target > threshold)] = UP
    return Labels(y=y, fwd_return=fwd, threshold=threshold, horizon=config.horizon, benchmark=benchmark,
                  delay=config.delay)


def quantile_classes(target: np.ndarray, q: float) -> np.ndarray:
    """Each day's top ``q`` fraction Up and bottom ``q`` Down, the rest None; NaN cells ``UNKNOWN``.

    With n finite cells on a day, ``k = floor(q * n)`` tickers at most are Up and k Down. A ticker
    is Up when at most k cells are >= its value, Down when at most k are <= it: a tie straddling a
    boundary goes to None as a whole (equal returns always share a class), so a day with ties there
    has fewer than k Up or Down. A day with ``q * n < 1`` is all None.

    Examples
    --------
    >>> quantile_classes(np.array([[1.0, 2.0, 3.0, 4.0, 5.0, np.nan]]), 0.4)[0].tolist()
    [0, 0, 1, 2, 2, -1]
    >>> quantile_classes(np.array([[1.0, 1.0, 3.0, 5.0, 5.0, 5.0]]), 0.34)[0].tolist()
    [0, 0, 1, 1, 1, 1]
    """
    frame = pd.DataFrame(target)
    n = frame.notna().sum(axis=1).to_numpy()[:, None]
    k = np.floor(q * n + 1e-9)
    at_most = frame.rank(axis=1, method="max").to_numpy()  # cells <= this one
    at_least = n - frame.rank(axis=1, method="min").to_numpy() + 1  # cells >= this one
    y = np.where(np.isfinite(target), NONE, UNKNOWN).astype(np.int64)
    y[at_most <= k] = DOWN
    y[at_least <= k] = UP
    return y


def rule_text(config: LabelConfig) -> str:
    """The label rule in words, for summaries and reports.

    >>> print(rule_text(LabelConfig(horizon=5, threshold=0.03, relative_to="sector")))
    horizon 5 day(s), theta 0.03, on the forward return minus its sector's equal-weight return; delay 0 (traded at the call's own close)
    """
    theta = f"{config.threshold:g}" + (" x trailing vol / its median" if config.vol_scaled else "")
    cut = f"top / bottom {config.q:g} of each day" if config.kind == "quantile" else f"theta {theta}"
    peers = {"none": "", "universe": ", on the forward return minus the universe's equal-weight return",
             "sector": ", on the forward return minus its sector's equal-weight return"}[config.relative_to]
    return f"horizon {config.horizon} day(s), {cut}{peers}; {delay_text(config.delay)}"


def delay_text(delay: int) -> str:
    """When a call is traded, in words: every table says which delay it used.

    >>> delay_text(0), delay_text(1)
    ("delay 0 (traded at the call's own close)", 'delay 1 (traded at the next close)')
    """
    if delay == 0:
        return "delay 0 (traded at the call's own close)"
    return f"delay {delay} (traded at the {'next close' if delay == 1 else f'close {delay} days later'})"


def _groups(tickers: list[str], config: LabelConfig, sectors: Mapping[str, str] | None) -> np.ndarray | None:
    """The peer group of each ticker, or ``None`` for raw labels."""
    if config.relative_to == "none":
        return None
    if config.relative_to == "universe":
        return np.zeros(len(tickers), dtype=np.int64)
    if sectors is None:
        raise ConfigError("labels.relative_to 'sector' needs sectors: set graph.sector_file (a ticker,sector csv).")
    missing = [t for t in tickers if t not in sectors]
    if missing:
        raise ConfigError(f"labels.relative_to 'sector': no sector for {', '.join(missing)}; add a ticker,sector "
                          "row for each to graph.sector_file.")
    return np.array([sectors[t] for t in tickers])
