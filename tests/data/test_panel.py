import logging

import numpy as np
import pandas as pd
import pytest

from stgnn.data.panel import build_panel
from stgnn.errors import DataError

DATES = [d.date().isoformat() for d in pd.bdate_range("2024-01-01", periods=8)]


def _close(**columns) -> pd.DataFrame:
    """Closes of a few tickers on eight business days; missing columns are filled with 1.0."""
    base = {"A": [1.0] * 8, "B": [2.0] * 8}
    return pd.DataFrame({**base, **columns}, index=DATES)


def test_valid_panel_is_sorted_and_dated():
    close = _close()[::-1]
    panel = build_panel({"close": close}, origin="toy", min_history=2)
    assert panel.tickers == ["A", "B"]
    assert panel.dates.is_monotonic_increasing and panel.close.index.name == "date"
    assert panel.source == "toy" and panel.dropped == ()


def test_short_gap_is_forward_filled_up_to_max_ffill():
    close = _close(A=[1.0, 1.1, None, None, 1.2, 1.3, 1.4, 1.5])
    panel = build_panel({"close": close}, origin="toy", max_ffill=2, min_history=2)
    assert panel.close["A"].tolist()[:5] == [1.0, 1.1, 1.1, 1.1, 1.2]
    assert not panel.close.isna().any().any()


def test_longer_gap_drops_ticker_with_warning(caplog):
    close = _close(A=[1.0, None, None, None, 1.2, 1.3, 1.4, 1.5])
    with caplog.at_level(logging.WARNING, logger="stgnn.data.panel"):
        panel = build_panel({"close": close}, origin="toy", max_ffill=2, min_history=2)
    assert panel.tickers == ["B"]
    assert "Dropping A: a gap of 3 missing days, longer than max_ffill=2" in caplog.text
    assert [d.what for d in panel.dropped] == ["A"]


def test_short_history_drops_ticker_with_warning(caplog):
    close = _close(A=[None] * 5 + [1.0, 1.1, 1.2])
    with caplog.at_level(logging.WARNING, logger="stgnn.data.panel"):
        panel = build_panel({"close": close}, origin="toy", min_history=5)
    assert panel.tickers == ["B"]
    assert "Dropping A: 3 days of prices, fewer than min_history=5" in caplog.text
    assert panel.dropped[0].what == "A"


def test_rows_before_a_late_start_are_trimmed():
    close = _close(A=[None, None, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5])
    panel = build_panel({"close": close}, origin="toy", min_history=2)
    assert panel.dates[0] == pd.Timestamp(DATES[2])
    assert panel.dropped[0].what == "2 rows"


@pytest.mark.parametrize(
    ("close", "match"),
    [
        (_close().rename(index={DATES[1]: DATES[0]}), f"toy: duplicate date {DATES[0]}"),
        (_close().rename(index={DATES[3]: "2024-13-45"}), "toy: unparsable date '2024-13-45'"),
        (_close(B=[2.0, "n/a", 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]), f"close of B on {DATES[1]} is 'n/a', not a number"),
        (_close(A=[1.0, 1.0, np.inf, 1.0, 1.0, 1.0, 1.0, 1.0]), f"close of A on {DATES[2]} is not finite"),
        (_close(A=[1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0]), rf"close of A on {DATES[3]} is 0 \(not positive\)"),
        (_close(A=[1.0, 1.0, 1.0, -3.5, 1.0, 1.0, 1.0, 1.0]), rf"close of A on {DATES[3]} is -3.5 \(not positive\)"),
        (_close().rename(columns={"B": " a"}), "toy: ticker A appears twice"),
    ],
    ids=["duplicate-date", "unparsable-date", "non-numeric", "non-finite", "zero", "negative", "duplicate-ticker"],
)
def test_invalid_close_is_refused_naming_origin_ticker_and_date(close, match):
    with pytest.raises(DataError, match=match):
        build_panel({"close": close}, origin="toy", min_history=2)


def test_negative_volume_is_refused():
    volume = _close(A=[10.0, 10.0, -1.0, 10.0, 10.0, 10.0, 10.0, 10.0])
    with pytest.raises(DataError, match=rf"volume of A on {DATES[2]} is -1 \(negative\)"):
        build_panel({"close": _close(), "volume": volume}, origin="toy", min_history=2)


def test_zero_volume_is_allowed():
    volume = _close(A=[0.0] * 8)
    panel = build_panel({"close": _close(), "volume": volume}, origin="toy", min_history=2)
    assert panel.volume["A"].sum() == 0


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"open": _close()}, "toy: no close prices"),
        ({"close": _close(), "vwap": _close()}, r"toy: unknown field\(s\) \['vwap'\]"),
        ({"close": pd.DataFrame()}, "toy: no price rows"),
    ],
    ids=["no-close", "unknown-field", "empty"],
)
def test_malformed_fields_are_refused(fields, match):
    with pytest.raises(DataError, match=match):
        build_panel(fields, origin="toy", min_history=2)


def test_no_ticker_left_names_each_reason():
    with pytest.raises(DataError, match="toy: no ticker left after validation .*A: 8 days.*B: 8 days"):
        build_panel({"close": _close()}, origin="toy", min_history=30)
