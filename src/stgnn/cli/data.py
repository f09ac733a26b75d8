"""Inspect a data source before training on it."""

from __future__ import annotations

import argparse

from stgnn.cli.args import DATA_FLAGS, FEATURE_FLAGS, LABEL_FLAGS, add_config_file_flag, add_flags, config_overrides
from stgnn.config import load_config
from stgnn.data.features import compute_features
from stgnn.data.graph import configured_sectors
from stgnn.data.sources import load_panel
from stgnn.data.summary import summarize

SHOWN_NAMES = 8
"""Feature names shown unless verbose."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="data_command", required=True)
    about = "tickers, dates, dropped rows and class balance"
    summary = commands.add_parser("summary", help=about, description=f"A data source's {about}, before training on it.")
    add_config_file_flag(summary)
    add_flags(summary, "data", DATA_FLAGS + LABEL_FLAGS + FEATURE_FLAGS)


def run(args: argparse.Namespace) -> int:
    """``stgnn data summary``, the one data command."""
    config = load_config(args.config, config_overrides(args))
    panel = load_panel(config.data)
    summary = summarize(panel, config.labels, sectors=configured_sectors(config.graph))
    features = compute_features(panel, config.features)
    shown = features.names if args.verbose else features.names[:SHOWN_NAMES]
    more = "" if len(shown) == len(features.names) else f", ... ({len(features.names) - len(shown)} more, -v lists all)"
    print("\n".join([*summary.lines(verbose=args.verbose),
                     f"features   {len(features.names)} ({config.features.set}): {', '.join(shown)}{more}"]))
    return 0
