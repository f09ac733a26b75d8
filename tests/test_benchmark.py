"""The benchmark's cases run and report (their numbers are facts about a machine, never asserted)."""

import pytest

from stgnn.benchmark import run_case, synthetic_config

pytestmark = pytest.mark.slow


def test_fold_case_reports_time_and_memory():
    row = run_case("fold", synthetic_config(10, n_days=1100, epochs=1))
    assert row["n_tickers"] == 10 and row["fold_seconds"] > 0 and row["peak_rss_mb"] > 0


def test_each_real_window_passes_the_encoder_once_per_epoch():
    row = run_case("encoder_passes", synthetic_config(10, n_days=1100, epochs=1))
    assert row["passes_per_real_window"] == 1.0
