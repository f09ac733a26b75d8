"""``stgnn data summary``."""

from __future__ import annotations

import argparse

from stgnn.cli.args import config_overrides
from stgnn.config import load_config
from stgnn.data.graph import configured_sectors
from stgnn.data.sources import load_panel
from stgnn.data.summary import summarize


def summary(args: argparse.Namespace) -> int:
    config = load_config(args.config, config_overrides(args))
    panel = load_panel(config.data)
    print("\n".join(summarize(panel, config.labels, sectors=configured_sectors(config.graph)).lines(verbose=args.verbose)))
    return 0
