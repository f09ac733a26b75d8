"""``stgnn data summary``."""

from __future__ import annotations

import argparse

from stgnn.cli.args import DATA_FLAGS, overrides
from stgnn.config import load_config
from stgnn.data.sources import load_panel
from stgnn.data.summary import summarize


def summary(args: argparse.Namespace) -> int:
    config = load_config(args.config, overrides(args, DATA_FLAGS))
    panel = load_panel(config.data)
    print("\n".join(summarize(panel, config.labels).lines()))
    return 0
