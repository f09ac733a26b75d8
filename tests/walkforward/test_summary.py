"""The walk-forward's stdout summary writes each kind of number one way (stgnn.formats)."""

from pathlib import Path

import pandas as pd

from stgnn.walkforward.runner import WalkForwardResult, summary_lines

HEADLINE = {"macro_f1": 0.41379, "mcc": 0.1766, "auroc_down": 0.6533, "auroc_up": 0.6827, "auroc_move": 0.7015,
            "auroc_direction": 0.4972, "rank_ic": -0.0158}


def book(**extra):
    return {"annual_return": -0.2374, "sharpe": -1.5449, "max_drawdown": -0.465,
            "intervals": {"sharpe": {"value": -1.5449, "lo": -3.08, "hi": 0.0132}}, **extra}


def test_summary_writes_metrics_ratios_percents_and_intervals_one_way():
    metrics = {
        "oos": HEADLINE,
        "baselines": {"majority": {**HEADLINE, "mcc": 0.0, "rank_ic": None}},
        "comparisons": {"majority": {"macro_f1": {"diff": 0.032, "lo": 0.0151, "hi": 0.0477}}},
        "backtest": {"book": "dollar_neutral", "rank_quantile": 0.1, "cost_bps": 5.0,
                     "strategy": book(beta=-0.08, alpha_annual=-0.237), "rank": book(beta=0.02, alpha_annual=-0.00004),
                     "equal_weight": book()},
    }
    folds = pd.DataFrame({"fold": [0, 1]})
    lines = summary_lines(WalkForwardResult(Path("runs/x"), metrics, folds, 12.0))
    text = "\n".join(lines)
    assert lines[1].split() == ["stgnn", "+0.4138", "+0.1766", "+0.6533", "+0.6827", "+0.7015", "+0.4972", "-0.0158"]
    assert lines[2].split()[2] == "0.0000" and lines[2].split()[-1] == "n/a"
    assert "majority +0.0320 [+0.0151, +0.0477]" in text
    assert "annual return -23.7%, Sharpe -1.54 [-3.08, +0.01], max drawdown -46.5%, beta -0.08, alpha -23.7%/yr" in text
    assert "alpha -0.004%/yr" in text and "-0.0%" not in text
    assert lines[-1].startswith("2 folds")
