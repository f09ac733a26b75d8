"""Alpha158 and Alpha360 against Qlib's formulas, written out again here the plain way.

The reference below evaluates each of Qlib's expressions for one ticker and one day from the
window's values alone (numpy, statistics, scipy's ``percentileofscore``, Qlib's own
``argmax() + 1``), so it shares no code with :mod:`stgnn.data.factors`.
"""

import statistics

import numpy as np
import pandas as pd
import pytest
from scipy.stats import percentileofscore

from stgnn.data.factors import (
    ALPHA158_WINDOWS,
    ALPHA360_CHANNELS,
    ALPHA360_DAYS,
    FACTOR_SETS,
    alpha158,
    alpha360,
    factor_library,
)
from stgnn.data.panel import build_panel

KBAR = ("KMID", "KLEN", "KMID2", "KUP", "KUP2", "KLOW", "KLOW2", "KSFT", "KSFT2")
RATIOS = ("OPEN0", "HIGH0", "LOW0", "VWAP0")
OPERATORS = ("ROC", "MA", "STD", "BETA", "RSQR", "RESI", "MAX", "MIN", "QTLU", "QTLD", "RANK", "RSV",
             "IMAX", "IMIN", "IMXD", "CORR", "CORD", "CNTP", "CNTN", "CNTD", "SUMP", "SUMN", "SUMD",
             "VMA", "VSTD", "WVMA", "VSUMP", "VSUMN", "VSUMD")
CLOSE_ONLY = ("ROC", "MA", "STD", "BETA", "RSQR", "RESI", "QTLU", "QTLD", "RANK",
              "CNTP", "CNTN", "CNTD", "SUMP", "SUMN", "SUMD")
# Operators over a one-day change (Ref($close, 1)) or Ref($close, d): their window is d + 1 days.
ONE_MORE_DAY = {"ROC", "CORD", "CNTP", "CNTN", "CNTD", "SUMP", "SUMN", "SUMD", "WVMA", "VSUMP", "VSUMN", "VSUMD"}
EPS = 1e-12


def _ohlcv(n_days: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Three tickers: two random walks of different scale and one on a coarse grid (many ties)."""
    rng = np.random.default_rng(seed)
    walk = np.exp(np.cumsum(rng.normal(0, 0.02, (n_days, 2)), axis=0)) * [50.0, 3.0]
    grid = rng.integers(8, 13, (n_days, 1)).astype(float)
    close = np.hstack([walk, grid])
    open_ = np.hstack([walk * np.exp(rng.normal(0, 0.01, walk.shape)), rng.integers(8, 13, (n_days, 1))])
    high = np.maximum(open_, close) + np.hstack([np.abs(rng.normal(0, 0.3, walk.shape)), rng.integers(0, 2, (n_days, 1))])
    low = np.minimum(open_, close) - np.hstack([np.abs(rng.normal(0, 0.03, walk.shape)), rng.integers(0, 2, (n_days, 1))])
    volume = np.hstack([rng.integers(10**5, 10**6, walk.shape), rng.integers(1, 4, (n_days, 1))]).astype(float)
    index = pd.bdate_range("2024-01-01", periods=n_days)
    return {name: pd.DataFrame(values, index=index, columns=["A", "B", "C"])
            for name, values in {"close": close, "open": open_, "high": high, "low": low, "volume": volume}.items()}


def _panel(fields, **options):
    return build_panel(fields, origin="toy", min_history=2, **options)


def _reference(name: str, f: dict, t: int) -> float:
    """Qlib's Alpha158 expression ``name`` for one ticker at day t (NaN when its window is not there)."""
    c, o, h, lo, v = f["close"], f["open"], f["high"], f["low"], f["volume"]
    if name in KBAR:
        return {
            "KMID": (c[t] - o[t]) / o[t],
            "KLEN": (h[t] - lo[t]) / o[t],
            "KMID2": (c[t] - o[t]) / (h[t] - lo[t] + EPS),
            "KUP": (h[t] - max(o[t], c[t])) / o[t],
            "KUP2": (h[t] - max(o[t], c[t])) / (h[t] - lo[t] + EPS),
            "KLOW": (min(o[t], c[t]) - lo[t]) / o[t],
            "KLOW2": (min(o[t], c[t]) - lo[t]) / (h[t] - lo[t] + EPS),
            "KSFT": (2 * c[t] - h[t] - lo[t]) / o[t],
            "KSFT2": (2 * c[t] - h[t] - lo[t]) / (h[t] - lo[t] + EPS),
        }[name]
    if name in RATIOS:
        field = {"OPEN0": o, "HIGH0": h, "LOW0": lo, "VWAP0": (h + lo + c) / 3}[name]
        return field[t] / c[t]
    family, d = name.rstrip("0123456789"), int(name[len(name.rstrip("0123456789")):])
    if t - d + 1 - (family in ONE_MORE_DAY) < 0:
        return np.nan
    w = slice(t - d + 1, t + 1)  # the d days ending at t
    p = slice(t - d, t)  # the day before each of them: Ref(., 1)
    time = np.arange(1, d + 1)

    def fit(y):
        slope, intercept = np.polyfit(time, y, 1)
        return slope, intercept

    def corr(a, b):
        if statistics.stdev(a) <= 2e-5 or statistics.stdev(b) <= 2e-5:
            return np.nan
        return np.corrcoef(a, b)[0, 1]

    def shares(x):
        change = x[w] - x[p]
        up, down = np.maximum(change, 0).sum(), np.maximum(-change, 0).sum()
        return up / (np.abs(change).sum() + EPS), down / (np.abs(change).sum() + EPS), (up - down) / (
            np.abs(change).sum() + EPS)

    def weighted_move():
        return np.abs(c[w] / c[p] - 1) * v[w]

    formulas = {
        "ROC": lambda: c[t - d] / c[t],
        "MA": lambda: np.mean(c[w]) / c[t],
        "STD": lambda: statistics.stdev(c[w]) / c[t],
        "BETA": lambda: fit(c[w])[0] / c[t],
        "RSQR": lambda: np.corrcoef(time, c[w])[0, 1] ** 2 if statistics.stdev(c[w]) > 2e-5 else np.nan,
        "RESI": lambda: (c[t] - (fit(c[w])[0] * d + fit(c[w])[1])) / c[t],
        "MAX": lambda: max(h[w]) / c[t],
        "MIN": lambda: min(lo[w]) / c[t],
        "QTLU": lambda: np.quantile(c[w], 0.8) / c[t],
        "QTLD": lambda: np.quantile(c[w], 0.2) / c[t],
        "RANK": lambda: percentileofscore(c[w], c[t], kind="rank") / 100,
        "RSV": lambda: (c[t] - min(lo[w])) / (max(h[w]) - min(lo[w]) + EPS),
        "IMAX": lambda: (np.argmax(h[w]) + 1) / d,
        "IMIN": lambda: (np.argmin(lo[w]) + 1) / d,
        "IMXD": lambda: ((np.argmax(h[w]) + 1) - (np.argmin(lo[w]) + 1)) / d,
        "CORR": lambda: corr(c[w], np.log(v[w] + 1)),
        "CORD": lambda: corr(c[w] / c[p], np.log(v[w] / v[p] + 1)),
        "CNTP": lambda: np.mean(c[w] > c[p]),
        "CNTN": lambda: np.mean(c[w] < c[p]),
        "CNTD": lambda: np.mean(c[w] > c[p]) - np.mean(c[w] < c[p]),
        "SUMP": lambda: shares(c)[0],
        "SUMN": lambda: shares(c)[1],
        "SUMD": lambda: shares(c)[2],
        "VMA": lambda: np.mean(v[w]) / (v[t] + EPS),
        "VSTD": lambda: statistics.stdev(v[w]) / (v[t] + EPS),
        "WVMA": lambda: statistics.stdev(weighted_move()) / (np.mean(weighted_move()) + EPS),
        "VSUMP": lambda: shares(v)[0],
        "VSUMN": lambda: shares(v)[1],
        "VSUMD": lambda: shares(v)[2],
    }
    return formulas[family]()


def _span(name: str) -> int:
    """Days of the window behind an Alpha158 factor (1 for the one-day factors)."""
    if name in KBAR or name in RATIOS:
        return 1
    family = name.rstrip("0123456789")
    return int(name[len(family):]) + (family in ONE_MORE_DAY)


@pytest.fixture(scope="module")
def fields():
    return _ohlcv(75)


@pytest.fixture(scope="module")
def full158(fields):
    return alpha158(_panel(fields))


def test_alpha158_names_order_and_warmup(full158):
    expected = [*KBAR, *RATIOS, *(f"{op}{d}" for op in OPERATORS for d in ALPHA158_WINDOWS)]
    assert list(full158.frames) == expected and len(expected) == 158
    assert full158.missing == () and full158.warmup == 61
    complete = np.all([np.isfinite(frame.to_numpy()).all(axis=1) for frame in full158.frames.values()], axis=0)
    assert not complete[:60].any() and complete[60:].all()  # day index warmup - 1 is the first complete one
    frame = full158.frames["ROC5"]
    assert frame.dtypes.eq(np.float32).all() and frame.index.equals(_ohlcv(75)["close"].index)


@pytest.mark.parametrize("family", ["KBAR", "RATIOS", *OPERATORS])
def test_every_family_follows_qlibs_formula(family, fields, full158):
    names = {"KBAR": KBAR, "RATIOS": RATIOS}.get(family, [f"{family}{d}" for d in ALPHA158_WINDOWS])
    arrays = {name: frame.to_numpy() for name, frame in fields.items()}
    n_days = len(fields["close"])
    for name in names:
        expected = np.array([[_reference(name, {k: a[:, j] for k, a in arrays.items()}, t) for j in range(3)]
                             for t in range(n_days)])
        assert np.isfinite(expected[-1]).all()
        np.testing.assert_allclose(full158.frames[name].to_numpy(), expected, rtol=2e-6, atol=1e-7, err_msg=name)


def test_hand_computed_values():
    """Six days of one ticker, values worked out on paper."""
    index = pd.bdate_range("2024-01-01", periods=6)
    frame = {
        "close": [5.0, 2.0, 4.0, 3.0, 7.0, 9.0],
        "open": [5.0, 2.0, 4.0, 3.0, 7.0, 10.0],
        "high": [6.0, 5.0, 9.0, 7.0, 9.0, 12.0],  # window of the last 5: 5, 9, 7, 9, 12
        "low": [4.0, 1.0, 3.0, 1.0, 6.0, 9.0],  # last 5: 1, 3, 1, 6, 9
        "volume": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    }
    factors = alpha158(_panel({k: pd.DataFrame({"A": v}, index=index) for k, v in frame.items()}))
    last = {name: float(f["A"].iloc[-1]) for name, f in factors.frames.items()}
    expected = {
        # the day: open 10, high 12, low 9, close 9
        "KMID": -0.1, "KLEN": 0.3, "KMID2": -1 / 3, "KUP": 0.2, "KUP2": 2 / 3, "KLOW": 0.0, "KLOW2": 0.0,
        "KSFT": -0.3, "KSFT2": -1.0, "OPEN0": 10 / 9, "HIGH0": 12 / 9, "LOW0": 1.0, "VWAP0": 10 / 9,
        "ROC5": 5 / 9, "MA5": 5 / 9, "MAX5": 12 / 9, "MIN5": 1 / 9,
        # closes 2, 4, 3, 7, 9 on time -2..2: slope 17/10, mean 5, fit today 5 + 1.7 * 2 = 8.4
        "BETA5": 1.7 / 9, "RESI5": 0.6 / 9, "RSQR5": 17**2 / (10 * 34),
        # sorted 2, 3, 4, 7, 9: 0.8 -> 7 + 0.2 * (9 - 7), 0.2 -> 2 + 0.8 * (3 - 2)
        "QTLU5": 7.4 / 9, "QTLD5": 2.8 / 9, "RANK5": 1.0,
        "RSV5": (9 - 1) / (12 - 1),
        # highest high first on day 5 of the window (12); lowest low first on day 1 (1, again on day 3)
        "IMAX5": 1.0, "IMIN5": 0.2, "IMXD5": 0.8,
        # changes over the window: -3, 2, -1, 4, 2
        "CNTP5": 0.6, "CNTN5": 0.4, "CNTD5": 0.2, "SUMP5": 8 / 12, "SUMN5": 4 / 12, "SUMD5": 4 / 12,
        "VMA5": 4 / 6, "VSTD5": np.sqrt(2.5) / 6, "VSUMP5": 1.0, "VSUMN5": 0.0, "VSUMD5": 1.0,
    }
    for name, value in expected.items():
        assert last[name] == pytest.approx(value, rel=1e-6, abs=1e-7), name
    assert np.isnan(factors.frames["ROC5"]["A"].iloc[-2]) and np.isnan(factors.frames["MA5"]["A"].iloc[-3])


def test_idxmax_rank_and_ties_by_hand():
    """Ties: IdxMax takes the oldest of equal highs; Rank averages the ranks of equal closes."""
    index = pd.bdate_range("2024-01-01", periods=5)
    close = [1.0, 2.0, 2.0, 3.0, 2.0]  # today 2: one below, three equal -> (1 + 2) / 5
    high = [4.0, 9.0, 6.0, 9.0, 5.0]  # the first 9 is day 2 of the window
    low = [0.5, 1.5, 0.5, 2.5, 1.5]  # the first 0.5 is day 1
    fields = {"close": close, "open": close, "high": high, "low": low, "volume": [1.0] * 5}
    factors = alpha158(_panel({k: pd.DataFrame({"A": v}, index=index) for k, v in fields.items()}))
    last = {name: float(f["A"].iloc[-1]) for name, f in factors.frames.items() if name.endswith("5")}
    assert last["RANK5"] == pytest.approx(0.6)
    assert last["IMAX5"] == pytest.approx(0.4) and last["IMIN5"] == pytest.approx(0.2)
    assert last["IMXD5"] == pytest.approx(0.2)
    assert np.isnan(last["CORR5"])  # a flat volume has no correlation (Qlib: std below 2e-5)


def test_qlib_flat_guards():
    """Rsquare and Corr are NaN where a window's std is at most 2e-5, though not zero (Qlib's isclose)."""
    index = pd.bdate_range("2024-01-01", periods=6)
    close = 10 + np.array([0.0, 1.0, 3.0, 2.0, 4.0, 5.0]) * 1e-6
    volume = 1e6 + np.array([0.0, 1.0, 0.0, 1.0, 2.0, 1.0])  # log(volume + 1) moves by ~1e-6
    fields = {"close": close, "open": close, "high": close + 1, "low": close - 1, "volume": volume}
    factors = alpha158(_panel({k: pd.DataFrame({"A": v}, index=index) for k, v in fields.items()}))
    last = {name: float(f["A"].iloc[-1]) for name, f in factors.frames.items()}
    assert np.isnan(last["RSQR5"]) and np.isnan(last["CORR5"])
    assert np.isfinite(last["BETA5"]) and np.isfinite(last["STD5"]) and np.isfinite(last["VSTD5"])


def test_alpha360_values_and_time_major_order(fields):
    factors = alpha360(_panel(fields))
    channels = [c.upper() for c in ALPHA360_CHANNELS]
    assert list(factors.frames) == [f"{c}{k}" for k in range(59, -1, -1) for c in channels]
    assert factors.missing == () and factors.warmup == ALPHA360_DAYS == 60
    a = {name: frame.to_numpy() for name, frame in fields.items()}
    a["vwap"] = (a["high"] + a["low"] + a["close"]) / 3
    cube = np.stack([frame.to_numpy() for frame in factors.frames.values()], axis=-1)
    assert np.isnan(cube[:59]).all() and np.isfinite(cube[59:]).all()
    for t in (59, 74):
        for j in range(3):
            day = cube[t, j].reshape(60, 6)
            assert day[-1, 0] == 1.0
            for row in range(60):
                past = t - 59 + row
                expected = [a[c][past, j] / a["close"][t, j] for c in ALPHA360_CHANNELS[:5]]
                expected.append(a["volume"][past, j] / (a["volume"][t, j] + EPS))
                np.testing.assert_allclose(day[row], expected, rtol=1e-6)


def test_close_only_panel_gives_the_close_factors_and_names_the_rest(fields):
    panel = _panel({"close": fields["close"]})
    factors = alpha158(panel)
    assert list(factors.frames) == [f"{op}{d}" for op in CLOSE_ONLY for d in ALPHA158_WINDOWS]
    assert len(factors.frames) == 75 and factors.warmup == 61
    assert factors.missing == (
        "KBAR (no open, high, low)", "OPEN0 (no open)", "HIGH0 (no high)", "LOW0 (no low)", "VWAP0 (no high, low)",
        "MAX (no high)", "MIN (no low)", "RSV (no high, low)", "IMAX (no high)", "IMIN (no low)",
        "IMXD (no high, low)", "CORR (no volume)", "CORD (no volume)", "VMA (no volume)", "VSTD (no volume)",
        "WVMA (no volume)", "VSUMP (no volume)", "VSUMN (no volume)", "VSUMD (no volume)",
    )
    full = alpha158(_panel(fields))
    for name, frame in factors.frames.items():
        np.testing.assert_array_equal(frame.to_numpy(), full.frames[name].to_numpy())

    sequence = alpha360(panel)
    assert list(sequence.frames) == [f"CLOSE{k}" for k in range(59, -1, -1)]
    assert sequence.missing == ("OPEN (no open)", "HIGH (no high)", "LOW (no low)", "VWAP (no high, low)",
                                "VOLUME (no volume)")


def test_high_and_low_without_open_or_volume(fields):
    factors = alpha158(_panel({name: fields[name] for name in ("close", "high", "low")}))
    assert factors.missing[:2] == ("KBAR (no open)", "OPEN0 (no open)")
    assert {"HIGH0", "LOW0", "VWAP0", "MAX60", "RSV5", "IMXD30"} <= set(factors.frames)
    assert len(factors.frames) == 3 + 5 * (15 + 6)
    sequence = alpha360(_panel({name: fields[name] for name in ("close", "high", "low")}))
    assert list(sequence.frames)[:4] == ["CLOSE59", "HIGH59", "LOW59", "VWAP59"] and len(sequence.frames) == 240


@pytest.mark.parametrize("library", FACTOR_SETS)
def test_factors_are_causal(library, fields):
    """Rewriting every field after day t changes no factor at or before t."""
    before = factor_library(library, _panel(fields))
    rng = np.random.default_rng(3)
    for t in (5, 40, 61, 73):
        rewritten = {}
        for name, frame in fields.items():
            frame = frame.copy()
            frame.iloc[t + 1:] = rng.lognormal(3, 1, frame.iloc[t + 1:].shape)
            rewritten[name] = frame
        after = factor_library(library, _panel(rewritten))
        changed = 0
        for name, frame in before.frames.items():
            np.testing.assert_array_equal(after.frames[name].to_numpy()[: t + 1], frame.to_numpy()[: t + 1],
                                          err_msg=f"{name} at t={t}")
            changed += not np.array_equal(after.frames[name].to_numpy()[t + 1:], frame.to_numpy()[t + 1:], equal_nan=True)
        assert changed > len(before.frames) / 2  # the rewrite did reach the factors after t


@pytest.mark.parametrize("library", FACTOR_SETS)
def test_a_one_day_hole_blanks_every_window_that_holds_it(library):
    fields = _ohlcv(150, seed=5)
    hole = 70
    holed = {name: frame.copy() for name, frame in fields.items()}
    for frame in holed.values():
        frame.iloc[hole, 0] = np.nan
    clean = factor_library(library, _panel(fields, max_ffill=0))
    factors = factor_library(library, _panel(holed, max_ffill=0))
    for name, frame in factors.frames.items():
        span = _span(name) if library == "alpha158" else ALPHA360_DAYS
        values, reference = frame.to_numpy(), clean.frames[name].to_numpy()
        assert np.isnan(values[hole : hole + span, 0]).all(), name
        assert np.isfinite(values[hole + span :, 0]).all(), name  # back once the window is clear
        np.testing.assert_allclose(values[hole + span :, 0], reference[hole + span :, 0], rtol=1e-6, err_msg=name)
        np.testing.assert_array_equal(values[:hole], reference[:hole], err_msg=name)
        np.testing.assert_array_equal(values[:, 1:], reference[:, 1:], err_msg=name)  # other tickers untouched


def test_a_late_listing_waits_for_its_whole_window(fields):
    listed = {name: frame.copy() for name, frame in fields.items()}
    for frame in listed.values():
        frame.iloc[:10, 1] = np.nan
    factors = alpha158(_panel(listed))
    for name, frame in factors.frames.items():
        first = int(np.argmax(np.isfinite(frame["B"].to_numpy())))
        assert first == 10 + _span(name) - 1, name


def test_non_finite_values_become_nan(fields):
    """A zero volume after a positive one makes Log($volume / Ref($volume, 1) + 1) infinite."""
    fields = {name: frame.copy() for name, frame in fields.items()}
    fields["volume"].iloc[30, 0] = 0.0
    factors = alpha158(_panel(fields))
    for name, frame in factors.frames.items():
        assert not np.isinf(frame.to_numpy()).any(), name
    cord = factors.frames["CORD5"]["A"].to_numpy()
    assert np.isnan(cord[31:36]).all() and np.isfinite(cord[36:]).all()  # Ref($volume, 1) = 0 on day 31


def test_factor_library_dispatches_and_names_the_choices(fields):
    panel = _panel(fields)
    assert list(factor_library("alpha158", panel).frames) == list(alpha158(panel).frames)
    with pytest.raises(ValueError, match="alpha158, alpha360"):
        factor_library("alpha101", panel)
