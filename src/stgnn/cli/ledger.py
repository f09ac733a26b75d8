"""The prediction ledger of predict --ledger: fill in what happened to its calls and compare the
live figures with the walk-forward's out-of-sample intervals."""

from __future__ import annotations

import argparse
from pathlib import Path

from stgnn.cli.args import DATA_FLAGS, add_flags, add_from_run_flag, config_overrides
from stgnn.io import write_json
from stgnn.ledger import ledger_report, read_ledger, report_lines, score_by_source, scoring_sources, write_ledger


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="ledger_command", required=True)
    about = "fill in outcomes once prices for t + h exist; live figures beside the walk-forward's intervals"
    score = commands.add_parser("score", help=about, description=f"Ledger score: {about}.")
    score.add_argument("ledger", type=Path, help="the ledger csv, updated in place (one written before rows "
                                                 "recorded their prices' source needs --source once)")
    add_from_run_flag(score, "walk-forward run directory to compare with, for models whose rows record none")
    score.add_argument("--out", type=Path, metavar="JSON", help="also write the report to this json file")
    add_flags(score, "data (default: each row's own source; --start/--end may narrow its dates)", DATA_FLAGS,
              show_defaults=False)


def run(args: argparse.Namespace) -> int:
    """``stgnn ledger score``, the one ledger command."""
    ledger, sources = scoring_sources(read_ledger(args.ledger), config_overrides(args))
    ledger, state, lines = score_by_source(ledger, sources)
    write_ledger(args.ledger, ledger)
    report = ledger_report(ledger, state, run_dir=args.from_run)
    print(f"ledger {args.ledger}: " + ("; ".join(lines) if lines else "no open rows to score"))
    print("\n".join(report_lines(report)))
    if args.out:
        write_json(args.out, report)
    return 0
