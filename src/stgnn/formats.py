"""How a person reads every number stgnn prints: one formatter for each kind of number.

The walk-forward's and the single split's summaries, the report's verdict and its tables all write
their numbers here, so a figure reads the same wherever it appears:

- :func:`metric`: a score, rate or a difference of them (macro-F1, MCC, AUROC, Rank IC, hit rates),
  signed, 4 decimals: ``+0.4138``;
- :func:`ratio`: a Sharpe ratio, a beta, a turnover: signed, 2 decimals: ``-1.54``;
- :func:`percent`: a return, volatility or drawdown: signed, one decimal: ``-23.7%``;
  :func:`per_year` adds ``/yr``;
- :func:`count`: rows, calls, periods: an integer with thousands separators: ``1,240``;
- :func:`interval`: a point and its 95% interval, all three in the point's format.

A value too small to show at a kind's decimals gets the decimals that show its first digit
(``-0.004%``), so no figure reads ``-0.0%``, and an interval's end never looks like the null it
excludes; exactly 0 reads unsigned. A missing value (None, NaN) reads ``n/a``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

MISSING = "n/a"

MAX_EXTRA_DECIMALS = 6
"""How many decimals beyond its kind's a value that rounds to 0 may get before it reads as 0."""


def missing(v) -> bool:
    """None or NaN: a number metrics.json holds as null."""
    return v is None or (isinstance(v, float) and math.isnan(v))


def _signed(v: float, decimals: int) -> str:
    """``+1.23`` with ``decimals`` decimals, more where they would round a nonzero value to 0."""
    if missing(v):
        return MISSING
    v = float(v)
    for places in range(decimals, decimals + MAX_EXTRA_DECIMALS + 1):
        if round(v, places) != 0:
            return f"{v:+.{places}f}"
    return f"{0:.{decimals}f}"


def metric(v) -> str:
    """A score, rate or difference of them: ``+0.4138``."""
    return _signed(v, 4)


def ratio(v) -> str:
    """A Sharpe ratio, beta or turnover: ``-1.54``."""
    return _signed(v, 2)


def percent(v) -> str:
    """A fraction as a percentage: ``-0.237`` reads ``-23.7%``."""
    text = _signed(None if missing(v) else 100 * float(v), 1)
    return text if text == MISSING else text + "%"


def per_year(v) -> str:
    """An annual rate: ``-23.7%/yr``."""
    text = percent(v)
    return text if text == MISSING else text + "/yr"


def count(v) -> str:
    """A number of rows, calls or periods: ``1,240``."""
    return MISSING if missing(v) else f"{int(round(float(v))):,}"


def interval(point, lo, hi, kind: Callable[[object], str] = metric) -> str:
    """``-0.0345 [-0.0618, -0.0131]``: a point and its interval in one format; n/a if any is missing."""
    if any(map(missing, (point, lo, hi))):
        return MISSING
    return f"{kind(point)} [{kind(lo)}, {kind(hi)}]"


PERCENT_KEYS = frozenset({"annual_return", "annual_volatility", "max_drawdown", "total_return"})
RATIO_KEYS = frozenset({"sharpe", "beta", "avg_turnover"})


def kind_of(key: str) -> Callable[[object], str]:
    """The formatter of a metrics.json key: ``n_*`` counts, returns in percent, ``alpha`` and
    ``alpha_annual`` per year, Sharpe, beta and turnover as ratios, every other number a metric."""
    if key.startswith("n_"):
        return count
    if key in ("alpha", "alpha_annual"):
        return per_year
    if key in PERCENT_KEYS:
        return percent
    return ratio if key in RATIO_KEYS else metric
