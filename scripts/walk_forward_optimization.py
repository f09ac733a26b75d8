"""Walk-forward optimization: retrain the STGNN on rolling windows, tune on each fold's validation
window, predict its test window once, and report out-of-sample results beside baselines.

    python scripts/walk_forward_optimization.py --train-days 756 --val-days 126 --test-days 126 --folds 4
"""

from __future__ import annotations

from pathlib import Path

from stgnn.cli.args import (Parser, add_data_flags, add_training_flags, add_walkforward_flags, config_overrides,
                            configure_logging, execution, guarded)
from stgnn.config import load_config
from stgnn.tracking import add_mlflow_flag, log_run_dir
from stgnn.training.run import default_run_dir, load_data


def main(argv: list[str] | None = None) -> int:
    parser = Parser(description=__doc__.splitlines()[0])
    add_data_flags(parser)
    add_training_flags(parser)
    g = add_walkforward_flags(parser)
    g.add_argument("--dry-run", action="store_true", help="print the fold table and stop")
    g.add_argument("--resume", type=Path, metavar="RUN_DIR", help="finish an interrupted run")
    parser.add_argument("--run-dir", type=Path)
    add_mlflow_flag(parser)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    configure_logging(args.verbose)

    def run() -> int:
        from stgnn.reporting.report import write_report
        from stgnn.walkforward.runner import plan_folds, run_walk_forward, summary_lines

        config = load_config(args.resume / "config.yaml" if args.resume else args.config, config_overrides(args))
        data = load_data(config)
        if args.dry_run:
            print(plan_folds(config, data)[1].to_string(index=False))
            return 0
        run_dir = args.resume or args.run_dir or default_run_dir(config)
        result = run_walk_forward(config, data, run_dir, resume=args.resume is not None, **execution(args))
        report = write_report(result)
        print("\n".join(summary_lines(result)))
        print(f"report: {report}")
        if args.mlflow:
            print(f"mlflow run {log_run_dir(result.run_dir, tracking_uri=args.mlflow)} at {args.mlflow}")
        return 0

    return guarded(run)


if __name__ == "__main__":
    raise SystemExit(main())
