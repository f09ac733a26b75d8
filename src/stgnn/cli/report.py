"""Rebuild the report of a finished walk-forward (report.md, report.html, figures/) from its run
directory alone: an old run gets today's figures without retraining."""

from __future__ import annotations

import argparse
from pathlib import Path

from stgnn.reporting.report import write_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, help="a finished walk-forward's run directory (with metrics.json)")


def run(args: argparse.Namespace) -> int:
    print(f"report: {write_report(args.run_dir)}")
    return 0
