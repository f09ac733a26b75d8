"""``stgnn ledger score``: fill in what happened to the ledger's calls and compare the live figures
with the walk-forward's out-of-sample intervals."""

from __future__ import annotations

import argparse

from stgnn.cli.args import config_overrides
from stgnn.config import load_config
from stgnn.data.sources import load_panel
from stgnn.io import write_json
from stgnn.ledger import ledger_report, read_ledger, report_lines, score_ledger, write_ledger


def score(args: argparse.Namespace) -> int:
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
