"""``data summary`` counts what training counts and names what never counts."""

import numpy as np
import pandas as pd

from stgnn.config import LabelConfig
from stgnn.data.panel import build_panel
from stgnn.data.summary import SHOWN, summarize

DAYS = pd.bdate_range("2024-01-01", periods=40)


def _close(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns, index=DAYS[: len(next(iter(columns.values())))])


def test_class_counts_leave_out_a_carried_price():
    """B halts on day 2 (its price is carried): days 1 and 2 have no traded price at t and t + h, so
    they are no training rows, not a None on a return of 0 and an Up on the way back."""
    close = _close(A=[100.0, 100.0, 100.0, 100.0, 100.0], B=[50.0, 50.0, None, 51.0, 51.0])
    counts = summarize(build_panel({"close": close}, origin="toy", min_history=30), LabelConfig()).class_counts
    assert counts.tolist() == [0, 4 + 2, 0]  # A on days 0-3, B on days 0 and 3


def test_a_ticker_that_never_reaches_min_history_is_named_never_eligible():
    """Tickers listing inside the data with fewer than min_history prices stay in the panel; the
    summary names them with the min_history they miss, cut to a few unless verbose."""
    late = {f"L{i:02d}": [None] * 30 + [10.0] * 10 for i in range(SHOWN + 2)}
    panel = build_panel({"close": _close(A=list(np.linspace(100, 110, 40)), **late)}, origin="toy", min_history=30)
    summary = summarize(panel, LabelConfig())
    assert summary.tickers == ["A", *late] and summary.never_eligible == list(late)
    short = "\n".join(summary.lines())
    assert ("history    never eligible 12 (kept; listed inside the data, never reach min_history=30 prices): "
            "L00, L01,") in short and "L09, ... (+2; -v lists all)" in short
    assert "L10, L11" in summary.lines(verbose=True)[2]
    assert summary.class_counts.sum() == 39  # A only


def test_no_label_at_all_is_said_not_divided_by():
    panel = build_panel({"close": _close(A=[100.0, 101.0])}, origin="toy", min_history=30)
    lines = summarize(panel, LabelConfig(horizon=5)).lines()
    assert lines[-1] == "classes    none: no eligible ticker-day has a label  [0 labelled]"
    assert "history    never eligible none (min_history=30)" in lines  # the panel keeps its rule
