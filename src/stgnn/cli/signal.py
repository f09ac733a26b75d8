"""Is there signal, and who finds it? Feature sets (basic, alpha158, alpha360) x labels (threshold,
quantile) with the STGNN beside LightGBM, logistic regression and momentum over the same folds; the
validation-best STGNN configuration again at a longer horizon."""

from __future__ import annotations

import argparse

from stgnn.cli.args import add_experiment_flags, config_overrides, execution
from stgnn.config import load_config
from stgnn.errors import ConfigError
from stgnn.research.signal_study import FEATURE_SETS, LABELS, LONG_HORIZON, plan_study, run_study
from stgnn.training.run import default_run_dir, load_data


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_experiment_flags(parser)
    parser.add_argument("--feature-sets", nargs="+", choices=list(FEATURE_SETS), help="default: all")
    parser.add_argument("--labels", nargs="+", choices=list(LABELS), help="default: all")
    parser.add_argument("--long-horizon", type=int, default=LONG_HORIZON,
                        help="the horizon the validation-best configuration runs again at (default: %(default)s)")
    parser.add_argument("--resume", action="store_true", help="resume the study in --run-dir, skipping finished runs")


def run(args: argparse.Namespace) -> int:
    if args.resume and args.run_dir is None:
        raise ConfigError("--resume needs the --run-dir of the study to resume.")
    config = load_config(args.config, config_overrides(args))
    plan_study(config, args.feature_sets, args.labels, args.long_horizon)  # refuse a bad combination first
    run_dir = args.run_dir or default_run_dir(config)
    study = run_study(config, run_dir, load=load_data, feature_sets=args.feature_sets, labels=args.labels,
                      long_horizon=args.long_horizon, resume=args.resume, execution=execution(args))
    shown = ["features", "labels", "horizon", "model", "rank_ic", "rank_ic_lo", "rank_ic_hi", "d_rank_ic_momentum",
             "d_rank_ic_lightgbm"]
    print(study["table"][shown].to_string(index=False, float_format="%.4f"))
    print(f"signal study written to {run_dir} (headline {study['chosen']['run']}, chosen on validation; "
          f"{study['wall_seconds']:.0f}s)")
    return 0
