"""The studies' shared figure: each row's estimate and paired differences, with intervals."""

import numpy as np
import pandas as pd
import pytest

from stgnn.research.signal_study import FIGURE_PANELS, row_names
from stgnn.research.studies import forest_figure


def _table():
    rows = [("basic", "threshold", 1, "stgnn"), ("basic", "threshold", 1, "lightgbm"),
            ("alpha158", "quantile", 5, "momentum")]
    table = pd.DataFrame(rows, columns=["features", "labels", "horizon", "model"])
    for column in FIGURE_PANELS.values():
        table[column] = [0.01, -0.002, np.nan]  # a reference row has no difference from itself
        table[f"{column}_lo"], table[f"{column}_hi"] = table[column] - 0.01, table[column] + 0.01
    return table


def test_signal_rows_are_named_and_drawn_with_every_panel(tmp_path):
    table = _table()
    assert row_names(table).tolist() == ["basic/threshold/h1/stgnn", "basic/threshold/h1/lightgbm",
                                         "alpha158/quantile/h5/momentum"]
    path = forest_figure(table, tmp_path / "results.png", rows=row_names(table), panels=FIGURE_PANELS, title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and [p.name for p in tmp_path.iterdir()] == ["results.png"]


def test_a_panel_without_its_bounds_is_refused(tmp_path):
    table = _table().drop(columns="d_rank_ic_lightgbm_hi")
    with pytest.raises(KeyError, match="d_rank_ic_lightgbm_hi"):
        forest_figure(table, tmp_path / "results.png", rows=row_names(table), panels=FIGURE_PANELS, title="t")
