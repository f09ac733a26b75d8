"""Focal-gamma sweep: one experiment per gamma, each with thresholds tuned on its own validation
predictions, collated into a comparison table with the best gamma for a priority, chosen on
validation (the test or out-of-sample columns are for reading only)."""

from __future__ import annotations

import argparse

from stgnn.cli.args import add_experiment_flags, config_overrides, execution
from stgnn.config import load_config
from stgnn.research.sweep import PRIORITIES, run_gamma_sweep
from stgnn.training.run import default_run_dir, load_data


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_experiment_flags(parser)
    parser.add_argument("--gammas", type=float, nargs="+", default=[1.0, 2.0, 3.0, 4.0])
    parser.add_argument("--walk-forward", action="store_true",
                        help="run each gamma over the folds: chosen on their validation macro-F1, read out of sample")
    parser.add_argument("--priority", choices=PRIORITIES, default="macro_f1",
                        help="what 'best gamma' means, judged on validation (--walk-forward: macro_f1 only)")
    parser.add_argument("--min-precision", type=float, default=0.3, help="precision floor of recall_at_precision")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, {"experiment": "gamma-sweep", **config_overrides(args)})
    for gamma in args.gammas:
        config.updated({"loss.focal_gamma": gamma})  # every gamma valid before anything runs
    data = load_data(config)
    run_dir = args.run_dir or default_run_dir(config)
    result = run_gamma_sweep(config, data, args.gammas, run_dir, walk_forward=args.walk_forward,
                             priority=args.priority, min_precision=args.min_precision, execution=execution(args))
    print(result["table"].drop(columns=["run_dir", "experiment"]).to_string(index=False, float_format="%.4f"))
    print(f"best gamma for {args.priority}: {result['best_gamma']:g} ({result['reason']}); see {run_dir}")
    return 0
