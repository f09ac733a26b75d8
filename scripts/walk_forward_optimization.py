"""Walk-forward optimization: retrain the STGNN on rolling windows, tune on each fold's validation
window, predict its test window once, and report out-of-sample results beside baselines.

    python scripts/walk_forward_optimization.py --train-days 756 --val-days 126 --test-days 126 --folds 4
"""

from __future__ import annotations

from pathlib import Path

from stgnn.cli.args import config_overrides, configure_logging, execution, experiment_parser, guarded
from stgnn.config import load_config
from stgnn.tracking import track
from stgnn.training.run import default_run_dir, load_data


def main(argv: list[str] | None = None) -> int:
    parser = experiment_parser(__doc__)
    parser.add_argument("--dry-run", action="store_true", help="print the fold table and stop")
    parser.add_argument("--resume", type=Path, metavar="RUN_DIR", help="finish an interrupted run")
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
        track(result.run_dir, args.mlflow)
        return 0

    return guarded(run)


if __name__ == "__main__":
    raise SystemExit(main())
