"""Walk-forward optimization: retrain the STGNN on rolling windows, tune on each fold's validation
window, predict its test window once, and report out-of-sample results beside baselines."""

from __future__ import annotations

import argparse
from pathlib import Path

from stgnn.cli.args import add_experiment_flags, config_overrides, execution
from stgnn.config import load_config
from stgnn.reporting.report import write_report
from stgnn.runs import RunDir
from stgnn.tracking import track
from stgnn.training.run import default_run_dir, load_data
from stgnn.walkforward.runner import fit_count_lines, models_to_fit, plan_folds, run_walk_forward, summary_lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_experiment_flags(parser)
    parser.add_argument("--dry-run", action="store_true", help="print the fold table and the models to fit, and stop")
    parser.add_argument("--resume", type=Path, metavar="RUN_DIR", help="finish an interrupted run")


def run(args: argparse.Namespace) -> int:
    config = load_config(RunDir(args.resume).config if args.resume else args.config, config_overrides(args))
    data = load_data(config)
    if args.dry_run:
        table = plan_folds(config, data)[1]
        print("\n".join([table.to_string(index=False), *fit_count_lines(models_to_fit(config, len(table)))]))
        return 0
    run_dir = args.resume or args.run_dir or default_run_dir(config)
    result = run_walk_forward(config, data, run_dir, resume=args.resume is not None, **execution(args))
    report = write_report(result.run_dir)
    print("\n".join(summary_lines(result)))
    print(f"report: {report}")
    track(result.run_dir, args.mlflow)
    return 0
