"""One formatter for each kind of number: signs, decimals, no negative zero, counts with separators."""

import pytest

from stgnn.formats import count, interval, kind_of, metric, per_year, percent, ratio


def test_each_kind_has_its_sign_and_decimals():
    assert (metric(0.41379), metric(-0.0345), metric(0.0)) == ("+0.4138", "-0.0345", "0.0000")
    assert (ratio(-1.5449), ratio(0.864)) == ("-1.54", "+0.86")
    assert (percent(-0.2374), per_year(-0.2374), percent(0.2)) == ("-23.7%", "-23.7%/yr", "+20.0%")
    assert (count(1240), count(0), count(0.0), count(1234567.0)) == ("1,240", "0", "0", "1,234,567")


@pytest.mark.parametrize("value, expected", [(-0.0000412, "-0.004%/yr"), (0.0000412, "+0.004%/yr"),
                                             (-0.0, "0.0%/yr"), (-1e-15, "0.0%/yr")])
def test_a_figure_that_rounds_to_zero_shows_its_first_digit_never_minus_zero(value, expected):
    assert per_year(value) == expected
    assert "-0.0%" not in per_year(value) and metric(-0.00004) == "-0.00004"


def test_intervals_take_their_points_format_and_missing_numbers_read_na():
    assert interval(-0.0345, -0.0618, -0.0131) == "-0.0345 [-0.0618, -0.0131]"
    assert interval(-1.54, -3.08, 0.01, ratio) == "-1.54 [-3.08, +0.01]"
    assert interval(0.1, None, 0.2) == "n/a" and metric(float("nan")) == "n/a" and count(None) == "n/a"


def test_metrics_json_keys_pick_their_kind():
    assert kind_of("n_calls") is count and kind_of("alpha_annual") is per_year and kind_of("alpha") is per_year
    assert kind_of("max_drawdown") is percent and kind_of("sharpe") is ratio and kind_of("rank_ic") is metric
