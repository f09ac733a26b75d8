import logging
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from stgnn.data.panel import Absence, Dropped, build_panel
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


def test_a_long_gap_is_filled_for_max_ffill_days_then_absent_and_filled_days_are_not_traded():
    """Causal: on each day of a gap, filling does not depend on whether the ticker comes back."""
    close = _close(A=[1.0, None, None, None, 1.2, None, 1.4, 1.5])
    panel = build_panel({"close": close}, origin="toy", max_ffill=2, min_history=2)
    assert panel.tickers == ["A", "B"] and panel.dropped == ()
    np.testing.assert_array_equal(panel.close["A"], [1.0, 1.0, 1.0, np.nan, 1.2, 1.2, 1.4, 1.5])
    assert panel.present["A"].tolist() == [True, True, True, False, True, True, True, True]
    assert panel.traded["A"].tolist() == [True, False, False, False, True, False, True, True]
    assert panel.absences == (Absence("A", 1, holes=1, longest_hole=1),)


def test_filling_a_day_reads_no_later_day():
    before = _close(A=[1.0, 1.1, None, None, None, None, None, None])
    after = _close(A=[1.0, 1.1, None, None, None, None, 1.3, 1.4])  # the same past, a return later
    a, b = (build_panel({"close": c}, origin="toy", max_ffill=2, min_history=2) for c in (before, after))
    pd.testing.assert_frame_equal(a.close.iloc[:6], b.close.iloc[:6])
    pd.testing.assert_frame_equal(a.traded.iloc[:6], b.traded.iloc[:6])


def test_a_short_history_keeps_the_ticker_never_eligible_with_a_warning(caplog):
    close = _close(A=[None] * 5 + [1.0, 1.1, 1.2])
    with caplog.at_level(logging.WARNING, logger="stgnn.data.panel"):
        panel = build_panel({"close": close}, origin="toy", min_history=5)
    assert panel.tickers == ["A", "B"] and panel.dropped == ()
    assert panel.never_seasoned == ["A"] and not panel.eligible["A"].any()
    assert "1 ticker(s) never reach min_history=5 days of prices and are never eligible: A" in caplog.text


def test_a_ticker_is_eligible_from_its_min_history_th_price_whatever_comes_later():
    """Counted causally: a gap counts no price, and a delisting later changes no earlier day."""
    short = _close(A=[None, 1.0, 1.1, None, 1.2, 1.3, None, None])
    longer = _close(A=[None, 1.0, 1.1, None, 1.2, 1.3, 1.4, 1.5])
    a, b = (build_panel({"close": c}, origin="toy", max_ffill=1, min_history=4) for c in (short, longer))
    assert a.eligible["A"].tolist() == [False] * 5 + [True, True, False]  # the carried day 6 is present
    pd.testing.assert_frame_equal(a.eligible.iloc[:6], b.eligible.iloc[:6])
    assert a.never_seasoned == b.never_seasoned == []


def test_listing_mid_way_keeps_the_calendar_and_the_ticker():
    close = _close(A=[None, None, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5])
    panel = build_panel({"close": close}, origin="toy", min_history=2)
    assert panel.dates.equals(pd.DatetimeIndex(DATES, name="date")) and panel.dropped == ()
    assert panel.close["A"].isna().tolist() == [True, True] + [False] * 6
    assert panel.absences == (Absence("A", 2, first=pd.Timestamp(DATES[2])),)


def test_delisting_is_kept_carried_for_max_ffill_days_then_absent():
    close = _close(A=[1.0, 1.1, 1.2, 1.3, 1.4, 1.5, None, None])
    panel = build_panel({"close": close}, origin="toy", max_ffill=1, min_history=2)
    assert panel.tickers == ["A", "B"] and panel.dropped == ()
    assert panel.close["A"].isna().tolist() == [False] * 7 + [True]
    assert panel.traded["A"].tolist() == [True] * 6 + [False, False]
    assert panel.absences == (Absence("A", 1, last=pd.Timestamp(DATES[6])),)
    assert "last price 2024-01-09" in panel.absences[0].line()


def test_ragged_tickers_keep_every_date_of_the_union():
    """Listing, delisting, long hole and a too-short ticker together: all stay, the short one never eligible."""
    close = pd.DataFrame(
        {"LIST": [None] * 3 + [1.0] * 5, "DELIST": [1.0] * 5 + [None] * 3,
         "HOLE": [1.0, 1.0, None, None, None, 1.0, 1.0, 1.0], "TINY": [None] * 6 + [1.0, 1.0]},
        index=DATES,
    )
    panel = build_panel({"close": close}, origin="toy", max_ffill=2, min_history=3)
    assert len(panel.dates) == 8 and panel.tickers == ["LIST", "DELIST", "HOLE", "TINY"]
    assert panel.dropped == () and panel.never_seasoned == ["TINY"]
    assert int(panel.present.to_numpy().sum()) == 5 + (5 + 2) + (5 + 2) + 2  # two filled days after a price
    assert [a.ticker for a in panel.absences] == ["LIST", "DELIST", "HOLE", "TINY"]


def test_dates_on_which_no_ticker_trades_are_dropped():
    close = _close(A=[None, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], B=[None, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    panel = build_panel({"close": close}, origin="toy", min_history=2)
    assert panel.dates[0] == pd.Timestamp(DATES[1])
    assert panel.dropped == (Dropped("1 date", "no ticker has a price on them"),)


def test_optional_field_follows_close_presence():
    close = _close(A=[None, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    volume = _close(A=[5.0] * 8, B=[7.0, None, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0])
    panel = build_panel({"close": close, "volume": volume}, origin="toy", min_history=2)
    assert panel.volume["A"].isna().tolist() == [True] + [False] * 7  # masked where close is absent
    assert panel.volume["B"].tolist() == [7.0] * 8  # its one-day gap filled like close's
    assert panel.volume.notna().equals(panel.present)


def test_optional_field_missing_where_close_has_a_price_is_ignored(caplog):
    volume = _close(A=[5.0] * 7 + [None])
    with caplog.at_level(logging.WARNING, logger="stgnn.data.panel"):
        panel = build_panel({"close": _close(), "volume": volume}, origin="toy", min_history=2, max_ffill=0)
    assert not panel.has("volume")
    assert panel.dropped == (Dropped("field volume", "missing where close has a price, for A"),)
    assert "Ignoring volume" in caplog.text


def test_select_keeps_member_aligned():
    close = _close(A=[None, None, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5])
    member = pd.DataFrame(True, index=pd.DatetimeIndex(DATES, name="date"), columns=["A", "B"])
    member.iloc[:4, 1] = False
    panel = replace(build_panel({"close": close}, origin="toy", min_history=2), member=member)
    part = panel.select(tickers=["b"], start=DATES[2], end=DATES[5])
    assert part.member.index.equals(part.close.index) and part.member.columns.tolist() == ["B"]
    assert part.eligible["B"].tolist() == [False, False, True, True]
    with pytest.raises(DataError, match="No prices of A between 2024-01-01 and 2024-01-02 in toy"):
        panel.select(tickers=["A"], end=DATES[1])


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


def test_tickers_priced_on_the_first_day_are_seasoned_however_short_the_panel():
    """Their history lies before the data: min_history screens listings inside it only."""
    panel = build_panel({"close": _close()}, origin="toy", min_history=30)
    assert panel.eligible.to_numpy().all() and panel.never_seasoned == []
