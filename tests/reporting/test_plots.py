import base64
import warnings

import numpy as np
import pandas as pd
import pytest

from stgnn.classes import DOWN, NONE, UP
from stgnn.reporting.plots import (
    PNG_SIGNATURE,
    plot_bar_with_ci,
    plot_confusion_matrix,
    plot_equity_curves,
    plot_forest,
    plot_ic_over_time,
    plot_metric_over_time,
    plot_metric_vs_param,
    plot_month_year_heatmap,
    plot_pr_curves,
    plot_quantile_returns,
    plot_training_curves,
    png_data_uri,
)


def assert_png(written, path):
    """``path`` is a real PNG, returned as written, alone in its folder (no temp file left)."""
    assert written == path
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 5_000
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def toy_scores(rng, n=60, classes=(DOWN, NONE, UP)):
    y = rng.choice(classes, size=n)
    proba = rng.dirichlet([1, 1, 1], size=n)
    return y, proba


def toy_history(n_epochs):
    return [{
        "epoch": e + 1, "lr": 1e-3, "train_loss": 1.0 / (e + 1), "val_loss": 1.1 / (e + 1),
        "train_loss_per_class": {"Down": 1.2 / (e + 1), "None": 0.8 / (e + 1), "Up": 1.1 / (e + 1)},
        "val": {"macro_f1": 0.3 + 0.02 * e, "auroc_mean": 0.55 + 0.01 * e,
                "recall_down": 0.2 + 0.03 * e, "recall_up": 0.25 + 0.02 * e, "mcc": 0.1},
    } for e in range(n_epochs)]


def toy_curves():
    dates = pd.bdate_range("2024-01-01", periods=40)
    rng = np.random.default_rng(0)
    return {name: pd.Series(np.cumprod(1 + rng.normal(0.001, 0.01, 40)), index=dates)
            for name in ("STGNN", "buy and hold", "momentum")}


METRIC_FRAME = pd.DataFrame({"macro_f1": [0.31, np.nan, 0.36, 0.33], "auroc_mean": [0.55, 0.57, np.nan, 0.56],
                             "ic": [np.nan] * 4}, index=pd.Index([1, 2, 3, 4], name="fold"))
SWEEP = pd.DataFrame({"gamma": [2.0, 0.0, 5.0, 1.0], "macro_f1": [0.35, 0.30, np.nan, 0.33],
                      "recall_down": [0.4, 0.2, 0.45, 0.3]})
ABLATION = pd.DataFrame({"variant": ["full", "no graph", "no SMOTE"], "sharpe": [1.2, -0.3, 0.8],
                         "lo": [0.5, -1.0, np.nan], "hi": [1.9, 0.4, np.nan]})
FOREST = pd.DataFrame({
    "metric": ["rank_ic", "rank_ic", "rank_ic", "macro_f1", "macro_f1"],  # lightgbm has no macro-F1 row
    "model": ["stgnn", "lightgbm", "momentum", "stgnn", "momentum"],
    "value": [0.01, 0.02, np.nan, 0.38, 0.36], "lo": [-0.01, 0.005, np.nan, 0.37, 0.35],
    "hi": [0.03, 0.04, np.nan, 0.39, 0.37]})

WRITERS = {
    "confusion": lambda p: plot_confusion_matrix([[50, 10, 5], [12, 80, 9], [4, 11, 40]], p),
    "counts": lambda p: plot_confusion_matrix(np.eye(3) * 7 + 1, p, normalize=False, title="Counts"),
    "pr": lambda p: plot_pr_curves(*toy_scores(np.random.default_rng(0)), p),
    "training": lambda p: plot_training_curves(toy_history(8), p, best_epoch=5),
    "equity": lambda p: plot_equity_curves(toy_curves(), p),
    "equity_log": lambda p: plot_equity_curves(toy_curves(), p, log=True, title="Log"),
    "over_time": lambda p: plot_metric_over_time(METRIC_FRAME, p, metrics=["macro_f1", "auroc_mean", "ic"]),
    "vs_param": lambda p: plot_metric_vs_param(SWEEP, p, param="gamma", metrics=["macro_f1", "recall_down"]),
    "bars": lambda p: plot_bar_with_ci(ABLATION, p, label="variant", value="sharpe", lo="lo", hi="hi"),
    "ic_over_time": lambda p: plot_ic_over_time({k: v.pct_change().dropna() for k, v in toy_curves().items()}, p,
                                                highlight="STGNN", window=10),
    "month_year": lambda p: plot_month_year_heatmap(pd.Series(np.linspace(-0.02, 0.03, 300),
                                                              index=pd.bdate_range("2023-11-20", periods=300)), p),
    "quantiles": lambda p: plot_quantile_returns(
        pd.DataFrame(np.random.default_rng(0).normal(0, 0.01, (50, 5)), index=pd.bdate_range("2024-01-01", periods=50),
                     columns=range(1, 6)),
        pd.DataFrame({"value": np.linspace(-1e-4, 1e-4, 5), "lo": -3e-4, "hi": 3e-4}, index=range(1, 6)), p,
        horizon=5),
    "forest": lambda p: plot_forest(FOREST, p, panel="metric", label="model", value="value", lo="lo", hi="hi",
                                    nulls={"rank_ic": 0.0, "macro_f1": None}),
}


@pytest.mark.parametrize("name", WRITERS)
def test_writes_one_png_and_no_temp_file(tmp_path, name):
    path = tmp_path / f"{name}.png"
    assert_png(WRITERS[name](path), path)


def test_accepts_str_path_creates_folder_and_overwrites(tmp_path):
    path = tmp_path / "sub" / "cm.png"
    path.parent.mkdir()
    path.write_bytes(b"old")
    plot_confusion_matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1]], str(path))
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    fresh = tmp_path / "new" / "cm.png"
    assert_png(plot_confusion_matrix(np.ones((3, 3)), fresh), fresh)


def test_confusion_matrix_with_an_empty_row(tmp_path):
    path = tmp_path / "cm.png"
    assert_png(plot_confusion_matrix([[0, 0, 0], [3, 5, 1], [0, 2, 4]], path), path)


@pytest.mark.parametrize("matrix, match", [
    (np.ones((2, 3)), r"shape \(3, 3\), got shape \(2, 3\)"),
    ([[1, -1, 0], [0, 1, 0], [0, 0, 1]], "non-negative"),
    ([[1, np.nan, 0], [0, 1, 0], [0, 0, 1]], "finite"),
])
def test_confusion_matrix_rejects_bad_counts(tmp_path, matrix, match):
    with pytest.raises(ValueError, match=match):
        plot_confusion_matrix(matrix, tmp_path / "cm.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("absent", [(DOWN,), (UP,), (DOWN, UP)])
def test_pr_curves_skip_an_absent_class_quietly(tmp_path, absent):
    present = [c for c in (DOWN, NONE, UP) if c not in absent]
    y, proba = toy_scores(np.random.default_rng(1), classes=present)
    path = tmp_path / "pr.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_png(plot_pr_curves(y, proba, path), path)


def test_pr_curves_reject_mismatched_inputs(tmp_path):
    y, proba = toy_scores(np.random.default_rng(2))
    with pytest.raises(ValueError, match="one length, got 59 and 60"):
        plot_pr_curves(y[:-1], proba, tmp_path / "pr.png")
    with pytest.raises(ValueError, match=r"shape \(n_rows, 3\)"):
        plot_pr_curves(y, proba[:, :2], tmp_path / "pr.png")


def test_training_curves_single_epoch_and_json_nulls(tmp_path):
    history = toy_history(1)
    history[0]["val"]["auroc_mean"] = None  # NaN as written by write_json
    path = tmp_path / "curves.png"
    assert_png(plot_training_curves(history, path, best_epoch=1), path)


def test_training_curves_reject_bad_history(tmp_path):
    with pytest.raises(ValueError, match="at least one epoch"):
        plot_training_curves([], tmp_path / "c.png")
    history = toy_history(3)
    del history[1]["train_loss_per_class"]["Up"]
    with pytest.raises(ValueError, match=r"history\[1\] to have train_loss_per_class/Up"):
        plot_training_curves(history, tmp_path / "c.png")
    with pytest.raises(ValueError, match="best_epoch among the epochs 1..3, got 7"):
        plot_training_curves(toy_history(3), tmp_path / "c.png", best_epoch=7)


def test_equity_curves_accept_date_strings_and_gaps(tmp_path):
    dates = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
    curve = pd.Series([1.0, 1.02, np.nan, 1.05], index=dates)
    path = tmp_path / "equity.png"
    assert_png(plot_equity_curves({"a": curve, "b": curve * 0.9}, path, log=True), path)


def test_equity_curves_reject_bad_input(tmp_path):
    dates = pd.bdate_range("2024-01-01", periods=3)
    with pytest.raises(ValueError, match="at least one"):
        plot_equity_curves({}, tmp_path / "e.png")
    with pytest.raises(ValueError, match="positive values for a log scale, got min -0.5 in curve 'short'"):
        plot_equity_curves({"short": pd.Series([1.0, 0.2, -0.5], index=dates)}, tmp_path / "e.png", log=True)
    with pytest.raises(ValueError, match="indexed by dates"):
        plot_equity_curves({"a": pd.Series([1.0, 1.1])}, tmp_path / "e.png")
    with pytest.raises(TypeError, match="pandas Series for curve 'a', got list"):
        plot_equity_curves({"a": [1.0, 1.1]}, tmp_path / "e.png")


def test_metric_over_time_with_labelled_periods(tmp_path):
    frame = METRIC_FRAME.set_axis(pd.period_range("2019", periods=4, freq="Y"))
    path = tmp_path / "time.png"
    assert_png(plot_metric_over_time(frame, path, metrics=["macro_f1"]), path)


def test_metric_plots_reject_missing_columns(tmp_path):
    with pytest.raises(ValueError, match=r"metrics \['sharpe'\] in the frame"):
        plot_metric_over_time(METRIC_FRAME, tmp_path / "m.png", metrics=["macro_f1", "sharpe"])
    with pytest.raises(ValueError, match="at least one of the metrics"):
        plot_metric_over_time(METRIC_FRAME, tmp_path / "m.png", metrics=[])
    with pytest.raises(ValueError, match=r"param \['alpha'\] in the frame"):
        plot_metric_vs_param(SWEEP, tmp_path / "m.png", param="alpha", metrics=["macro_f1"])
    with pytest.raises(ValueError, match="numeric param column 'name'"):
        plot_metric_vs_param(SWEEP.assign(name="x"), tmp_path / "m.png", param="name", metrics=["macro_f1"])
    with pytest.raises(ValueError, match=r"columns \['hi'\]"):
        plot_bar_with_ci(ABLATION.drop(columns="hi"), tmp_path / "m.png",
                         label="variant", value="sharpe", lo="lo", hi="hi")


def test_bar_with_ci_draws_a_percentile_interval_that_misses_its_value(tmp_path):
    frame = ABLATION.assign(lo=[0.5, 0.1, 0.7])  # a skewed bootstrap can put the value outside
    path = plot_bar_with_ci(frame, tmp_path / "b.png", label="variant", value="sharpe", lo="lo", hi="hi")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="empty frame"):
        plot_bar_with_ci(ABLATION.iloc[:0], tmp_path / "b.png",
                         label="variant", value="sharpe", lo="lo", hi="hi")


def test_forest_refuses_an_empty_frame_or_a_missing_column(tmp_path):
    args = dict(panel="metric", label="model", value="value", lo="lo", hi="hi")
    with pytest.raises(ValueError, match="empty frame"):
        plot_forest(FOREST.iloc[:0], tmp_path / "f.png", **args)
    with pytest.raises(ValueError, match=r"columns \['lo'\]"):
        plot_forest(FOREST.drop(columns="lo"), tmp_path / "f.png", **args)


def test_ic_and_heatmap_refuse_what_they_cannot_draw(tmp_path):
    with pytest.raises(ValueError, match="'STGNN' among the daily series"):
        plot_ic_over_time({"momentum": pd.Series([0.1], index=["2024-01-02"])}, tmp_path / "i.png", highlight="STGNN")
    with pytest.raises(ValueError, match="at least one finite value"):
        plot_month_year_heatmap(pd.Series([np.nan], index=["2024-01-02"]), tmp_path / "h.png")


def test_png_data_uri_round_trips(tmp_path):
    path = plot_confusion_matrix(np.ones((3, 3)), tmp_path / "cm.png")
    uri = png_data_uri(path)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == path.read_bytes()
    text = tmp_path / "not.png"
    text.write_text("hello")
    with pytest.raises(ValueError, match="Expected a PNG file"):
        png_data_uri(text)

