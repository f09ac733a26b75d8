"""A backtest of the calls: long the tickers called Up, short those called Down.

Positions are set every ``horizon`` trading days (non-overlapping holding periods) and held for
``horizon`` days, earning ``exp(fwd_return) - 1`` each; the long and the short side get half the
gross exposure each (all of it when only one side has names; flat when there are no calls).
Costs are ``cost_bps`` per unit of turnover ``sum |w_new - w_old|``. The benchmark is the
equal-weight universe, rebalanced on the same dates with the same cost model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stgnn.classes import DOWN, UP


@dataclass(frozen=True)
class BacktestResult:
    returns: pd.DataFrame  # per holding period, columns strategy and benchmark
    equity: pd.DataFrame   # cumulative value of 1
    stats: dict


def _weights(frame: pd.DataFrame) -> pd.DataFrame:
    """Target weights per (date, ticker) from the calls."""
    longs = (frame["pred"] == UP).astype(float)
    shorts = (frame["pred"] == DOWN).astype(float)
    n_long = longs.groupby(frame["date"]).transform("sum")
    n_short = shorts.groupby(frame["date"]).transform("sum")
    both = (n_long > 0) & (n_short > 0)
    side = np.where(both, 0.5, 1.0)
    w = side * (longs / n_long.where(n_long > 0, 1) - shorts / n_short.where(n_short > 0, 1))
    return frame.assign(w=w).pivot(index="date", columns="ticker", values="w").fillna(0.0)


def _run(weights: pd.DataFrame, simple: pd.DataFrame, cost: float) -> tuple[pd.Series, pd.Series]:
    turnover = weights.diff().abs().sum(axis=1)
    turnover.iloc[0] = weights.iloc[0].abs().sum()
    gross = (weights * simple).sum(axis=1)
    return gross - cost * turnover, turnover


def _stats(r: pd.Series, turnover: pd.Series, periods_per_year: float) -> dict:
    n = len(r)
    equity = (1 + r).cumprod()
    growth = float(equity.iloc[-1]) if n else 1.0
    sd = float(r.std(ddof=1)) if n > 1 else float("nan")
    drawdown = float((equity / equity.cummax() - 1).min()) if n else 0.0
    return {
        "annual_return": growth ** (periods_per_year / n) - 1 if n and growth > 0 else float("nan"),
        "annual_volatility": sd * np.sqrt(periods_per_year),
        "sharpe": float(r.mean() / sd * np.sqrt(periods_per_year)) if sd and sd > 0 else float("nan"),
        "max_drawdown": drawdown,
        "turnover": float(turnover.mean()) if n else 0.0,
        "hit_rate": float((r > 0).mean()) if n else float("nan"),
        "n_periods": n,
    }


def backtest(frame: pd.DataFrame, *, horizon: int = 1, cost_bps: float = 5.0,
             periods_per_year: int = 252) -> BacktestResult:
    """Backtest a predictions frame (date, ticker, pred, fwd_return).

    Rows with an unknown forward return cannot be traded and are dropped. ``max_drawdown`` is a
    negative fraction; ``call_hit_rate`` is the share of Up/Down calls whose sign was right.

    Examples
    --------
    >>> f = pd.DataFrame({"date": ["d1", "d1", "d2", "d2"], "ticker": ["A", "B"] * 2,
    ...                   "pred": [2, 0, 1, 1], "fwd_return": [0.01, -0.02, 0.0, 0.0]})
    >>> round(float(backtest(f, cost_bps=0).returns["strategy"].iloc[0]), 5)
    0.01493
    """
    frame = frame[np.isfinite(frame["fwd_return"])]
    dates = np.sort(frame["date"].unique())[::horizon]
    frame = frame[frame["date"].isin(dates)]
    simple = frame.pivot(index="date", columns="ticker", values="fwd_return").pipe(np.exp) - 1
    cost = cost_bps / 1e4
    strat_w = _weights(frame).reindex_like(simple).fillna(0.0)
    bench_w = pd.DataFrame(1.0 / simple.shape[1], index=simple.index, columns=simple.columns)
    strat, strat_turn = _run(strat_w, simple.fillna(0.0), cost)
    bench, bench_turn = _run(bench_w, simple.fillna(0.0), cost)
    returns = pd.DataFrame({"strategy": strat, "benchmark": bench})
    per_year = periods_per_year / horizon
    calls = frame[frame["pred"].isin([DOWN, UP]) & (frame["fwd_return"] != 0)]
    right = np.sign(calls["fwd_return"]) == np.where(calls["pred"] == UP, 1, -1)
    stats = {
        "strategy": {**_stats(strat, strat_turn, per_year),
                     "call_hit_rate": float(right.mean()) if len(calls) else float("nan")},
        "benchmark": _stats(bench, bench_turn, per_year),
        "cost_bps": cost_bps, "horizon": horizon,
    }
    return BacktestResult(returns, (1 + returns).cumprod(), stats)
