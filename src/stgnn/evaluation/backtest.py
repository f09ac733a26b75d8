"""A backtest of the calls: long the tickers called Up, short those called Down (dollar neutral by default),
beside a rank book that trades the probabilities rather than the calls, and the equal-weight universe.

Rules (all of them; every number can be recomputed by hand from a predictions frame):

- **Rebalance dates.** Every ``horizon``-th date of the frame's sorted unique dates, starting with
  the first, so holding periods of ``horizon`` trading days never overlap. Each position is held
  for one period and earns its simple return ``exp(fwd_return) - 1`` (``fwd_return`` is the log
  return over the horizon from that date's close; in a walk-forward's frames, to the last traded
  price for a stock that stops trading sooner, so the book holds what a trader at t could hold).
- **Strategy weights** (``"strategy"``). Equal weight within each side, half the gross exposure a
  side: +0.5 spread over the tickers called Up, -0.5 over those called Down. The ``book`` decides a
  period in which only one side has calls:

  - ``"dollar_neutral"`` (the default): the lone side keeps its 0.5 and the missing side is the
    equal-weight universe of the tradeable tickers at the opposite 0.5 (a ticker called Up that is
    also in the short hedge nets out in the weights). The book is net zero every period, so the
    market's drift does not move it: a model that leans Up in a rising sample earns only the spread
    of its calls over the universe, which is the skill being measured.
  - ``"unhedged"``: the lone side gets the full gross exposure of 1.0 (net long or net short that
    period: the calls are traded as made). In a rising sample a model that leans Up makes money
    without skill; :data:`BOOKS` names it for what it is.

  With no calls the book is flat.
- **Rank book** (``"rank"``). The calls trade whatever passes the thresholds, often few names or
  none; the rank book asks only whether the model *orders* the tickers: each rebalance it is long
  the top ``rank_quantile`` of the tradeable tickers by the score ``p_up - p_down`` and short the
  bottom one, equal weight, +0.5 / -0.5 gross (dollar neutral). A side holds
  ``n = max(1, floor(rank_quantile * N))`` names of the ``N`` tradeable tickers with a score; with
  ``N < 2`` the book is flat. **Ties at a cut** share the slots left: with 2 slots left and 3 names
  tied, each holds 2/3 of a full position (``0.5 / n``). The rule depends on the scores alone (not
  on ticker order or names), keeps each side at exactly 0.5 gross, and nets a constant score
  (every name tied) to a flat book: a score that orders nothing trades nothing.
- **Benchmark** (``"equal_weight"``). Weight ``1 / N`` in each of the ``N`` tradeable tickers, reset
  on the same dates with the same cost model. It is the *rebalanced* equal-weight universe, not
  buy-and-hold: weights return to ``1 / N`` every period.
- **Costs.** ``cost_bps / 1e4 * turnover`` is taken from each period's return, with turnover
  ``sum |w_new - w_old|`` between the target weights of consecutive rebalances (drift of the weights
  within a period is not modelled); the first rebalance pays for its full entry, and there is no
  charge for a final exit. The equal-weight benchmark therefore pays for its entry and for changes
  of the universe only.
- **Untradeable rows.** A row without a forward return (NaN: no trade at t, or a period that ends
  beyond the data) cannot be traded: on that date the
  ticker gets no weight in any portfolio (its side is shared among the other names) and its
  call does not count; a row without a score (NaN ``p_up`` or ``p_down``) is left out of the rank
  book only. A rebalance date on which no row has a forward return is left out of the
  periods altogether (its return is unknown, not zero), and the next rebalance trades from the
  weights held before it.

Statistics (:func:`performance_stats`), per portfolio, with ``P = periods_per_year / horizon``
periods a year: geometric annual return ``prod(1 + r) ** (P / n) - 1`` (-1.0 once the equity is
gone), annual volatility ``std(r) * sqrt(P)`` (sample std), Sharpe ``mean(r) / std(r) * sqrt(P)``
(risk-free rate 0; NaN when the returns do not vary), maximum drawdown as a *negative* fraction
(-0.25 is a fall of 25% from the highest equity so far, the starting value 1 included; 0.0 if the
equity never fell), mean turnover per rebalance, hit rate (share of periods with a positive return),
total return and the number of periods. The strategy also gets ``call_hit_rate``: the share of the
traded Up/Down calls whose direction was right (``sign(fwd_return)`` +1 for Up, -1 for Down; calls
whose forward return is exactly 0 count neither way) and ``n_calls``. Both traded books
(:data:`TRADED`) get their exposure to the market: ``beta``, the OLS slope of their period returns
on the equal-weight universe's, and ``alpha_annual``, the return net of that exposure,
``mean(r - beta * r_equal_weight) * P`` (the regression's intercept, annualised arithmetically;
both NaN when the universe's returns do not vary).

:func:`stat_intervals` adds block-bootstrap intervals of Sharpe, annual return and alpha:
the period returns of all portfolios are resampled together in blocks of
``max(2, ceil(block_days / horizon))`` periods (see :mod:`stgnn.evaluation.bootstrap`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stgnn.classes import DOWN, UP
from stgnn.evaluation.bootstrap import block_bootstrap
from stgnn.evaluation.metrics import call_hit_rate, check_labels, check_unique_rows

BACKTEST_COLUMNS = ("date", "ticker", "pred", "p_down", "p_up", "fwd_return")
"""Columns :func:`backtest` reads from a predictions frame (others are ignored)."""

TRADED = ("strategy", "rank")
"""The books traded on the model's output: its calls, and its ranking by ``p_up - p_down``."""
BENCHMARK = "equal_weight"
PORTFOLIOS = (*TRADED, BENCHMARK)
"""Column names of :attr:`BacktestResult.returns`: the traded books and the benchmark."""

BOOKS = {"dollar_neutral": "long/short, dollar-neutral", "unhedged": "unhedged calls"}
"""The books :func:`backtest` can hold (see the module docstring) and how to name them in a report."""


@dataclass(frozen=True)
class BacktestResult:
    """What :func:`backtest` returns.

    Attributes
    ----------
    returns : pd.DataFrame of shape (n_periods, 3)
        Net return of each holding period, indexed by its rebalance date, columns :data:`PORTFOLIOS`.
    equity : pd.DataFrame of shape (n_periods, 3)
        ``cumprod(1 + returns)``: the value of 1 at the end of the period that starts on each date.
    turnover : pd.DataFrame of shape (n_periods, 3)
        ``sum |w_new - w_old|`` at each rebalance.
    weights : pd.DataFrame of shape (n_periods, n_tickers)
        The strategy's (the calls') target weights at each rebalance.
    rank_weights : pd.DataFrame of shape (n_periods, n_tickers)
        The rank book's target weights at each rebalance.
    stats : dict
        ``{"strategy": {...}, "rank": {...}, "equal_weight": {...}, "book", "rank_quantile",
        "horizon", "cost_bps", "periods_per_year", "n_untradeable"}`` (``n_untradeable``: rows on
        rebalance dates without a forward return); plain Python floats, ints and strings, ready for
        JSON (NaN where a statistic is undefined).
    """

    returns: pd.DataFrame
    equity: pd.DataFrame
    turnover: pd.DataFrame
    weights: pd.DataFrame
    rank_weights: pd.DataFrame
    stats: dict


def _check_book(book: str) -> None:
    if book not in BOOKS:
        raise ValueError(f"Expected book in {list(BOOKS)}, got {book!r}.")


def _check_quantile(quantile: float) -> None:
    if not 0 < quantile <= 0.5:
        raise ValueError(f"Expected rank_quantile in (0, 0.5], got {quantile}.")


def long_short_weights(pred: pd.DataFrame, tradeable: pd.DataFrame, *, book: str = "dollar_neutral") -> pd.DataFrame:
    """Target weights of the calls: +0.5 / n_long and -0.5 / n_short; a lone side as ``book`` says.

    Parameters
    ----------
    pred : pd.DataFrame of shape (n_dates, n_tickers)
        Calls, Down=0, None=1, Up=2 (anything else, NaN included, is no call).
    tradeable : pd.DataFrame of shape (n_dates, n_tickers), bool
        Whether each (date, ticker) can be traded; untradeable cells get weight 0.
    book : {"dollar_neutral", "unhedged"}, default "dollar_neutral"
        A lone side keeps 0.5 against the equal-weight universe at -0.5 (``"dollar_neutral"``:
        every row sums to 0), or gets the full 1.0 (``"unhedged"``: every row sums in absolute
        value to 1).

    Returns
    -------
    pd.DataFrame of shape (n_dates, n_tickers)
        Weights; a row without a tradeable call is all 0.

    Examples
    --------
    Row 0 has both sides; in row 1 only A is called, Up, and the universe A, B, C is the short side.

    >>> pred = pd.DataFrame({"A": [2, 2], "B": [2, 1], "C": [0, 1]})
    >>> long_short_weights(pred, pred.notna()).round(4)
            A       B       C
    0  0.2500  0.2500 -0.5000
    1  0.3333 -0.1667 -0.1667
    >>> long_short_weights(pred, pred.notna(), book="unhedged")
          A     B    C
    0  0.25  0.25 -0.5
    1  1.00  0.00  0.0
    """
    _check_book(book)
    ok = tradeable.to_numpy(dtype=bool)
    longs = (pred.to_numpy() == UP) & ok
    shorts = (pred.to_numpy() == DOWN) & ok
    n_long = longs.sum(axis=1, keepdims=True)
    n_short = shorts.sum(axis=1, keepdims=True)
    long_side, short_side = longs / np.maximum(n_long, 1), shorts / np.maximum(n_short, 1)
    if book == "dollar_neutral":
        universe = equal_weights(tradeable).to_numpy() * ((n_long + n_short) > 0)
        long_side = np.where(n_long > 0, long_side, universe)
        short_side = np.where(n_short > 0, short_side, universe)
        long_gross = short_gross = 0.5
    else:
        long_gross = np.where(n_short > 0, 0.5, 1.0)
        short_gross = np.where(n_long > 0, 0.5, 1.0)
    w = long_gross * long_side - short_gross * short_side
    return pd.DataFrame(w + 0.0, index=pred.index, columns=pred.columns)  # + 0.0 turns -0.0 into 0.0


def rank_weights(score: pd.DataFrame, tradeable: pd.DataFrame, *, quantile: float = 0.1) -> pd.DataFrame:
    """Target weights of the rank book: +0.5 over the top ``quantile`` by score, -0.5 over the bottom.

    Each row ranks the tradeable tickers with a score (``N`` of them); a side holds
    ``n = max(1, floor(quantile * N))`` names at ``0.5 / n`` each (none with ``N < 2``). Names tied
    at a cut share the slots left: the rule and why are in the module docstring. Computed for all
    rows at once from each name's lowest and highest rank among its ties.

    Parameters
    ----------
    score : pd.DataFrame of shape (n_dates, n_tickers)
        Higher is more bullish (``p_up - p_down``); NaN is no score.
    tradeable : pd.DataFrame of shape (n_dates, n_tickers), bool
        Whether each (date, ticker) can be traded; untradeable cells are not ranked.
    quantile : float, default 0.1
        Share of the ranked tickers on each side, in (0, 0.5].

    Returns
    -------
    pd.DataFrame of shape (n_dates, n_tickers)
        Weights; every row sums to 0.

    Examples
    --------
    Row 0: 4 names, a quarter a side: D long, A short. Row 1: C is untradeable; of A, B, D one a
    side: A is long, and B and D tie at the bottom, so each holds half of the short slot. Row 2:
    every name tied, so flat.

    >>> score = pd.DataFrame({"A": [-0.3, 0.5, 0.1], "B": [0.1, -0.2, 0.1], "C": [0.0, 0.9, 0.1],
    ...                       "D": [0.4, -0.2, 0.1]})
    >>> tradeable = pd.DataFrame({"A": [True] * 3, "B": [True] * 3, "C": [True, False, True], "D": [True] * 3})
    >>> rank_weights(score, tradeable, quantile=0.25)
         A     B    C     D
    0 -0.5  0.00  0.0  0.50
    1  0.5 -0.25  0.0 -0.25
    2  0.0  0.00  0.0  0.00
    """
    _check_quantile(quantile)
    s = score.where(tradeable.to_numpy(dtype=bool))
    ranked = s.notna().to_numpy()
    n = ranked.sum(axis=1, keepdims=True)
    # a hair of slack: 0.29 * 100 is 28.999999999999996, which must floor to 29
    side = np.where(n >= 2, np.maximum(1, np.floor(quantile * n + 1e-9)), 0)
    low = s.rank(axis=1, method="min").to_numpy()  # 1 + names strictly below
    high = s.rank(axis=1, method="max").to_numpy()  # names at or below
    tied = high - low + 1
    top = np.clip((side - (n - high)) / tied, 0.0, 1.0)
    bottom = np.clip((side - (low - 1)) / tied, 0.0, 1.0)
    w = np.where(ranked, 0.5 * (top - bottom) / np.maximum(side, 1), 0.0)
    return pd.DataFrame(w + 0.0, index=score.index, columns=score.columns)


def equal_weights(tradeable: pd.DataFrame) -> pd.DataFrame:
    """Weight ``1 / N`` in each of the ``N`` tradeable tickers of each date.

    Examples
    --------
    >>> equal_weights(pd.DataFrame({"A": [True, True], "B": [True, False]}))
         A    B
    0  0.5  0.5
    1  1.0  0.0
    """
    ok = tradeable.to_numpy(dtype=float)
    n = ok.sum(axis=1, keepdims=True)
    return pd.DataFrame(ok / np.maximum(n, 1), index=tradeable.index, columns=tradeable.columns)


def portfolio_returns(weights: pd.DataFrame, simple: pd.DataFrame, *, cost_bps: float) -> tuple[pd.Series, pd.Series]:
    """Net period returns ``sum(w * r) - cost_bps / 1e4 * turnover`` and the turnover.

    Parameters
    ----------
    weights : pd.DataFrame of shape (n_periods, n_tickers)
        Target weights at each rebalance, held for one period.
    simple : pd.DataFrame of shape (n_periods, n_tickers)
        Simple returns over each period (NaN where the weight is 0 is fine).
    cost_bps : float
        Cost per unit of turnover, in basis points.

    Returns
    -------
    returns, turnover : pd.Series of shape (n_periods,)
        Turnover ``sum |w_t - w_{t-1}|`` with ``w_{-1} = 0`` (the first period pays its entry).

    Examples
    --------
    >>> w = pd.DataFrame({"A": [1.0, 0.5], "B": [0.0, 0.5]})
    >>> r, t = portfolio_returns(w, pd.DataFrame({"A": [0.1, 0.0], "B": [0.0, 0.2]}), cost_bps=100)
    >>> [round(x, 6) for x in r], t.tolist()
    ([0.09, 0.09], [1.0, 1.0])
    """
    w = weights.to_numpy(dtype=float)
    held = np.vstack([np.zeros((1, w.shape[1])), w])
    turnover = np.abs(np.diff(held, axis=0)).sum(axis=1)
    gross = np.where(w != 0, w * simple.to_numpy(dtype=float), 0.0).sum(axis=1)
    net = gross - cost_bps / 1e4 * turnover
    return pd.Series(net, index=weights.index), pd.Series(turnover, index=weights.index)


def max_drawdown(returns) -> float:
    """Largest fall of the equity ``cumprod(1 + r)`` from its running peak, as a negative fraction.

    The starting value 1 counts as a peak, so a loss in the first period is a drawdown.

    Examples
    --------
    >>> max_drawdown([0.1, -0.5, 0.2])  # 1 -> 1.1 -> 0.55 -> 0.66
    -0.5
    >>> round(max_drawdown([-0.2, 0.1]), 12)
    -0.2
    >>> max_drawdown([])
    0.0
    """
    equity = np.concatenate([[1.0], np.cumprod(1.0 + np.asarray(returns, dtype=float))])
    peak = np.maximum.accumulate(equity)
    return float(min(0.0, (equity / peak - 1.0).min()))


def annual_return(r: np.ndarray, periods_per_year: float) -> np.ndarray:
    """Geometric annual return ``prod(1 + r) ** (P / n) - 1`` along the last axis (-1.0 once the
    equity is gone; NaN without periods).

    Examples
    --------
    >>> annual_return(np.array([[0.1, 0.1], [-1.5, 0.1]]), 2)
    array([ 0.21, -1.  ])
    """
    n = r.shape[-1]
    if n == 0:
        return np.full(r.shape[:-1], np.nan)
    growth = np.prod(1.0 + r, axis=-1)
    return np.where(growth > 0, np.abs(growth) ** (periods_per_year / n) - 1.0, -1.0)


def _std(r: np.ndarray) -> np.ndarray:
    """Sample std along the last axis: 0.0 where the values do not vary (not float noise), NaN below 2."""
    if r.shape[-1] < 2:
        return np.full(r.shape[:-1], np.nan)
    return np.where(np.ptp(r, axis=-1) == 0, 0.0, np.std(r, axis=-1, ddof=1))


def sharpe(r: np.ndarray, periods_per_year: float) -> np.ndarray:
    """``mean(r) / std(r) * sqrt(P)`` along the last axis (sample std; NaN where it is 0 or undefined).

    Examples
    --------
    >>> sharpe(np.array([[0.01, 0.03], [0.01, 0.01]]), 4)
    array([2.82842712,        nan])
    """
    sd = _std(r)
    mean = r.mean(axis=-1) if r.shape[-1] else np.full(r.shape[:-1], np.nan)
    return np.divide(mean, sd, out=np.full(sd.shape, np.nan), where=sd > 0) * math.sqrt(periods_per_year)


def beta_alpha(r: np.ndarray, market: np.ndarray, periods_per_year: float) -> tuple[np.ndarray, np.ndarray]:
    """OLS slope of ``r`` on ``market`` along the last axis, and the annualised intercept.

    ``beta = cov(r, market) / var(market)`` and ``alpha = mean(r - beta * market) * P``: the return
    a book makes beyond its exposure to the market. Both are NaN where the market does not vary
    (or with fewer than two periods; ``r`` and ``market`` need at least one).

    Examples
    --------
    >>> m = np.array([0.01, -0.02, 0.03])
    >>> beta, alpha = beta_alpha(0.001 + 0.5 * m, m, 12)
    >>> float(beta), round(float(alpha), 12)
    (0.5, 0.012)
    """
    dm = market - market.mean(axis=-1, keepdims=True)
    var = (dm * dm).sum(axis=-1)
    beta = np.divide((dm * r).sum(axis=-1), var, out=np.full(var.shape, np.nan), where=_std(market) > 0)
    return beta, (r.mean(axis=-1) - beta * market.mean(axis=-1)) * periods_per_year


def performance_stats(returns: pd.Series, turnover: pd.Series, *, periods_per_year: float) -> dict:
    """Annualised return, volatility, Sharpe, drawdown, turnover and hit rate of period returns.

    Parameters
    ----------
    returns : pd.Series of shape (n_periods,)
        Net return of each period.
    turnover : pd.Series of shape (n_periods,)
        Turnover at each rebalance.
    periods_per_year : float
        Periods in a year (``252 / horizon`` for daily data).

    Returns
    -------
    dict
        ``annual_return, annual_volatility, sharpe, max_drawdown, avg_turnover, hit_rate,
        total_return, n_periods``; floats are NaN where undefined (no periods; Sharpe and
        volatility with fewer than two periods; Sharpe when the returns do not vary).

    Examples
    --------
    >>> s = performance_stats(pd.Series([0.01, 0.01]), pd.Series([1.0, 0.0]), periods_per_year=252)
    >>> s["sharpe"], s["annual_volatility"], s["avg_turnover"], s["hit_rate"]
    (nan, 0.0, 0.5, 1.0)
    """
    r = np.asarray(returns, dtype=float)
    n = len(r)
    nan = float("nan")
    growth = float(np.prod(1.0 + r))
    return {
        "annual_return": float(annual_return(r, periods_per_year)),
        "annual_volatility": float(_std(r) * math.sqrt(periods_per_year)),
        "sharpe": float(sharpe(r, periods_per_year)),
        "max_drawdown": max_drawdown(r),
        "avg_turnover": float(np.mean(turnover)) if n else nan,
        "hit_rate": float((r > 0).mean()) if n else nan,
        "total_return": growth - 1.0 if n else nan,
        "n_periods": int(n),
    }


def _check(frame: pd.DataFrame, horizon: int, cost_bps: float, periods_per_year: float, book: str,
           rank_quantile: float) -> None:
    _check_book(book)
    _check_quantile(rank_quantile)
    missing = [c for c in BACKTEST_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"Expected backtest columns {list(BACKTEST_COLUMNS)}, missing {missing}.")
    if frame.empty:
        raise ValueError("Expected at least one prediction row, got 0.")
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"Expected horizon to be an integer >= 1, got {horizon!r}.")
    if not (math.isfinite(cost_bps) and cost_bps >= 0):
        raise ValueError(f"Expected cost_bps >= 0, got {cost_bps}.")
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise ValueError(f"Expected periods_per_year > 0, got {periods_per_year}.")
    check_labels(frame["pred"], name="pred")
    fwd = frame["fwd_return"].to_numpy(dtype=float)
    if np.isinf(fwd).any():
        row = int(np.flatnonzero(np.isinf(fwd))[0])
        raise ValueError(f"Expected finite (or NaN, untradeable) fwd_return, got {fwd[row]} in row {row}.")
    check_unique_rows(frame)


def backtest(frame: pd.DataFrame, *, horizon: int = 1, cost_bps: float = 5.0, periods_per_year: float = 252,
             book: str = "dollar_neutral", rank_quantile: float = 0.1) -> BacktestResult:
    """Backtest the calls and the ranking of a predictions frame beside the equal-weight universe.

    The rules (rebalance dates, weights, costs, untradeable rows) and the statistics are in the
    module docstring.

    Parameters
    ----------
    frame : pd.DataFrame
        One row per (date, ticker) with ``date``, ``ticker``, ``pred`` (Down=0, None=1, Up=2),
        ``p_down`` and ``p_up`` (the rank book's score is ``p_up - p_down``) and ``fwd_return``
        (forward log return over ``horizon`` days; NaN: untradeable). Other columns (``p_none``,
        ``label``, ``fold``) are ignored.
    horizon : int, default 1
        Label horizon ``h`` in trading days: positions are reset every ``h``-th date.
    cost_bps : float, default 5.0
        Cost per unit of turnover in basis points (5 bps: 0.05% of the value traded).
    periods_per_year : float, default 252
        Trading days a year; there are ``periods_per_year / horizon`` holding periods a year.
    book : {"dollar_neutral", "unhedged"}, default "dollar_neutral"
        What a period with calls on one side only holds (see the module docstring).
    rank_quantile : float, default 0.1
        The rank book's share of the tradeable tickers on each side, in (0, 0.5].

    Returns
    -------
    BacktestResult

    Raises
    ------
    ValueError
        If a column is missing, the frame is empty, ``pred`` holds a value outside {0, 1, 2}, a
        ``fwd_return`` is infinite, a (date, ticker) pair repeats, a setting is out of range, the
        book is unknown, ``rank_quantile`` is outside (0, 0.5], or no rebalance date has a forward
        return.

    Examples
    --------
    Day 1: A called Up (+1%), B called Down (-2%), C no call: weights +0.5, -0.5, 0. Day 2: only
    C is called, Up, so the universe A, B, C is the short side at -0.5 / 3 each: C nets to
    0.5 - 1/6 and the book earns C's spread over the universe, 0.5 * (3.05% - 1.36%). The rank
    book, one name a side, is long the highest ``p_up - p_down`` (A, then C) and short the lowest
    (B both days).

    >>> f = pd.DataFrame({"date": ["d1"] * 3 + ["d2"] * 3, "ticker": ["A", "B", "C"] * 2,
    ...                   "pred": [2, 0, 1, 1, 1, 2], "p_up": [0.5, 0.1, 0.3, 0.3, 0.2, 0.6],
    ...                   "p_down": [0.2, 0.6, 0.3, 0.3, 0.4, 0.1],
    ...                   "fwd_return": [0.01, -0.02, 0.0, 0.02, -0.01, 0.03]})
    >>> res = backtest(f, cost_bps=0)
    >>> res.weights.round(4)  # doctest: +NORMALIZE_WHITESPACE
    ticker       A       B       C
    date
    d1      0.5000 -0.5000  0.0000
    d2     -0.1667 -0.1667  0.3333
    >>> res.returns.round(5)  # doctest: +NORMALIZE_WHITESPACE
          strategy     rank  equal_weight
    date
    d1     0.01493  0.01493      -0.00325
    d2     0.00844  0.02020       0.01357

    Unhedged, C alone gets the full 1.0 and its whole return, the market's rise included:

    >>> backtest(f, cost_bps=0, book="unhedged").returns["strategy"].round(5).tolist()
    [0.01493, 0.03045]
    >>> res.stats["strategy"]["call_hit_rate"], res.stats["strategy"]["n_calls"]
    (1.0, 3)
    """
    _check(frame, horizon, cost_bps, periods_per_year, book, rank_quantile)
    frame = frame.loc[:, list(BACKTEST_COLUMNS)]
    grid = pd.Index(pd.unique(frame["date"])).sort_values()[::horizon]
    frame = frame[frame["date"].isin(grid)]
    fwd = frame.pivot(index="date", columns="ticker", values="fwd_return")
    pred = frame.pivot(index="date", columns="ticker", values="pred").reindex_like(fwd)
    score = frame.assign(score=frame["p_up"] - frame["p_down"]).pivot(index="date", columns="ticker",
                                                                       values="score").reindex_like(fwd)
    tradeable = fwd.notna()
    n_untradeable = int(frame["fwd_return"].isna().sum())
    kept = tradeable.any(axis=1)
    if not kept.any():
        raise ValueError(f"Expected a forward return on some rebalance date, got none on the {len(grid)} "
                         f"dates of every {horizon}-th day.")
    fwd, pred, score, tradeable = fwd[kept], pred[kept], score[kept], tradeable[kept]
    simple = np.expm1(fwd)

    weights = {"strategy": long_short_weights(pred, tradeable, book=book),
               "rank": rank_weights(score, tradeable, quantile=rank_quantile), BENCHMARK: equal_weights(tradeable)}
    returns, turnover = {}, {}
    for name, w in weights.items():
        returns[name], turnover[name] = portfolio_returns(w, simple, cost_bps=cost_bps)
    returns, turnover = pd.DataFrame(returns), pd.DataFrame(turnover)

    per_year = periods_per_year / horizon
    stats = {name: performance_stats(returns[name], turnover[name], periods_per_year=per_year) for name in PORTFOLIOS}
    stats["strategy"]["call_hit_rate"], stats["strategy"]["n_calls"] = call_hit_rate(frame["pred"], frame["fwd_return"])
    for name in TRADED:
        beta, alpha = beta_alpha(returns[name].to_numpy(), returns[BENCHMARK].to_numpy(), per_year)
        stats[name].update(beta=float(beta), alpha_annual=float(alpha))
    stats.update(book=book, rank_quantile=float(rank_quantile), horizon=int(horizon), cost_bps=float(cost_bps),
                 periods_per_year=float(periods_per_year), n_untradeable=n_untradeable)
    for table in (returns, turnover):
        table.columns.name = None
    return BacktestResult(returns=returns, equity=(1.0 + returns).cumprod(), turnover=turnover,
                          weights=weights["strategy"], rank_weights=weights["rank"], stats=stats)


def stat_intervals(result: BacktestResult, *, block_days: int, n_boot: int = 500, seed: int = 0) -> dict:
    """95% block-bootstrap intervals of each portfolio's Sharpe and annual return, and of
    each traded book's alpha.

    All portfolios' period returns are resampled together, in blocks of
    ``max(2, ceil(block_days / horizon))`` periods (a block of one period would resample the periods
    as if independent), with the seed's resamples shared by every statistic: the books and the
    benchmark are compared on the same resampled periods.

    Parameters
    ----------
    result : BacktestResult
    block_days : int
        Block length in trading days (see :func:`stgnn.evaluation.bootstrap.block_for_horizon`).
    n_boot : int, default 500
    seed : int, default 0

    Returns
    -------
    dict
        ``{"strategy": {"sharpe", "annual_return", "alpha"}, "rank": {...the same}, "equal_weight":
        {"sharpe", "annual_return"}}``, each ``{"value", "lo", "hi", "n_boot", "block_days"}``;
        ``value`` is the statistic in ``result.stats`` (``alpha_annual`` for alpha) and
        ``block_days`` the days a block of periods spans (``block_periods * horizon``).

    Examples
    --------
    >>> f = pd.DataFrame({"date": np.repeat([f"d{i}" for i in range(6)], 2), "ticker": ["A", "B"] * 6,
    ...                   "pred": [2, 0] * 6, "p_up": [0.6, 0.2] * 6, "p_down": [0.2, 0.6] * 6,
    ...                   "fwd_return": [0.01, -0.01, 0.02, 0.0, -0.01, 0.01] * 2})
    >>> ci = stat_intervals(backtest(f, cost_bps=0), block_days=2, n_boot=50)
    >>> sorted(ci["rank"]), sorted(ci["equal_weight"]), ci["strategy"]["sharpe"]["block_days"]
    (['alpha', 'annual_return', 'sharpe'], ['annual_return', 'sharpe'], 2)
    """
    if isinstance(block_days, bool) or not isinstance(block_days, (int, np.integer)) or block_days < 1:
        raise ValueError(f"Expected block_days an integer >= 1, got {block_days!r}.")
    horizon = result.stats["horizon"]
    per_year = result.stats["periods_per_year"] / horizon
    block = max(2, -(-int(block_days) // horizon))
    market = PORTFOLIOS.index(BENCHMARK)

    def statistics(i: int) -> dict:
        """Sharpe and annual return of column i, and its alpha when it is a traded book."""
        own = {"sharpe": lambda v: sharpe(v[..., i], per_year),
               "annual_return": lambda v: annual_return(v[..., i], per_year)}
        return own if i == market else {**own, "alpha": lambda v: beta_alpha(v[..., i], v[..., market], per_year)[1]}

    returns = result.returns[list(PORTFOLIOS)].to_numpy()
    return {name: {stat: {**block_bootstrap(returns, fn, block=block, n_boot=n_boot, seed=seed),
                          "block_days": block * horizon}
                   for stat, fn in statistics(i).items()}
            for i, name in enumerate(PORTFOLIOS)}
