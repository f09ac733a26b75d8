"""The bundled S&P 500 set: daily OHLCV of 505 stocks, 2013-02-08 to 2018-02-07 (1,259 days).

The prices are Cam Nugent's copy of the Kaggle "S&P 500 stock data" set (MIT License), from IEX:
split-adjusted but not dividend-adjusted, so returns on ex-dividend days are slightly low. The
GICS sectors of the same tickers (:data:`stgnn.datasets.SP500_SECTORS`, ODC PDDL 1.0) feed the sector graph.
Both ship as package data with their licences; data/README.md gives the provenance.

The set is ragged, as real universes are: 29 tickers start late (IPOs and spin-offs) and a few
have holes, so the panel keeps every date and marks their absent days (:mod:`stgnn.data.panel`).
Its tickers are the index members of February 2018: a survivorship bias the panel carries as a
caveat (:data:`SURVIVORSHIP`) for every report to show.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources

import pandas as pd

from stgnn.config import DataConfig
from stgnn.data.panel import FIELDS, PricePanel, build_panel, validation_options
from stgnn.datasets import SP500_BUNDLE

SURVIVORSHIP = (
    "survivorship: the tickers are the S&P 500 members of February 2018, so stocks that left the "
    "index earlier are missing; absolute backtest returns are optimistic (model comparisons on the "
    "same rows much less so)."
)


def load_sp500(config: DataConfig) -> PricePanel:
    """The ``sp500`` source: the bundled long csv (date, ticker, open, high, low, close, volume),
    pivoted once into wide frames and validated like any other source.

    Examples
    --------
    >>> panel = load_sp500(DataConfig(source="sp500", tickers=("AAPL", "HPE")))
    >>> len(panel.dates), panel.present.sum().to_dict()
    (1259, {'AAPL': 1259, 'HPE': 581})
    """
    with resources.as_file(SP500_BUNDLE / "prices.csv.gz") as path:
        prices = pd.read_csv(path)
    wide = prices.pivot(index="date", columns="ticker", values=list(FIELDS))
    panel = build_panel({name: wide[name] for name in FIELDS}, origin="sp500 (bundled S&P 500 set)",
                        **validation_options(config))
    return replace(panel, caveats=(*panel.caveats, SURVIVORSHIP))
