"""Data sources behind one interface: ``load_panel(config.data)`` returns a validated panel.

Each source is a function ``DataConfig -> PricePanel`` registered in :data:`SOURCES`; they all
end in :func:`stgnn.data.panel.build_panel`, so every source is validated the same way.
"""

from __future__ import annotations

from typing import Callable

from stgnn.config import DataConfig
from stgnn.data.panel import PricePanel
from stgnn.data.sources.csv import load_csv
from stgnn.data.sources.sample import load_sample
from stgnn.data.sources.sp500 import load_sp500
from stgnn.data.sources.synthetic import load_synthetic
from stgnn.data.sources.yahoo import load_yfinance

SOURCES: dict[str, Callable[[DataConfig], PricePanel]] = {
    "sample": load_sample,
    "sp500": load_sp500,
    "csv": load_csv,
    "yfinance": load_yfinance,
    "synthetic": load_synthetic,
}


def load_panel(config: DataConfig) -> PricePanel:
    """Load and validate the tickers and dates ``config`` asks for (restricted before validation)."""
    return SOURCES[config.source](config)
