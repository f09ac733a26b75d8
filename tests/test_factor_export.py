"""export-factor: a run's out-of-sample scores, dated on the day they can be traded, and the
observed closes, in the shapes alphalens reads; read back, alphalens' forward returns at each
score's date are the returns the run's labels were cut from."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from stgnn.cli import main as stgnn_main
from stgnn.config import write_config
from stgnn.data.dataset import prepare
from stgnn.data.sources.synthetic import make_market
from stgnn.factor_export import FACTOR_FILE, INFO_FILE, PRICES_FILE, factor_export
from stgnn.runs import RunDir
from tests.conftest import tiny_config

HORIZON, DELAY = 2, 1


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run directory holding what export-factor reads: the config, metrics and the stitched
    predictions of the last 60 days (the last ones unlabelled), with the labels' forward returns."""
    config = tiny_config(labels={"horizon": HORIZON, "delay": DELAY})
    data = prepare(make_market(config.data.synthetic).panel, features=config.features, labels=config.labels,
                   window=config.model.window)
    days = np.arange(len(data.panel.dates) - 60, len(data.panel.dates))
    rng = np.random.default_rng(0)
    rows = [{"date": data.panel.dates[t].strftime("%Y-%m-%d"), "ticker": ticker, "p_down": p[0], "p_none": p[1],
             "p_up": p[2], "label": data.labels.y[t, i], "fwd_return": data.labels.fwd_return[t, i], "pred": 1,
             "fold": 0}
            for t in days for i, ticker in enumerate(data.panel.tickers) for p in [rng.dirichlet(np.ones(3))]]
    root = tmp_path_factory.mktemp("export") / "run"
    root.mkdir()
    write_config(config, root / "config.yaml")
    RunDir(root).write_metrics({})
    pd.DataFrame(rows).to_csv(root / "oos_predictions.csv", index=False)
    return root, data, pd.DataFrame(rows)


def test_scores_are_dated_on_the_trading_day_and_alphalens_returns_match_the_labels(run, tmp_path, capsys):
    root, data, oos = run
    assert stgnn_main(["export-factor", str(root), "--out", str(tmp_path)]) == 0
    assert "dated t + 1" in capsys.readouterr().out
    info = json.loads((tmp_path / INFO_FILE).read_text())
    assert info["delay"] == DELAY and info["horizon"] == HORIZON and FACTOR_FILE in info["read_back"]
    factor = pd.read_csv(tmp_path / FACTOR_FILE, index_col=["date", "asset"], parse_dates=["date"])["factor"]
    prices = pd.read_csv(tmp_path / PRICES_FILE, index_col="date", parse_dates=True)
    # The last day's calls trade past the panel: left out.
    assert len(factor) == len(oos) - len(data.panel.tickers)
    # alphalens' forward return over h from the factor's date (compute_forward_returns: price
    # h rows later over today's) against the label's log return from t + delay to t + delay + h.
    forward = (prices.shift(-HORIZON) / prices - 1).stack().rename("forward").rename_axis(["date", "asset"])
    joined = factor.to_frame().join(forward, how="left")
    signal_day = data.panel.dates[data.panel.dates.get_indexer(joined.index.get_level_values("date")) - DELAY]
    expected = oos.assign(date=pd.to_datetime(oos["date"])).set_index(["date", "ticker"])
    expected = expected.reindex(pd.MultiIndex.from_arrays([signal_day, joined.index.get_level_values("asset")]))
    known = expected["fwd_return"].notna().to_numpy()
    assert known.sum() > 0.8 * len(joined)
    np.testing.assert_allclose(joined["forward"].to_numpy()[known], np.expm1(expected["fwd_return"].to_numpy()[known]))
    np.testing.assert_allclose(joined["factor"], (expected["p_up"] - expected["p_down"]).to_numpy())


def test_prices_are_the_observed_closes_only(run):
    root, data, _ = run
    panel = data.panel
    observed = pd.DataFrame(True, index=panel.dates, columns=panel.tickers)
    observed.iloc[-5, 0] = False  # a price carried forward
    export = factor_export(root, panel=replace(panel, observed=observed))
    assert np.isnan(export.prices.iloc[-5, 0])
    assert np.isfinite(export.prices.iloc[-4, 0])
    assert export.info["delay"] == DELAY and export.info["left_out_past_panel"] == len(panel.tickers)


@pytest.mark.parametrize("case, message", [("missing", "not a finished run directory"),
                                           ("baseline", "no out-of-sample predictions of 'lightgbm'")])
def test_bad_input_is_one_line(run, tmp_path, capsys, case, message):
    root, _, _ = run
    argv = [str(tmp_path / "nowhere")] if case == "missing" else [str(root), "--model", "lightgbm"]
    assert stgnn_main(["export-factor", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert not (tmp_path / "out").exists()
