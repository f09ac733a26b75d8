import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from stgnn.config import FeatureConfig
from stgnn.data.features import compute_features
from stgnn.data.panel import build_panel

CLOSE_NAMES = [
    "ret_1", "ret_2", "ret_5", "ret_10", "ret_20", "ret_rel_1", "vol_5", "vol_20",
    "ma_ratio_10", "ma_ratio_50", "rsi_14", "macd_hist", "zscore_20",
]


def _fields(n_days: int, n_tickers: int, *, seed: int = 0, extra=()) -> dict[str, pd.DataFrame]:
    """A random positive panel: closes as a log random walk, optional open/high/low/volume."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2024-01-01", periods=n_days)
    cols = list("ABCD")[:n_tickers]
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_days, n_tickers)), axis=0))
    fields = {"close": close}
    if "open" in extra:
        fields["open"] = close * np.exp(rng.normal(0, 0.01, close.shape))
    if "range" in extra:
        fields["high"] = close * np.exp(np.abs(rng.normal(0, 0.01, close.shape)))
        fields["low"] = close * np.exp(-np.abs(rng.normal(0, 0.01, close.shape)))
    if "volume" in extra:
        fields["volume"] = rng.integers(0, 10**6, close.shape).astype(float)
    return {name: pd.DataFrame(v, index=idx, columns=cols) for name, v in fields.items()}


def _panel(fields):
    return build_panel(fields, origin="toy", min_history=2)


def test_close_only_names_shapes_and_dtype():
    fields = _fields(80, 3)
    fs = compute_features(_panel(fields))
    assert fs.names == CLOSE_NAMES
    assert fs.values.shape == (80, 3, len(CLOSE_NAMES))
    assert fs.values.dtype == np.float32
    assert fs.tickers == ["A", "B", "C"]
    assert fs.dates.equals(fields["close"].index)


def test_range_gap_and_volume_features_appear_only_with_their_fields():
    all_fs = compute_features(_panel(_fields(80, 3, extra=("open", "range", "volume"))))
    assert all_fs.names == [*CLOSE_NAMES, "range", "close_loc", "gap", "volume_z"]
    assert all_fs.values.shape == (80, 3, len(CLOSE_NAMES) + 4)

    assert compute_features(_panel(_fields(80, 3, extra=("volume",)))).names == [*CLOSE_NAMES, "volume_z"]
    assert compute_features(_panel(_fields(80, 3, extra=("open",)))).names == [*CLOSE_NAMES, "gap"]
    # High without low is not enough for a range.
    fields = _fields(80, 3, extra=("range",))
    del fields["low"]
    assert compute_features(_panel(fields)).names == CLOSE_NAMES


def test_config_windows_name_the_features():
    cfg = FeatureConfig(return_lags=(3, 1), vol_windows=(7,), ma_windows=(4,), rsi_window=5,
                        macd=(3, 6, 2), zscore_window=8)
    fs = compute_features(_panel(_fields(40, 2)), cfg)
    assert fs.names == ["ret_1", "ret_3", "ret_rel_1", "vol_7", "ma_ratio_4", "rsi_5", "macd_hist", "zscore_8"]


def test_ret_1_is_the_log_return():
    idx = pd.bdate_range("2024-01-01", periods=4)
    close = pd.DataFrame({"A": [100.0, 110.0, 99.0, 99.0], "B": [10.0, 10.0, 12.5, 10.0]}, index=idx)
    fs = compute_features(_panel({"close": close}))
    ret1 = fs.values[:, :, fs.names.index("ret_1")]
    expected = np.array([[np.nan, np.nan],
                         [np.log(1.1), 0.0],
                         [np.log(0.9), np.log(1.25)],
                         [0.0, np.log(0.8)]])
    np.testing.assert_allclose(ret1, expected, rtol=1e-6)


def test_ret_rel_1_sums_to_zero_across_tickers():
    fs = compute_features(_panel(_fields(60, 4, seed=1)))
    rel = fs.values[1:, :, fs.names.index("ret_rel_1")].astype(np.float64)
    np.testing.assert_allclose(rel.sum(axis=1), 0.0, atol=1e-6)
    assert np.isnan(fs.values[0, :, fs.names.index("ret_rel_1")]).all()


def test_rsi_lies_in_minus_one_to_one():
    fs = compute_features(_panel(_fields(200, 4, seed=2)))
    rsi = fs.values[:, :, fs.names.index("rsi_14")]
    finite = rsi[np.isfinite(rsi)]
    assert finite.size > 0
    assert finite.min() >= -1.0 and finite.max() <= 1.0


def test_rsi_is_one_when_prices_only_rise():
    idx = pd.bdate_range("2024-01-01", periods=30)
    close = pd.DataFrame({"A": np.linspace(10, 20, 30), "B": np.linspace(20, 10, 30)}, index=idx)
    fs = compute_features(_panel({"close": close}))
    rsi = fs.values[:, :, fs.names.index("rsi_14")]
    assert np.isnan(rsi[:14]).all()
    np.testing.assert_allclose(rsi[14:, 0], 1.0)
    np.testing.assert_allclose(rsi[14:, 1], -1.0)


def test_every_feature_is_defined_once_the_configured_warmup_has_passed():
    cfg = FeatureConfig()
    fs = compute_features(_panel(_fields(120, 3, extra=("open", "range", "volume"))), cfg)
    complete = fs.complete_windows(1)
    first = int(np.argmax(complete.all(axis=1)))
    assert 0 < first <= cfg.warmup and complete[first:].all() and not complete[first - 1].all()
    assert not compute_features(_panel(_fields(40, 3))).complete_windows(1).any()  # ma_ratio_50 needs 50 days


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_tickers=st.integers(3, 4),
    t=st.integers(0, 118),
    extra=st.sampled_from([(), ("open", "range", "volume"), ("range",), ("volume",)]),
    future_scale=st.sampled_from([1e-3, 0.5, 1.0, 3.0, 1e3]),
    constant_future=st.booleans(),
)
def test_features_are_causal(seed, n_tickers, t, extra, future_scale, constant_future):
    """Rewriting every value after day t leaves every feature up to t (NaNs included) unchanged."""
    n_days = 120
    fields = _fields(n_days, n_tickers, seed=seed, extra=extra)
    before = compute_features(_panel(fields))

    rng = np.random.default_rng(seed + 1)
    rewritten = {}
    for name, frame in fields.items():
        frame = frame.copy()
        shape = (n_days - t - 1, n_tickers)
        if constant_future:
            future = np.full(shape, 7.0)
        else:
            future = rng.lognormal(0.0, 1.0, shape) * future_scale
        frame.iloc[t + 1:] = np.round(future) if name == "volume" else future
        rewritten[name] = frame
    after = compute_features(_panel(rewritten))

    assert after.names == before.names
    np.testing.assert_array_equal(after.values[: t + 1], before.values[: t + 1])
