"""Train the STGNN on one chronological train / val / test split (purge gaps between them),
tune decision thresholds on validation, evaluate on test and write a run directory.

    python scripts/train_stgnn_improved.py --epochs 10 --focal-gamma 2 --run-dir runs/try1
"""

from __future__ import annotations

from stgnn.cli.args import config_overrides, configure_logging, experiment_parser, guarded
from stgnn.config import load_config
from stgnn.tracking import track
from stgnn.training.run import run_experiment, summary_lines


def main(argv: list[str] | None = None) -> int:
    parser = experiment_parser(__doc__, walk_forward=False)
    args = parser.parse_args(argv)
    configure_logging(args.verbose)

    def run() -> int:
        config = load_config(args.config, config_overrides(args))
        result = run_experiment(config, args.run_dir)
        print("\n".join(summary_lines(result)))
        track(result.run_dir, args.mlflow)
        return 0

    return guarded(run)


if __name__ == "__main__":
    raise SystemExit(main())
