"""The prediction ledger of predict --ledger: fill in what happened to its calls and compare the
live figures with the walk-forward's out-of-sample intervals."""

from __future__ import annotations

import argparse
from pathlib import Path

from stgnn.cli.args import DATA_FLAGS, add_flags, config_overrides
from stgnn.config import load_config
from stgnn.data.sources import load_panel
from stgnn.io import write_json
from stgnn.ledger import ledger_report, read_ledger, report_lines, score_ledger, write_ledger


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="ledger_command", required=True)
    score = commands.add_parser("score", help="fill in outcomes once prices for t + h exist; live figures beside "
                                              "the walk-forward's intervals")
    score.add_argument("ledger", type=Path, help="the ledger csv")
    score.add_argument("--run-dir", type=Path,
                       help="walk-forward run to compare with, for models whose rows record none")
    score.add_argument("--out", type=Path, help="also write the figures to this json")
    add_flags(score, "data (the prices to score against)", DATA_FLAGS)


def run(args: argparse.Namespace) -> int:
    """``stgnn ledger score``, the one ledger command."""
    ledger = read_ledger(args.ledger)
    panel = load_panel(load_config(None, config_overrides(args)).data)
    ledger, state = score_ledger(ledger, panel)
    write_ledger(args.ledger, ledger)
    report = ledger_report(ledger, state, run_dir=args.run_dir)
    print(f"ledger {args.ledger} against {panel.source} prices to {panel.dates[-1].date()}")
    print("\n".join(report_lines(report)))
    if args.out:
        write_json(args.out, report)
    return 0
