"""Causal features per (date, ticker): a value at day t uses prices up to t only.

Every feature is a rolling, expanding or exponentially weighted statistic of the past, or a
cross-section of the same day, so nothing from t+1 on can reach it (a property test checks this
by rewriting the future). Range and volume features appear only when the panel has those fields.
A cross-section (``ret_rel_1``, the ``cross_section`` option, the ``market`` features) is taken
over the tickers present that day only: an absent ticker's cells are NaN and take no part.

``features.set`` chooses the per-ticker columns: ``basic`` (this module's), or one of Qlib's
factor libraries (:mod:`stgnn.data.factors`); the options above apply to either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stgnn.config import MARKET_VOL_WINDOW, FeatureConfig
from stgnn.data.factors import ALPHA360_DAYS, factor_library
from stgnn.data.panel import PricePanel

logger = logging.getLogger(__name__)


CROSS_SECTION_BLOCK = 16
"""Features cross-sectioned at a time: float64 precision without a float64 copy of a whole library."""


@dataclass(frozen=True)
class FeatureSet:
    """Features as one array.

    Attributes
    ----------
    values : np.ndarray of shape (n_days, n_tickers, n_features), float32
        NaN during each feature's warm-up and on every day the ticker has no price (absent).
    names : list of str
    dates : pd.DatetimeIndex
    tickers : list of str
    channels : int or None
        When a day's features are themselves a sequence (``alpha360``: 60 days of 6 channels,
        oldest first), the values per step; the encoder reads them as that sequence. ``None``:
        one value per feature.
    """

    values: np.ndarray
    names: list[str]
    dates: pd.DatetimeIndex
    tickers: list[str]
    channels: int | None = None

    def complete_windows(self, window: int) -> np.ndarray:
        """Whether every feature of a ticker is defined on each of the ``window`` days ending at t,
        of shape (n_days, n_tickers): the ticker is present on its whole window and warmed up.

        Examples
        --------
        >>> v = np.ones((4, 1, 2), np.float32)
        >>> v[1, 0, 0] = np.nan
        >>> FeatureSet(v, ["a", "b"], pd.bdate_range("2024-01-01", periods=4), ["A"]).complete_windows(2)[:, 0].tolist()
        [False, False, False, True]
        """
        bad = (~np.isfinite(self.values).all(axis=-1)).astype(np.int64)
        seen = np.vstack([np.zeros((1, bad.shape[1]), np.int64), np.cumsum(bad, axis=0)])
        n = len(bad)
        ends = np.arange(n)
        starts = ends - window + 1
        ok = seen[ends + 1] - seen[np.maximum(starts, 0)] == 0
        ok[starts < 0] = False
        return ok


def compute_features(panel: PricePanel, config: FeatureConfig = FeatureConfig()) -> FeatureSet:
    """Compute the feature cube of a panel.

    Per-ticker features come first. ``cross_section`` then ranks or z-scores each of them across
    the tickers present that day (:func:`cross_section`): the level that every ticker shares that
    day (the market) drops out and what is left is how each ticker stands among its peers.
    ``market`` appends the universe's own return and volatility (:func:`market_features`) after
    that, untransformed: one value shared by every ticker has no cross-section.

    Examples
    --------
    >>> from stgnn.data.panel import build_panel
    >>> idx = pd.bdate_range("2024-01-01", periods=80)
    >>> close = pd.DataFrame({"A": np.linspace(10, 12, 80), "B": np.linspace(20, 18, 80),
    ...                       "C": np.linspace(5, 6, 80)}, index=idx)
    >>> fs = compute_features(build_panel({"close": close}, origin="toy", min_history=30))
    >>> fs.values.shape[:2], fs.names[0]
    ((80, 3), 'ret_1')
    >>> fs = compute_features(build_panel({"close": close}, origin="toy", min_history=30),
    ...                       FeatureConfig(cross_section="rank", market=True))
    >>> fs.names[-2:], float(np.nanmin(fs.values[..., :-2])), float(np.nanmax(fs.values[..., :-2]))
    (['market_ret_1', 'market_vol_20'], -1.0, 1.0)
    """
    frames, channels = _per_ticker(panel, config), None
    if config.set == "alpha360":
        channels = len(frames) // ALPHA360_DAYS
    present = panel.present.to_numpy()
    values = _cube(frames.values(), present)
    if config.cross_section != "none":
        for block in range(0, values.shape[-1], CROSS_SECTION_BLOCK):  # float64 a block at a time
            part = slice(block, block + CROSS_SECTION_BLOCK)
            values[..., part] = cross_section(values[..., part].astype(np.float64), config.cross_section)
    names = list(frames)
    if config.market:
        market = market_features(panel.close)
        shared = [np.repeat(market[name].to_numpy()[:, None], len(panel.tickers), axis=1) for name in market]
        values = np.concatenate([values, _cube(shared, present)], axis=-1)
        names += list(market)
    return FeatureSet(values.astype(np.float32, copy=False), names, panel.dates, panel.tickers, channels)


def _per_ticker(panel: PricePanel, config: FeatureConfig) -> dict[str, pd.DataFrame]:
    """The per-ticker columns of ``features.set``, by name."""
    if config.set != "basic":
        factors = factor_library(config.set, panel)
        if factors.missing:
            logger.warning("%s on %s: %d factors; without the price fields they need, no %s", config.set,
                           panel.source or "this panel", len(factors.frames), "; ".join(factors.missing))
        return factors.frames
    frames = dict(_price_features(panel.close, config))
    if panel.has("high") and panel.has("low"):
        frames.update(_range_features(panel))
    if panel.has("open"):
        frames["gap"] = np.log(panel.open / panel.close.shift(1))
    if panel.has("volume"):
        frames.update(_volume_features(panel.volume))
    return frames


def cross_section(values: np.ndarray, method: str) -> np.ndarray:
    """Rank or z-score every feature across the tickers of each day that have it.

    A NaN (an absent ticker, or one still warming up) takes no part and stays NaN, so a day's
    cross-section is made of the tickers present that day only, and of nothing from other days.
    ``rank`` maps average ranks linearly onto [-1, 1] (ties share their mean rank); ``zscore``
    subtracts the mean and divides by the population std (0 when all values are equal). A
    feature with fewer than two values on a day has nothing to compare: 0.

    Parameters
    ----------
    values : np.ndarray of shape (n_days, n_tickers, n_features)
    method : {"rank", "zscore"}

    Examples
    --------
    >>> v = np.array([[[3.0], [1.0], [np.nan], [1.0]], [[5.0], [np.nan], [np.nan], [np.nan]]])
    >>> cross_section(v, "rank")[..., 0].tolist()
    [[1.0, -0.5, nan, -0.5], [0.0, nan, nan, nan]]
    >>> np.round(cross_section(v, "zscore")[0, :, 0], 4).tolist()
    [1.4142, -0.7071, nan, -0.7071]
    """
    finite = np.isfinite(values)
    n = finite.sum(axis=1, keepdims=True)
    if method == "rank":
        by_ticker = np.moveaxis(values, 1, 0)  # one column per (day, feature): pandas ranks columns fastest
        ranks = pd.DataFrame(by_ticker.reshape(len(by_ticker), -1)).rank().to_numpy()
        scaled = 2 * (np.moveaxis(ranks.reshape(by_ticker.shape), 0, 1) - 1) / np.maximum(n - 1, 1) - 1
    elif method == "zscore":
        mean = np.where(finite, values, 0.0).sum(axis=1, keepdims=True) / np.maximum(n, 1)
        std = np.sqrt((np.where(finite, values - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / np.maximum(n, 1))
        scaled = (values - mean) / np.where(std > 0, std, np.inf)  # all equal: 0, not 0/0
    else:
        raise ValueError(f"Expected cross-section 'rank' or 'zscore', got {method!r}.")
    return np.where(finite, np.where(n >= 2, scaled, 0.0), np.nan)


def market_features(close: pd.DataFrame) -> pd.DataFrame:
    """The present universe's equal-weight daily log return and its trailing volatility.

    The mean runs over the tickers with a return that day (present today and yesterday), like
    ``ret_rel_1``'s; the volatility is the sample std of its last ``MARKET_VOL_WINDOW`` values.
    Both use day t and earlier only.

    Examples
    --------
    >>> close = pd.DataFrame({"A": [1.0, np.e, np.e], "B": [1.0, np.nan, 1.0]})
    >>> market_features(close)["market_ret_1"].tolist()
    [nan, 1.0, 0.0]
    """
    market = log_returns(close).mean(axis=1)
    return pd.DataFrame({"market_ret_1": market,
                         f"market_vol_{MARKET_VOL_WINDOW}": market.rolling(MARKET_VOL_WINDOW).std()})


def log_returns(close: pd.DataFrame, lag: int = 1) -> pd.DataFrame:
    """``log(close[t] / close[t - lag])``, NaN for the first ``lag`` rows: every return stgnn uses.

    Examples
    --------
    >>> log_returns(pd.DataFrame({"A": [1.0, np.e, np.e]}))["A"].tolist()
    [nan, 1.0, 0.0]
    """
    return np.log(close).diff(lag)


def trailing_volatility(close: pd.DataFrame, window: int) -> pd.DataFrame:
    """Sample std of the last ``window`` daily log returns (the ``vol_<w>`` feature)."""
    return log_returns(close).rolling(window).std()


def _price_features(close: pd.DataFrame, cfg: FeatureConfig):
    ret1 = log_returns(close)
    for lag in cfg.return_lags:
        yield f"ret_{lag}", log_returns(close, lag)
    yield "ret_rel_1", ret1.sub(ret1.mean(axis=1), axis=0)
    for w in cfg.vol_windows:
        yield f"vol_{w}", trailing_volatility(close, w)
    for w in cfg.ma_windows:
        yield f"ma_ratio_{w}", np.log(close) - np.log(close.rolling(w).mean())
    yield f"rsi_{cfg.rsi_window}", _rsi(ret1, cfg.rsi_window)
    fast, slow, signal = cfg.macd
    macd = (_ema(close, fast) - _ema(close, slow)) / close
    yield "macd_hist", macd - _ema(macd, signal)
    w = cfg.zscore_window
    mean, std = close.rolling(w).mean(), close.rolling(w).std()
    # A flat price over the window sits exactly at its mean: z = 0, not 0/0.
    yield f"zscore_{w}", ((close - mean) / std.where(std > 0)).where(std.isna() | (std > 0), 0.0)


def _range_features(panel: PricePanel):
    high, low, close = panel.high, panel.low, panel.close
    span = high - low
    yield "range", np.log(high / low)
    yield "close_loc", ((close - low) / span.where(span > 0)).fillna(0.5) * 2 - 1


def _volume_features(volume: pd.DataFrame):
    log_vol = np.log1p(volume)
    yield "volume_z", log_vol - log_vol.rolling(20).mean()


def _ema(frame: pd.DataFrame, span: int) -> pd.DataFrame:
    """Exponential moving average that only looks back; NaN until ``span`` values are seen."""
    return frame.ewm(span=span, adjust=False, min_periods=span).mean()


def _rsi(ret: pd.DataFrame, window: int) -> pd.DataFrame:
    """Wilder's RSI rescaled to [-1, 1] (0 = balanced gains and losses)."""
    gain = ret.clip(lower=0).ewm(alpha=1 / window, adjust=False, min_periods=window).mean()
    loss = (-ret.clip(upper=0)).ewm(alpha=1 / window, adjust=False, min_periods=window).mean()
    total = (gain + loss).where(gain + loss > 0)
    return ((gain - loss) / total).fillna(0.0).where(gain.notna())


def _cube(frames, present: np.ndarray) -> np.ndarray:
    """Stack (n_days, n_tickers) frames as float32 features, NaN where a value is not finite or the
    ticker absent (float32 from the start: a factor library's cube is hundreds of MB)."""
    frames = list(frames)
    values = np.empty((*present.shape, len(frames)), np.float32)
    for j, frame in enumerate(frames):
        values[..., j] = np.asarray(frame, dtype=np.float64)
    values[~np.isfinite(values) | ~present[..., None]] = np.nan
    return values
