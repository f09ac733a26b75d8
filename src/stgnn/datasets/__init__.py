"""The data bundled with the package, with their licences (data/README.md gives the provenance).

Paths only: this sits below :mod:`stgnn.config`, which names the S&P 500 sector file as the
``sp500`` source's default, and the loaders (:mod:`stgnn.data.sources`) read the files."""

from importlib import resources
from pathlib import Path

SP500_BUNDLE = resources.files(__name__) / "sp500_5yr"
"""The S&P 500 set's folder: ``prices.csv.gz``, ``sectors.csv`` and their licences."""

SP500_SECTORS = Path(str(SP500_BUNDLE / "sectors.csv"))
"""The bundled ``ticker,sector`` file: ``graph.sector_file`` of source ``sp500`` unless one is given."""
