"""Qlib's published factor libraries, Alpha158 and Alpha360, computed on a :class:`PricePanel`.

The formulas are those of Microsoft Qlib's ``Alpha158DL`` and ``Alpha360DL`` loaders
(``qlib/contrib/data/loader.py``) with the semantics of its operators (``qlib/data/ops.py``),
including the ``+1e-12`` guards of its denominators; the code is ours. Qlib's sources have a
``$vwap`` field that none of stgnn's sources has: :data:`VWAP_STAND_IN`, the day's typical price
``(high + low + close) / 3``, takes its place, so every VWAP factor is an approximation and is
missing without high and low.

Two rules differ from Qlib on purpose, because stgnn's panels are ragged (:mod:`stgnn.data.panel`):

- a factor exists only where its whole window is present. Qlib's rolling operators use
  ``min_periods=1`` and its ``Ref`` bridges gaps, so a stock's first days and the days around a
  hole get values made of fewer days than the name says. Here a value at day t needs every day
  of its window present: the ``d`` days of a ``d``-day operator, one more for an operator over a
  one-day change (``Ref($close, 1)``), the ``d + 1`` days from ``t - d`` to ``t`` for
  ``Ref($close, d)`` (a ratio never spans a hole) and the 60 days of an Alpha360 sequence;
- a comparison with a missing value is missing, where Qlib's ``$close > Ref($close, 1)`` is
  False on a stock's first day.

Alpha360's names are ordered time-major (:func:`alpha360`), not channel by channel as Qlib lists
them, so that a day's values reshape to a sequence.

Every factor is causal (day t and earlier only), each ticker's values depend on its own prices
only, and non-finite results (a zero volume in a ratio) are NaN. All of it is whole-panel array
arithmetic, no Python function per window: Alpha158 on the bundled S&P 500 set (505 tickers x
1,259 days) takes about ten seconds on two cores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stgnn.data.panel import PricePanel

FACTOR_SETS = ("alpha158", "alpha360")
ALPHA158_WINDOWS = (5, 10, 20, 30, 60)
ALPHA360_DAYS = 60
ALPHA360_CHANNELS = ("close", "open", "high", "low", "vwap", "volume")

VWAP_STAND_IN = "typical price (high + low + close) / 3"
"""What stands in for Qlib's ``$vwap``: no source of stgnn has the day's volume-weighted price."""

EPS = 1e-12
"""Qlib's guard against a zero denominator, kept so that the factors are Qlib's to the digit."""

FLAT_STD = 2e-5
"""Qlib's ``Rsquare`` and ``Corr`` are NaN where a window's std is this small (``np.isclose(std, 0,
atol=2e-05)``): a flat series has no trend to fit and no correlation."""

_NEEDS = {"vwap": ("high", "low")}
"""Panel fields behind a derived one (:data:`VWAP_STAND_IN`)."""


@dataclass(frozen=True)
class Factors:
    """A factor library computed on a panel.

    Attributes
    ----------
    frames : dict of str to pd.DataFrame
        Factor name to a float32 frame (dates x tickers) shaped like ``panel.close``, in the
        library's documented order; NaN until the factor's window is complete, on every day whose
        window holds an absent day, and wherever the value is not finite. float32 because the
        models consume float32 and 158 float64 frames of the S&P 500 set would take 800 MB.
    missing : tuple of str
        The families the panel's fields could not give, each with the fields it lacks, for a log
        line, e.g. ``"KBAR (no open, high, low)"``; empty with full OHLCV.
    warmup : int
        Days of history every factor needs: a ticker present on the ``warmup`` days ending at t
        has every factor at t (61 for Alpha158: 60-day windows over a one-day change).
    """

    frames: dict[str, pd.DataFrame]
    missing: tuple[str, ...]
    warmup: int


@dataclass(frozen=True)
class _Fields:
    """The panel's fields as float64 arrays (n_days, n_tickers); ``None`` where the panel lacks one."""

    close: np.ndarray
    open: np.ndarray | None
    high: np.ndarray | None
    low: np.ndarray | None
    vwap: np.ndarray | None
    volume: np.ndarray | None


# Alpha158, in Qlib's order. K-bar: the candle of one day, relative to its open or its range.
_KBAR = (
    ("KMID", lambda f: (f.close - f.open) / f.open),
    ("KLEN", lambda f: (f.high - f.low) / f.open),
    ("KMID2", lambda f: (f.close - f.open) / (f.high - f.low + EPS)),
    ("KUP", lambda f: (f.high - np.maximum(f.open, f.close)) / f.open),
    ("KUP2", lambda f: (f.high - np.maximum(f.open, f.close)) / (f.high - f.low + EPS)),
    ("KLOW", lambda f: (np.minimum(f.open, f.close) - f.low) / f.open),
    ("KLOW2", lambda f: (np.minimum(f.open, f.close) - f.low) / (f.high - f.low + EPS)),
    ("KSFT", lambda f: (2 * f.close - f.high - f.low) / f.open),
    ("KSFT2", lambda f: (2 * f.close - f.high - f.low) / (f.high - f.low + EPS)),
)
_PRICE_RATIOS = ("open", "high", "low", "vwap")  # OPEN0 ... VWAP0: field / close

# (family, fields besides close, days the window spans beyond d, Qlib's formula for window d)
_OPERATORS = (
    ("ROC", (), 1, lambda f, d: _ref(f.close, d) / f.close),
    ("MA", (), 0, lambda f, d: _mean(f.close, d) / f.close),
    ("STD", (), 0, lambda f, d: _std(f.close, d) / f.close),
    ("BETA", (), 0, lambda f, d: _slope(f.close, d) / f.close),
    ("RSQR", (), 0, lambda f, d: _rsquare(f.close, d)),
    ("RESI", (), 0, lambda f, d: _resi(f.close, d) / f.close),
    ("MAX", ("high",), 0, lambda f, d: _max(f.high, d) / f.close),
    ("MIN", ("low",), 0, lambda f, d: _min(f.low, d) / f.close),
    ("QTLU", (), 0, lambda f, d: _quantile(f.close, d, 0.8) / f.close),
    ("QTLD", (), 0, lambda f, d: _quantile(f.close, d, 0.2) / f.close),
    ("RANK", (), 0, lambda f, d: _rank(f.close, d)),
    ("RSV", ("high", "low"), 0,
     lambda f, d: (f.close - _min(f.low, d)) / (_max(f.high, d) - _min(f.low, d) + EPS)),
    ("IMAX", ("high",), 0, lambda f, d: _idxmax(f.high, d) / d),
    ("IMIN", ("low",), 0, lambda f, d: _idxmin(f.low, d) / d),
    ("IMXD", ("high", "low"), 0, lambda f, d: (_idxmax(f.high, d) - _idxmin(f.low, d)) / d),
    ("CORR", ("volume",), 0, lambda f, d: _corr(f.close, np.log(f.volume + 1), d)),
    ("CORD", ("volume",), 1,
     lambda f, d: _corr(f.close / _ref(f.close, 1), np.log(f.volume / _ref(f.volume, 1) + 1), d)),
    ("CNTP", (), 1, lambda f, d: _mean(_gt(f.close, _ref(f.close, 1)), d)),
    ("CNTN", (), 1, lambda f, d: _mean(_gt(_ref(f.close, 1), f.close), d)),
    ("CNTD", (), 1,
     lambda f, d: _mean(_gt(f.close, _ref(f.close, 1)), d) - _mean(_gt(_ref(f.close, 1), f.close), d)),
    ("SUMP", (), 1, lambda f, d: _sum(_up(f.close), d) / (_sum(np.abs(_change(f.close)), d) + EPS)),
    ("SUMN", (), 1, lambda f, d: _sum(_down(f.close), d) / (_sum(np.abs(_change(f.close)), d) + EPS)),
    ("SUMD", (), 1,
     lambda f, d: (_sum(_up(f.close), d) - _sum(_down(f.close), d)) / (_sum(np.abs(_change(f.close)), d) + EPS)),
    ("VMA", ("volume",), 0, lambda f, d: _mean(f.volume, d) / (f.volume + EPS)),
    ("VSTD", ("volume",), 0, lambda f, d: _std(f.volume, d) / (f.volume + EPS)),
    ("WVMA", ("volume",), 1,
     lambda f, d: _std(_weighted_move(f), d) / (_mean(_weighted_move(f), d) + EPS)),
    ("VSUMP", ("volume",), 1,
     lambda f, d: _sum(_up(f.volume), d) / (_sum(np.abs(_change(f.volume)), d) + EPS)),
    ("VSUMN", ("volume",), 1,
     lambda f, d: _sum(_down(f.volume), d) / (_sum(np.abs(_change(f.volume)), d) + EPS)),
    ("VSUMD", ("volume",), 1,
     lambda f, d: (_sum(_up(f.volume), d) - _sum(_down(f.volume), d)) / (_sum(np.abs(_change(f.volume)), d) + EPS)),
)


def alpha158(panel: PricePanel) -> Factors:
    """Qlib's Alpha158: 158 factors of price shape, trend, range, volume and their co-movement.

    Order: the 9 K-bar factors (``KMID, KLEN, KMID2, KUP, KUP2, KLOW, KLOW2, KSFT, KSFT2``), the 4
    price ratios (``OPEN0, HIGH0, LOW0, VWAP0``: field / close), then each operator of Qlib's list
    (``ROC, MA, STD, BETA, RSQR, RESI, MAX, MIN, QTLU, QTLD, RANK, RSV, IMAX, IMIN, IMXD, CORR,
    CORD, CNTP, CNTN, CNTD, SUMP, SUMN, SUMD, VMA, VSTD, WVMA, VSUMP, VSUMN, VSUMD``) over each of
    :data:`ALPHA158_WINDOWS`: ``ROC5, ROC10, ..., VSUMD60``. Families whose fields the panel lacks
    are left out and named in :attr:`Factors.missing`: a close-only panel gives the 75 factors of
    the 15 close-only operators.

    Qlib's operators, as its code has them:

    - ``Std`` is the sample std (ddof 1); ``Quantile`` interpolates linearly;
    - ``IdxMax``/``IdxMin`` is the 1-based position of the extreme counted from the oldest day of
      the window (``argmax() + 1``; the earliest of tied extremes), so ``IMAX`` = 1 means the high
      is today's and 1/d that it is d - 1 days old;
    - ``Rank`` is today's percentile within its window, ties averaged (pandas' ``rank(pct=True)``):
      (days below + (days equal, today included, + 1) / 2) / d;
    - ``Slope``, ``Rsquare`` and ``Resi`` regress the window on time 1..d: the slope, its R^2 (NaN
      where the window's std is below :data:`FLAT_STD`) and today's residual, today's value less
      the fitted line at today;
    - ``Corr`` is Pearson's over the window, NaN where either std is below :data:`FLAT_STD`.

    Examples
    --------
    >>> from stgnn.data.panel import build_panel
    >>> idx = pd.bdate_range("2024-01-01", periods=70)
    >>> close = pd.DataFrame({"A": np.linspace(10, 17, 70)}, index=idx)
    >>> factors = alpha158(build_panel({"close": close}, origin="toy", min_history=30))
    >>> len(factors.frames), factors.missing[0], factors.warmup
    (75, 'KBAR (no open, high, low)', 61)
    >>> [round(float(factors.frames[name]["A"].iloc[-1]), 4) for name in ("ROC5", "RSQR5", "RANK5", "CNTP60")]
    [0.9702, 1.0, 1.0, 1.0]
    """
    fields = _fields(panel)
    frames, missing, spans = {}, [], []
    with np.errstate(divide="ignore", invalid="ignore"):
        lacking = _lacking(fields, ("open", "high", "low"))
        if lacking:
            missing.append(_missing("KBAR", lacking))
        else:
            valid = _valid(fields, ("open", "high", "low"))
            frames.update((name, _keep(formula(fields), valid)) for name, formula in _KBAR)
            spans.append(1)
        for field in _PRICE_RATIOS:
            name = f"{field.upper()}0"
            lacking = _lacking(fields, (field,))
            if lacking:
                missing.append(_missing(name, lacking))
                continue
            frames[name] = _keep(getattr(fields, field) / fields.close, _valid(fields, (field,)))
            spans.append(1)
        for family, needs, extra, formula in _OPERATORS:
            lacking = _lacking(fields, needs)
            if lacking:
                missing.append(_missing(family, lacking))
                continue
            valid = _valid(fields, needs)
            for d in ALPHA158_WINDOWS:
                frames[f"{family}{d}"] = _keep(formula(fields, d), _complete(valid, d + extra))
                spans.append(d + extra)
    return Factors(_frames(frames, panel), tuple(missing), max(spans))


def alpha360(panel: PricePanel) -> Factors:
    """Qlib's Alpha360: the last 60 days of prices and volume, as ratios to today's.

    For lag k = 59 .. 0 and each channel of :data:`ALPHA360_CHANNELS` the panel has, a price
    channel gives ``field[t - k] / close[t]`` and volume ``volume[t - k] / (volume[t] + 1e-12)``
    (``CLOSE0`` is 1; the VWAP channel is :data:`VWAP_STAND_IN`). Unlike Qlib, which lists all 60
    lags of one channel before the next, the names are time-major: ``CLOSE59, OPEN59, HIGH59,
    LOW59, VWAP59, VOLUME59, CLOSE58, ...``, ending with the lag-0 block, so a day's values
    reshape to (60, channels) as a sequence, oldest day first. A channel the panel cannot give is
    left out (a close-only panel gives 60 factors, one channel) and named in
    :attr:`Factors.missing`. A day's values exist only when the ticker is present on all 60 days.

    Examples
    --------
    >>> from stgnn.data.panel import build_panel
    >>> idx = pd.bdate_range("2024-01-01", periods=61)
    >>> close = pd.DataFrame({"A": np.arange(1.0, 62.0)}, index=idx)
    >>> factors = alpha360(build_panel({"close": close}, origin="toy", min_history=30))
    >>> list(factors.frames)[:2], len(factors.frames), factors.warmup
    (['CLOSE59', 'CLOSE58'], 60, 60)
    >>> day = np.array([frame["A"].iloc[-1] for frame in factors.frames.values()]).reshape(60, -1)
    >>> day.shape, round(float(day[0, 0]), 4), float(day[-1, 0])  # close[t - 59] / close[t] = 2 / 61
    ((60, 1), 0.0328, 1.0)
    """
    fields = _fields(panel)
    channels = [c for c in ALPHA360_CHANNELS if not _lacking(fields, (c,))]
    missing = tuple(_missing(c.upper(), _lacking(fields, (c,))) for c in ALPHA360_CHANNELS if c not in channels)
    valid = _complete(_valid(fields, channels), ALPHA360_DAYS)
    frames = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(ALPHA360_DAYS - 1, -1, -1):
            for channel in channels:
                past = _ref(getattr(fields, channel), k)
                today = fields.volume + EPS if channel == "volume" else fields.close
                frames[f"{channel.upper()}{k}"] = _keep(past / today, valid)
    return Factors(_frames(frames, panel), missing, ALPHA360_DAYS)


def factor_library(name: str, panel: PricePanel) -> Factors:
    """The factor library called ``name`` (one of :data:`FACTOR_SETS`) computed on ``panel``.

    Examples
    --------
    >>> factor_library("alpha101", None)
    Traceback (most recent call last):
    ...
    ValueError: Unknown factor library 'alpha101'; choose one of alpha158, alpha360.
    """
    libraries = {"alpha158": alpha158, "alpha360": alpha360}
    if name not in libraries:
        raise ValueError(f"Unknown factor library {name!r}; choose one of {', '.join(FACTOR_SETS)}.")
    return libraries[name](panel)


def _fields(panel: PricePanel) -> _Fields:
    def array(name):
        return getattr(panel, name).to_numpy(dtype=np.float64) if panel.has(name) else None

    close, high, low = array("close"), array("high"), array("low")
    vwap = (high + low + close) / 3 if high is not None and low is not None else None
    return _Fields(close, array("open"), high, low, vwap, array("volume"))


def _lacking(fields: _Fields, needs) -> tuple[str, ...]:
    """The panel fields behind ``needs`` that the panel does not have, in a fixed order."""
    wanted = {source for need in needs for source in _NEEDS.get(need, (need,))}
    return tuple(name for name in ("open", "high", "low", "volume") if name in wanted and getattr(fields, name) is None)


def _missing(family: str, lacking) -> str:
    return f"{family} (no {', '.join(lacking)})"


def _valid(fields: _Fields, needs) -> np.ndarray:
    """Where close and every field in ``needs`` have a value."""
    valid = np.isfinite(fields.close)
    for need in needs:
        valid &= np.isfinite(getattr(fields, need))
    return valid


def _complete(valid: np.ndarray, span: int) -> np.ndarray:
    """Whether the ``span`` days ending at each day are all valid; False on the first ``span - 1`` days.

    Examples
    --------
    >>> _complete(np.array([[True], [True], [False], [True], [True]]), 2)[:, 0].tolist()
    [False, True, False, False, True]
    """
    seen = np.cumsum(valid, axis=0)
    seen[span:] -= seen[:-span].copy()
    return seen == span


def _keep(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``values`` where ``valid`` and finite, else NaN, as float32."""
    return np.where(valid & np.isfinite(values), values, np.nan).astype(np.float32)


def _frames(arrays: dict[str, np.ndarray], panel: PricePanel) -> dict[str, pd.DataFrame]:
    return {name: pd.DataFrame(a, index=panel.close.index, columns=panel.close.columns, copy=False)
            for name, a in arrays.items()}


# Qlib's operators on (n_days, n_tickers) arrays, one column per ticker and no value shared
# between columns. A rolling value needs its whole window: the sums mask incomplete windows, the
# loops over the window's days carry a missing day's NaN, pandas gets min_periods = d.


def _ref(x: np.ndarray, lag: int) -> np.ndarray:
    """``Ref(x, lag)``: the value ``lag`` days earlier (NaN on the first ``lag`` days)."""
    if lag == 0:
        return x
    out = np.full_like(x, np.nan)
    out[lag:] = x[:-lag]
    return out


def _change(x: np.ndarray) -> np.ndarray:
    """``x - Ref(x, 1)``."""
    return x - _ref(x, 1)


def _up(x: np.ndarray) -> np.ndarray:
    """``Greater(x - Ref(x, 1), 0)``."""
    return np.maximum(_change(x), 0)


def _down(x: np.ndarray) -> np.ndarray:
    """``Greater(Ref(x, 1) - x, 0)``."""
    return np.maximum(-_change(x), 0)


def _gt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a > b`` as 1.0 / 0.0, NaN where either is missing (Qlib's is False there).

    Examples
    --------
    >>> _gt(np.array([1.0, np.nan, 3.0]), np.array([0.0, 1.0, 4.0])).tolist()
    [1.0, nan, 0.0]
    """
    return np.where(np.isnan(a) | np.isnan(b), np.nan, a > b)


def _weighted_move(f: _Fields) -> np.ndarray:
    """``Abs($close / Ref($close, 1) - 1) * $volume``: the day's move, weighted by its volume."""
    return np.abs(f.close / _ref(f.close, 1) - 1) * f.volume


def _sum(x: np.ndarray, d: int) -> np.ndarray:
    """``Sum(x, d)`` from each column's running total: exact per column (pandas' rolling sum on
    the laid-out columns of :func:`_roll` would carry rounding from one ticker into the next)."""
    finite = np.isfinite(x)
    total = np.cumsum(np.where(finite, x, 0.0), axis=0)
    total[d:] -= total[:-d].copy()
    return np.where(_complete(finite, d), total, np.nan)


def _mean(x: np.ndarray, d: int) -> np.ndarray:
    return _sum(x, d) / d


def _std(x: np.ndarray, d: int) -> np.ndarray:
    """``Std(x, d)``: the sample std (ddof 1), from deviations from the window's mean (two passes,
    so a flat window gives 0, not rounding noise)."""
    mean = _mean(x, d)
    squares = np.zeros(x.shape)
    for back in range(d):
        squares += (_ref(x, back) - mean) ** 2
    return np.sqrt(squares / (d - 1))


def _corr(a: np.ndarray, b: np.ndarray, d: int) -> np.ndarray:
    """``Corr(a, b, d)``: Pearson's correlation over the window, NaN where either side is flat
    (std <= :data:`FLAT_STD`, as Qlib)."""
    mean_a, mean_b = _mean(a, d), _mean(b, d)
    ab, aa, bb = np.zeros(a.shape), np.zeros(a.shape), np.zeros(a.shape)
    for back in range(d):
        da, db = _ref(a, back) - mean_a, _ref(b, back) - mean_b
        ab += da * db
        aa += da**2
        bb += db**2
    flat = (np.sqrt(aa / (d - 1)) <= FLAT_STD) | (np.sqrt(bb / (d - 1)) <= FLAT_STD)
    return np.where(flat, np.nan, ab / np.sqrt(aa * bb))


def _max(x, d):
    return _roll(x, d, lambda r: r.max())


def _min(x, d):
    return _roll(x, d, lambda r: r.min())


def _quantile(x, d, q):
    """``Quantile(x, d, q)``, interpolating linearly as pandas (and Qlib) do."""
    return _roll(x, d, lambda r: r.quantile(q))


def _roll(x: np.ndarray, d: int, how) -> np.ndarray:
    """An order statistic ``how`` of pandas' rolling window over the last ``d`` days, every column.

    pandas rolls a DataFrame one column at a time, at a cost per column that dominates a panel of
    500 short columns, so the columns are laid end to end as one Series, each behind ``d`` NaN
    rows: no window reaches from one column into the next. Order statistics (max, min, quantile)
    are functions of the window's values alone, so the result is exact per column. A non-finite
    value counts as missing.
    """
    n_days, n_tickers = x.shape
    padded = np.full((d + n_days, n_tickers), np.nan)
    padded[d:] = np.where(np.isfinite(x), x, np.nan)
    rolled = how(pd.Series(padded.ravel(order="F")).rolling(d, min_periods=d)).to_numpy()
    return np.ascontiguousarray(rolled.reshape(n_tickers, d + n_days).T[d:])


def _idxmax(x: np.ndarray, d: int) -> np.ndarray:
    """``IdxMax(x, d)``: 1-based position of the window's maximum from its oldest day, the earliest if tied.

    Examples
    --------
    >>> _idxmax(np.array([[1.0], [3.0], [2.0], [3.0], [1.0]]), 4)[:, 0].tolist()
    [nan, nan, nan, 2.0, 1.0]
    """
    return _extreme_position(x, _max(x, d), d)


def _idxmin(x: np.ndarray, d: int) -> np.ndarray:
    """``IdxMin(x, d)``, like :func:`_idxmax`."""
    return _extreme_position(x, _min(x, d), d)


def _extreme_position(x: np.ndarray, extreme: np.ndarray, d: int) -> np.ndarray:
    position = np.full(x.shape, np.nan)
    for back in range(d):  # today first, so that the oldest day holding the extreme is written last
        position[_ref(x, back) == extreme] = d - back
    return position  # NaN where the extreme is (an incomplete window)


def _rank(x: np.ndarray, d: int) -> np.ndarray:
    """``Rank(x, d)``: today's percentile within its window, ties averaged.

    Examples
    --------
    >>> _rank(np.array([[1.0], [2.0], [2.0], [3.0], [2.0]]), 5)[-1, 0]
    np.float64(0.6)
    """
    below = np.zeros(x.shape)
    equal = np.zeros(x.shape)
    for back in range(d):
        past = _ref(x, back)
        below += past < x
        equal += past == x
    return np.where(_complete(np.isfinite(x), d), (below + (equal + 1) / 2) / d, np.nan)


def _trend(x: np.ndarray, d: int) -> np.ndarray:
    """``sum((i - mean(i)) * x_i)`` over the window, i = 1 (oldest) .. d (today): a slope times
    :func:`_time_spread`, without the cancellation of raw sums."""
    total = np.zeros(x.shape)
    for back in range(d):
        total += ((d - 1) / 2 - back) * _ref(x, back)
    return total


def _time_spread(d: int) -> float:
    """``sum((i - mean(i)) ** 2)`` for i = 1 .. d."""
    return d * (d * d - 1) / 12


def _slope(x: np.ndarray, d: int) -> np.ndarray:
    """``Slope(x, d)``: least-squares slope of the window on time, per day.

    Examples
    --------
    >>> _slope(np.array([[1.0], [3.0], [2.0], [6.0]]), 4)[-1, 0]
    np.float64(1.4)
    """
    return _trend(x, d) / _time_spread(d)


def _rsquare(x: np.ndarray, d: int) -> np.ndarray:
    """``Rsquare(x, d)``: R^2 of that fit, NaN where the window is flat (std <= :data:`FLAT_STD`)."""
    std = _std(x, d)
    r2 = _trend(x, d) ** 2 / (_time_spread(d) * (d - 1) * std**2)
    return np.where(std <= FLAT_STD, np.nan, r2)


def _resi(x: np.ndarray, d: int) -> np.ndarray:
    """``Resi(x, d)``: today's value less the fitted line at today (time d).

    Examples
    --------
    >>> round(float(_resi(np.array([[1.0], [3.0], [2.0], [6.0]]), 4)[-1, 0]), 12)
    0.9
    """
    return x - _mean(x, d) - _slope(x, d) * (d - 1) / 2
