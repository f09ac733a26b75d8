"""The bundled sample: daily adjusted closes of 20 S&P 500 stocks, 1990-01-02 to 2022-12-28.

Taken from skfolio 1.12.2 (BSD-3-Clause; prices originally from Yahoo). Shipped as package data,
so a plain ``pip install .`` finds it without the repository.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from stgnn.config import DataConfig
from stgnn.data.panel import PricePanel, build_panel, validation_options

SAMPLE_FILE = "sp500_20.csv.gz"


def load_sample(config: DataConfig) -> PricePanel:
    with resources.as_file(resources.files("stgnn.datasets") / SAMPLE_FILE) as path:
        close = pd.read_csv(path, index_col="Date")
    return build_panel({"close": close}, origin=f"sample ({SAMPLE_FILE})", **validation_options(config))
