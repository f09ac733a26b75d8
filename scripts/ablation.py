"""Ablations over the same walk-forward folds: focal vs cross entropy, SMOTE, class weights, the
balanced sampler and the graph, each with bootstrap intervals; writes ablation.csv / .md / .png.

    python scripts/ablation.py --folds 3 --run-dir runs/ablation
"""

from __future__ import annotations

from stgnn.cli.args import config_overrides, configure_logging, execution, experiment_parser, guarded
from stgnn.config import load_config
from stgnn.errors import ConfigError
from stgnn.research.ablation import VARIANTS, run_ablation
from stgnn.training.run import default_run_dir, load_data


def main(argv: list[str] | None = None) -> int:
    parser = experiment_parser(__doc__)
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), help="default: all")
    args = parser.parse_args(argv)
    configure_logging(args.verbose)

    def run() -> int:
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

    return guarded(run)


if __name__ == "__main__":
    raise SystemExit(main())
