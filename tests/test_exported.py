"""The export's own price code (:mod:`stgnn.exported`, which a server vendors alone) against stgnn's:
the panel's rules (gaps, listings) and the basic features, with each option, on a ragged panel."""

import numpy as np
import pandas as pd
import pytest

from stgnn.config import MARKET_VOL_WINDOW, FeatureConfig
from stgnn.data.features import compute_features
from stgnn.data.panel import FIELDS, build_panel
from stgnn.exported import basic_features, complete_windows, panel_fields

MAX_FFILL, MIN_HISTORY = 5, 30


def _prices(n_days: int = 160, n: int = 5) -> dict[str, pd.DataFrame]:
    """Every field, NaN together: T1 lists on day 40, T2 misses 3 days (filled) and then 9 (absent
    after the fifth), T3 delists after day 150; one day nobody trades."""
    rng = np.random.default_rng(0)
    index = pd.bdate_range("2021-01-01", periods=n_days)
    tickers = [f"T{i}" for i in range(n)]
    close = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_days, n)), axis=0)), index, tickers)
    missing = np.zeros((n_days, n), bool)
    missing[:40, 1] = missing[60:63, 2] = missing[90:99, 2] = missing[151:, 3] = missing[120] = True
    fields = {"close": close, "open": close.shift(1).bfill() * np.exp(rng.normal(0, 0.005, close.shape)),
              "high": close * (1 + rng.uniform(0, 0.02, close.shape)),
              "low": close * (1 - rng.uniform(0, 0.02, close.shape)),
              "volume": pd.DataFrame(rng.integers(10**5, 10**6, (n_days, n)).astype(float), index, tickers)}
    return {name: frame.mask(missing) for name, frame in fields.items()}


@pytest.mark.parametrize("options", [{}, {"cross_section": "rank"}, {"cross_section": "zscore", "market": True},
                                     {"market": True, "return_lags": [1, 3], "macd": [5, 10, 3]}])
@pytest.mark.parametrize("names", [("close",), FIELDS], ids=["close", "ohlcv"])
def test_the_exported_features_are_stgnns(options, names):
    prices = {name: frame for name, frame in _prices().items() if name in names}
    config = FeatureConfig(**options)
    panel = build_panel(prices, origin="toy", max_ffill=MAX_FFILL, min_history=MIN_HISTORY)
    expected = compute_features(panel, config)
    fields, eligible = panel_fields(prices, panel.tickers, max_ffill=MAX_FFILL, min_history=MIN_HISTORY)
    got, values = basic_features(fields, config.model_dump(mode="json"), market_vol_window=MARKET_VOL_WINDOW)
    assert got == expected.names
    np.testing.assert_array_equal(values, expected.values)
    np.testing.assert_array_equal(eligible.to_numpy(), panel.eligible.to_numpy())
    np.testing.assert_array_equal(complete_windows(values, 20), expected.complete_windows(20))


def test_a_field_missing_where_close_is_priced_is_left_out_as_stgnn_does():
    prices = _prices()
    prices["volume"] = prices["volume"].copy()
    prices["volume"].iloc[40, 1] = np.nan  # T1's first day: no earlier volume to fill it with
    panel = build_panel(prices, origin="toy", max_ffill=MAX_FFILL, min_history=MIN_HISTORY)
    fields, _ = panel_fields(prices, panel.tickers, max_ffill=MAX_FFILL, min_history=MIN_HISTORY)
    assert "volume" not in fields and not panel.has("volume") and set(fields) == {"close", "open", "high", "low"}
