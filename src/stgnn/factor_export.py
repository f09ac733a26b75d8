"""A run's out-of-sample scores and prices in the shapes alphalens reads, so that its tear sheets
(``alphalens.utils.get_clean_factor_and_forward_returns(factor, prices)``) run on a walk-forward
without alphalens being a dependency here.

alphalens buys at the factor date's price. A call made after the close of t with ``labels.delay``
d is traded at the close of t + d, so each score is dated t + d (the day it can be traded); scores
whose trading day lies past the panel are left out. Prices are the closes the source observed (NaN
on days it carried a price forward), so no forward return is computed from a price nobody traded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stgnn.config import load_config
from stgnn.data.panel import PricePanel
from stgnn.data.sources import load_panel
from stgnn.errors import StgnnError
from stgnn.io import atomic_write, atomic_write_text
from stgnn.runs import MODEL, RunDir

FACTOR_FILE, PRICES_FILE, INFO_FILE = "factor.csv", "prices.csv", "factor.json"

READ_BACK = f"""import pandas as pd
factor = pd.read_csv("{FACTOR_FILE}", index_col=["date", "asset"], parse_dates=["date"])["factor"]
prices = pd.read_csv("{PRICES_FILE}", index_col="date", parse_dates=True)
# alphalens.utils.get_clean_factor_and_forward_returns(factor, prices, periods=(1, 5))"""


@dataclass(frozen=True)
class FactorExport:
    """The factor (a Series on a (date, asset) MultiIndex), the prices (dates x assets) and what
    produced them."""

    factor: pd.Series
    prices: pd.DataFrame
    info: dict


def factor_export(run_dir: str | Path, model: str = MODEL, *, panel: PricePanel | None = None) -> FactorExport:
    """The scores ``p_up - p_down`` of ``model``'s stitched out-of-sample predictions in ``run_dir``,
    dated on the day they can be traded, and the observed closes from that day on. ``panel``
    defaults to the run's configured source (loaded again; no network for bundled sources)."""
    run = RunDir(Path(run_dir))
    if not run.finished:
        raise StgnnError(f"{run_dir} is not a finished run directory (no {run.config.name} and "
                         f"{run.metrics.name}); pass the --run-dir of a finished walk-forward.")
    if not run.oos(model).is_file():
        raise StgnnError(f"{run_dir} has no out-of-sample predictions of {model!r} ({run.oos(model)}); "
                         "pass --model stgnn or a baseline the run compared.")
    config = load_config(run.config)
    panel = panel if panel is not None else load_panel(config.data)
    oos = pd.read_csv(run.oos(model), usecols=["date", "ticker", "p_down", "p_up"], parse_dates=["date"])
    delay = config.labels.delay
    position = panel.dates.get_indexer(oos["date"])
    if (position < 0).any():
        day = oos["date"][position < 0].iloc[0].date()
        raise StgnnError(f"{run_dir}'s predictions are dated {day}, a day its configured source lacks; "
                         "the source's data changed since the run: rerun it.")
    tradable = position + delay < len(panel.dates)
    oos = oos[tradable]
    factor = pd.Series((oos["p_up"] - oos["p_down"]).to_numpy(), name="factor",
                       index=pd.MultiIndex.from_arrays([panel.dates[position[tradable] + delay], oos["ticker"]],
                                                       names=["date", "asset"])).sort_index()
    first = factor.index.get_level_values("date").min()
    prices = panel.close.where(panel.traded).loc[first:].astype(np.float64)
    prices.index.name = "date"
    info = {"run_dir": str(run_dir), "model": model, "score": "p_up - p_down", "delay": delay,
            "horizon": config.labels.horizon, "dated": f"the trading day, t + {delay}",
            "rows": int(len(factor)), "left_out_past_panel": int((~tradable).sum()),
            "first": str(first.date()), "last": str(factor.index.get_level_values("date").max().date())}
    return FactorExport(factor, prices, info)


def write_factor_export(export: FactorExport, out: str | Path) -> Path:
    """``factor.csv`` (date, asset, factor), ``prices.csv`` (date x assets) and ``factor.json``
    (what, how dated, how to read it back), each written atomically."""
    out = Path(out)
    atomic_write(out / FACTOR_FILE, lambda tmp: export.factor.to_csv(tmp, date_format="%Y-%m-%d"))
    atomic_write(out / PRICES_FILE, lambda tmp: export.prices.to_csv(tmp, date_format="%Y-%m-%d"))
    atomic_write_text(out / INFO_FILE, json.dumps({**export.info, "read_back": READ_BACK}, indent=1))
    return out
