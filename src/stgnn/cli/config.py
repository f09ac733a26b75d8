"""Every config key with its default and what it means, as YAML with comments (--defaults); or a
config file resolved: its keys and the defaults it leaves, checked as a run would check them. A
config file needs only the keys it changes."""

from __future__ import annotations

import argparse
from pathlib import Path

from stgnn.config import commented_yaml, load_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    shown = parser.add_mutually_exclusive_group(required=True)
    shown.add_argument("--defaults", action="store_true", help="every key with its default")
    shown.add_argument("--config", type=Path, help="a YAML config file, with every key it leaves at its default")


def run(args: argparse.Namespace) -> int:
    print(commented_yaml(load_config(args.config)), end="")
    return 0
