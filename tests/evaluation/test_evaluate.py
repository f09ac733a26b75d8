import json
import math

import numpy as np
import pandas as pd
import pytest

from stgnn.config import parse_config
from stgnn.evaluation.backtest import BacktestResult
from stgnn.evaluation.bootstrap import SCHEME
from stgnn.evaluation.evaluate import COMPARED, INTERVALS, EvaluationSettings, evaluate
from stgnn.io import write_json

N_DAYS, N_TICKERS = 90, 6
CI_KEYS = {"value", "lo", "hi", "n_boot", "block_days"}
COSTLESS_DAILY = EvaluationSettings(horizon=1, cost_bps=0, n_boot=20, block_days=5, seed=0)


def _settings(**changes) -> EvaluationSettings:
    return EvaluationSettings(**{"horizon": 15, "cost_bps": 5.0, "n_boot": 20, "block_days": 20, "seed": 3, **changes})


def _stitched(rng, proba):
    """A stitched frame of two folds with the labels and returns of seed 0 and ``proba(rng)`` probabilities."""
    truth = np.random.default_rng(0)
    fwd = truth.normal(0.001, 0.02, size=N_DAYS * N_TICKERS)
    label = np.where(fwd > 0.01, 2, np.where(fwd < -0.01, 0, 1))
    p = proba(rng, fwd)
    dates = pd.bdate_range("2021-01-01", periods=N_DAYS).strftime("%Y-%m-%d")
    return pd.DataFrame({"date": np.repeat(dates, N_TICKERS), "ticker": [f"T{i}" for i in range(N_TICKERS)] * N_DAYS,
                         "p_down": p[:, 0], "p_none": p[:, 1], "p_up": p[:, 2], "pred": p.argmax(axis=1),
                         "label": label, "fwd_return": fwd, "fold": np.repeat([0, 1], N_DAYS * N_TICKERS // 2)})


def _informed(rng, fwd):
    up = 1 / (1 + np.exp(-(fwd / 0.02 + rng.normal(size=len(fwd)))))
    return np.column_stack([(1 - up) * 0.6, 0.4 * np.ones(len(fwd)), up * 0.6])


def _constant(rng, fwd):  # a majority baseline: one probability for every row, all ties
    return np.tile([0.3, 0.4, 0.3], (len(fwd), 1))


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(1)
    return {"stgnn": _stitched(rng, _informed), "majority": _stitched(rng, _constant),
            "noise": _stitched(rng, lambda r, f: r.dirichlet([1, 1, 1], size=len(f)))}


@pytest.fixture(scope="module")
def evaluated(frames):
    return evaluate(frames, _settings(n_boot=60), model="stgnn")


def test_blocks_cover_twice_the_horizon_and_the_settings_are_recorded(frames, evaluated):
    metrics, _ = evaluated
    assert metrics["bootstrap"] == {"n_boot": 60, "block_days": 30, "block_days_requested": 20,
                                    "scheme": SCHEME}
    for comparison in metrics["comparisons"].values():
        assert set(comparison) == set(COMPARED)
        assert {c["block_days"] for c in comparison.values()} == {30}
    daily = evaluate({"stgnn": frames["stgnn"]}, _settings(horizon=1), model="stgnn")[0]
    assert daily["bootstrap"]["block_days"] == 20 and daily["intervals"]["stgnn"]["mcc"]["block_days"] == 20
    assert daily["comparisons"] == {}


def test_settings_are_read_from_the_config():
    config = parse_config({"labels": {"horizon": 5}, "training": {"seed": 9},
                           "walkforward": {"cost_bps": 2.0, "n_boot": 100, "block_days": 7, "book": "unhedged",
                                           "rank_quantile": 0.2}})
    assert EvaluationSettings.from_config(config) == EvaluationSettings(
        horizon=5, cost_bps=2.0, n_boot=100, block_days=7, seed=9, book="unhedged", rank_quantile=0.2)


def test_every_model_gets_intervals_of_its_own_metrics(evaluated):
    metrics, _ = evaluated
    assert set(metrics["intervals"]) == {"stgnn", "majority", "noise"}
    for name, by_metric in metrics["intervals"].items():
        assert set(by_metric) == set(INTERVALS) == {"macro_f1", "mcc", "rank_ic", "auroc_direction", "auroc_move"}
        for metric, c in by_metric.items():
            assert set(c) == CI_KEYS and c["n_boot"] == 60 and c["block_days"] == 30, (name, metric)
    # the values are the metrics reported elsewhere in metrics.json
    for name, plain, skill in [("stgnn", metrics["oos"], metrics["skill"]),
                               ("noise", metrics["baselines"]["noise"], metrics["baseline_skill"]["noise"])]:
        own = metrics["intervals"][name]
        for metric in ("macro_f1", "mcc", "rank_ic"):
            assert own[metric]["value"] == pytest.approx(plain[metric])
        assert own["auroc_move"]["value"] == skill["auroc_move"] == plain["auroc_move"]
        assert own["auroc_direction"]["value"] == skill["auroc_direction"] == plain["auroc_direction"]
        assert own["auroc_direction"]["lo"] <= own["auroc_direction"]["hi"]
    informed = metrics["intervals"]["stgnn"]["auroc_direction"]
    assert informed["lo"] > 0.5  # the informed model's direction is told apart from chance
    constant = metrics["intervals"]["majority"]["auroc_move"]
    assert constant["value"] == constant["lo"] == constant["hi"] == 0.5  # all ties


def test_backtest_holds_its_book_beta_alpha_and_intervals(evaluated):
    metrics, bt = evaluated
    assert isinstance(bt, BacktestResult)
    b = metrics["backtest"]
    assert b["book"] == "dollar_neutral" and b["horizon"] == 15 and b["cost_bps"] == 5.0
    assert {"periods_per_year", "n_untradeable"} <= set(b)
    assert {"beta", "alpha_annual", "sharpe", "annual_return", "call_hit_rate"} <= set(b["strategy"])
    assert set(b["strategy"]["intervals"]) == set(b["rank"]["intervals"]) == {"sharpe", "annual_return", "alpha"}
    assert set(b["equal_weight"]["intervals"]) == {"sharpe", "annual_return"}
    for name in ("strategy", "rank"):
        sharpe, alpha = b[name]["intervals"]["sharpe"], b[name]["intervals"]["alpha"]
        assert set(sharpe) == CI_KEYS and sharpe["value"] == pytest.approx(b[name]["sharpe"])
        assert alpha["value"] == pytest.approx(b[name]["alpha_annual"])
        assert sharpe["block_days"] == 30  # 2 periods of 15 days
    assert {"beta", "alpha_annual", "sharpe", "annual_return"} <= set(b["rank"]) and b["rank_quantile"] == 0.1
    assert "intervals" not in bt.stats["strategy"]  # the result itself is left as backtest() made it


def test_the_rank_quantile_is_passed_to_the_backtest(frames):
    metrics, bt = evaluate(frames, _settings(rank_quantile=0.5), model="stgnn")
    assert metrics["backtest"]["rank_quantile"] == 0.5 == bt.stats["rank_quantile"]
    assert ((bt.rank_weights > 0).sum(axis=1) == N_TICKERS // 2).all()  # half the names a side
    with pytest.raises(ValueError, match=r"Expected rank_quantile in \(0, 0.5\]"):
        evaluate(frames, _settings(rank_quantile=0.7), model="stgnn")


def test_the_book_is_passed_to_the_backtest(frames):
    metrics, bt = evaluate(frames, _settings(book="unhedged"), model="stgnn")
    assert metrics["backtest"]["book"] == "unhedged" == bt.stats["book"]
    with pytest.raises(ValueError, match="Expected book in"):
        evaluate(frames, _settings(book="levered"), model="stgnn")


def test_metrics_write_as_strict_json(evaluated, tmp_path):
    metrics, _ = evaluated
    write_json(tmp_path / "metrics.json", metrics)
    back = json.loads((tmp_path / "metrics.json").read_text())
    assert back["intervals"]["stgnn"]["auroc_move"]["block_days"] == 30
    rank = back["backtest"]["rank"]
    assert rank["n_periods"] == 6 and rank["intervals"]["alpha"]["value"] == pytest.approx(rank["alpha_annual"])
    undefined = metrics["intervals"]["majority"]["rank_ic"]  # a constant score ranks nothing
    assert math.isnan(undefined["value"]) and back["intervals"]["majority"]["rank_ic"]["value"] is None


def test_directional_figures_score_the_return_the_labels_were_cut_from(rng):
    """Relative labels: Rank IC and hit rate read ``target_return`` (the excess), not the raw
    return, which here ranks the tickers the other way; the book still trades the raw return."""
    frame = _stitched(rng, _informed)
    excess = frame["fwd_return"] - frame.groupby("date")["fwd_return"].transform("mean")
    relative = frame.assign(target_return=excess, fwd_return=-frame["fwd_return"])
    metrics, _ = evaluate({"stgnn": relative, "majority": _stitched(rng, _constant)}, COSTLESS_DAILY, model="stgnn")
    plain, _ = evaluate({"stgnn": frame, "majority": _stitched(rng, _constant)}, COSTLESS_DAILY, model="stgnn")
    assert plain["skill"]["rank_ic"] > 0.2
    assert metrics["skill"]["rank_ic"] == pytest.approx(plain["skill"]["rank_ic"])  # demeaning keeps ranks
    assert metrics["intervals"]["stgnn"]["rank_ic"]["value"] == pytest.approx(plain["skill"]["rank_ic"])
    calls = frame["pred"].isin([0, 2]) & (excess != 0)
    right = np.sign(excess[calls]) == np.where(frame["pred"][calls] == 2, 1, -1)
    assert metrics["skill"]["directional_hit_rate"] == pytest.approx(right.mean())
    assert metrics["backtest"]["rank"]["sharpe"] < 0 < plain["backtest"]["rank"]["sharpe"]


def test_rows_without_a_label_are_traded_but_not_scored(rng):
    frame = _stitched(rng, _informed)
    unlabelled = frame.iloc[:N_TICKERS].assign(label=pd.NA, ticker=[f"X{i}" for i in range(N_TICKERS)])
    both = pd.concat([frame, unlabelled], ignore_index=True).astype({"label": "Int64"})
    metrics, bt = evaluate({"stgnn": both, "majority": _stitched(rng, _constant)}, COSTLESS_DAILY, model="stgnn")
    assert metrics["oos"]["n_rows"] == len(frame)
    assert (bt.weights.iloc[0][[f"X{i}" for i in range(N_TICKERS)]] != 0).any()
