"""Train the STGNN on one chronological train / val / test split (purge gaps between them),
tune decision thresholds on validation, evaluate on test and write a run directory.

    python scripts/train_stgnn_improved.py --epochs 10 --focal-gamma 2 --run-dir runs/try1
"""

from __future__ import annotations

from pathlib import Path

from stgnn.cli.args import (Parser, add_data_flags, add_training_flags, config_overrides,
                            configure_logging, guarded)
from stgnn.config import load_config
from stgnn.tracking import add_mlflow_flag, log_run_dir
from stgnn.training.run import run_experiment, summary_lines


def main(argv: list[str] | None = None) -> int:
    parser = Parser(description=__doc__.splitlines()[0])
    add_data_flags(parser)
    add_training_flags(parser)
    parser.add_argument("--run-dir", type=Path, help="write the run exactly here (default runs/<id>)")
    add_mlflow_flag(parser)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    configure_logging(args.verbose)

    def run() -> int:
        config = load_config(args.config, config_overrides(args))
        result = run_experiment(config, args.run_dir)
        print("\n".join(summary_lines(result)))
        if args.mlflow:
            print(f"mlflow run {log_run_dir(result.run_dir, tracking_uri=args.mlflow)} at {args.mlflow}")
        return 0

    return guarded(run)


if __name__ == "__main__":
    raise SystemExit(main())
