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
    summary = summarize(panel, config.labels, sectors=configured_sectors(config.graph),
                        min_history=config.data.min_history)
    print("\n".join(summary.lines(verbose=args.verbose)))
    return 0
