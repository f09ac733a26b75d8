"""Train the STGNN on one chronological train / val / test split (purge gaps between them), tune
decision thresholds on validation, evaluate on test and write a run directory."""

from __future__ import annotations

import argparse

from stgnn.cli.args import add_experiment_flags, config_overrides
from stgnn.config import load_config
from stgnn.tracking import track
from stgnn.training.run import run_experiment, summary_lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_experiment_flags(parser, walk_forward=False)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, config_overrides(args))
    result = run_experiment(config, args.run_dir)
    print("\n".join(summary_lines(result)))
    track(result.run_dir, args.mlflow)
    return 0
