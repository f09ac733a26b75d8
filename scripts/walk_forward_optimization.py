"""Walk-forward optimization: retrain the STGNN on rolling windows, tune on each fold's validation
window, predict its test window once, and report out-of-sample results beside baselines.

    python scripts/walk_forward_optimization.py --train-days 756 --val-days 126 --test-days 126 --folds 4
"""

from __future__ import annotations

import json
from pathlib import Path

from stgnn.cli.args import (Parser, add_data_flags, add_training_flags, config_overrides, configure_logging,
                            guarded, overrides)
from stgnn.config import load_config
from stgnn.training.run import default_run_dir, load_data

WF_FLAGS = {
    "train_days": "walkforward.train_days",
    "val_days": "walkforward.val_days",
    "test_days": "walkforward.test_days",
    "expanding": "walkforward.expanding",
    "embargo_days": "walkforward.embargo_days",
    "folds": "walkforward.folds",
    "search": "walkforward.search",
    "n_trials": "walkforward.n_trials",
    "seeds": "walkforward.seeds",
    "baselines": "walkforward.baselines",
    "cost_bps": "walkforward.cost_bps",
    "n_boot": "walkforward.n_boot",
}


def main(argv: list[str] | None = None) -> int:
    parser = Parser(description=__doc__.splitlines()[0])
    add_data_flags(parser)
    add_training_flags(parser)
    g = parser.add_argument_group("walk-forward")
    g.add_argument("--train-days", type=int)
    g.add_argument("--val-days", type=int)
    g.add_argument("--test-days", type=int, help="test window, also the step between folds")
    g.add_argument("--expanding", action="store_true", default=None, help="expanding instead of rolling train window")
    g.add_argument("--embargo-days", type=int)
    g.add_argument("--folds", type=int, help="only the last N folds")
    g.add_argument("--search", choices=["grid", "optuna"])
    g.add_argument("--grid", type=json.loads, help='JSON, e.g. \'{"loss.focal_gamma": [1, 2, 3, 4]}\'')
    g.add_argument("--n-trials", type=int)
    g.add_argument("--seeds", type=int, help="models per fold; their mean probabilities are the ensemble")
    g.add_argument("--baselines", nargs="*")
    g.add_argument("--cost-bps", type=float, help="transaction cost of the backtest")
    g.add_argument("--n-boot", type=int, help="bootstrap resamples of the confidence intervals")
    g.add_argument("--dry-run", action="store_true", help="print the fold table and stop")
    g.add_argument("--resume", type=Path, metavar="RUN_DIR", help="finish an interrupted run")
    parser.add_argument("--run-dir", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    configure_logging(args.verbose)

    def run() -> int:
        from stgnn.reporting.report import write_report
        from stgnn.walkforward.runner import plan_folds, run_walk_forward, summary_lines

        found = {**config_overrides(args), **overrides(args, WF_FLAGS)}
        if args.grid is not None:
            found["walkforward.grid"] = args.grid
        config = load_config(args.resume / "config.yaml" if args.resume else args.config, found)
        data = load_data(config)
        if args.dry_run:
            print(plan_folds(config, data)[1].to_string(index=False))
            return 0
        run_dir = args.resume or args.run_dir or default_run_dir(config)
        result = run_walk_forward(config, data, run_dir, resume=args.resume is not None)
        report = write_report(result)
        print("\n".join(summary_lines(result)))
        print(f"report: {report}")
        return 0

    return guarded(run)


if __name__ == "__main__":
    raise SystemExit(main())
