"""Does the graph help? Temporal-only against correlation, residual and sector graphs, on raw and
universe-relative labels, over the same walk-forward folds."""

from __future__ import annotations

import argparse

from stgnn.cli.args import add_experiment_flags, config_overrides, execution
from stgnn.config import load_config
from stgnn.errors import ConfigError
from stgnn.research.graph_study import LABELS, VARIANTS, plan_study, run_study
from stgnn.training.run import default_run_dir, load_data


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_experiment_flags(parser)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS),
                        help="default: all (temporal_only always runs: it is the reference)")
    parser.add_argument("--labels", nargs="+", choices=list(LABELS), help="default: all")
    parser.add_argument("--resume", action="store_true", help="resume the study in --run-dir, skipping finished runs")


def run(args: argparse.Namespace) -> int:
    if args.resume and args.run_dir is None:
        raise ConfigError("--resume needs the --run-dir of the study to resume.")
    config = load_config(args.config, config_overrides(args))
    plan_study(config, args.labels, args.variants)  # refuse a bad combination before loading data
    run_dir = args.run_dir or default_run_dir(config)
    study = run_study(config, load_data(config), run_dir, labels=args.labels, variants=args.variants,
                      resume=args.resume, execution=execution(args))
    shown = ["labels", "variant", "macro_f1", "rank_ic", "rank_ic_lo", "rank_ic_hi", "d_macro_f1", "d_rank_ic"]
    print(study["table"][shown].to_string(index=False, float_format="%.4f"))
    print(f"graph study written to {run_dir} ({study['wall_seconds']:.0f}s)")
    return 0
