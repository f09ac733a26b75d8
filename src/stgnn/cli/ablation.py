"""Ablations over the same walk-forward folds: focal vs cross entropy, SMOTE, class weights, the
balanced sampler and the graph, each with bootstrap intervals, in one table and figure."""

from __future__ import annotations

import argparse

from stgnn.cli.args import add_experiment_flags, config_overrides, execution
from stgnn.config import load_config
from stgnn.errors import ConfigError
from stgnn.research.ablation import VARIANTS, run_ablation
from stgnn.training.run import default_run_dir, load_data


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_experiment_flags(parser)
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), help="default: all")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, {"experiment": "ablation", **config_overrides(args)})
    for name in args.variants or VARIANTS:
        try:
            config.updated(VARIANTS[name])
        except ConfigError as exc:
            raise ConfigError(f"variant {name}: {exc}") from None
    data = load_data(config)
    run_dir = args.run_dir or default_run_dir(config)
    table = run_ablation(config, data, run_dir, variants=args.variants, execution=execution(args))
    print(table.drop(columns=["change"]).to_string(index=False, float_format="%.4f"))
    print(f"ablation written to {run_dir}")
    return 0
