"""A walk-forward's out-of-sample scores and prices in the shapes alphalens reads: factor.csv
(date, asset, factor), prices.csv (dates x assets) and factor.json, scores dated on the day a call
can be traded (t + labels.delay)."""

from __future__ import annotations

import argparse
from pathlib import Path

from stgnn.factor_export import READ_BACK, factor_export, write_factor_export
from stgnn.runs import MODEL


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, help="a finished walk-forward's run directory")
    parser.add_argument("--out", type=Path, default=None, help="the folder to write (default: RUN_DIR/alphalens)")
    parser.add_argument("--model", default=MODEL, help=f"whose scores: {MODEL} (default) or a baseline of the run")


def run(args: argparse.Namespace) -> int:
    export = factor_export(args.run_dir, args.model)
    out = write_factor_export(export, args.out if args.out is not None else args.run_dir / "alphalens")
    info = export.info
    print(f"wrote {info['rows']} scores of {info['model']} ({info['first']} .. {info['last']}, dated t + "
          f"{info['delay']}, the trading day) and the closes to {out}; read them back with:\n{READ_BACK}")
    return 0
