"""Flags shared by the command line and the scripts, and the guard that turns user errors into
one line and exit code 2."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable

from stgnn.errors import StgnnError

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (no usage block) and exit code 2."""

    def error(self, message: str):  # noqa: D102 - argparse hook
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def add_data_flags(parser: argparse.ArgumentParser) -> None:
    """Where prices come from and how they become labels."""
    g = parser.add_argument_group("data")
    g.add_argument("--config", help="YAML config file; flags override it")
    g.add_argument("--source", choices=["sample", "csv", "yfinance", "synthetic"])
    g.add_argument("--data-dir", help="csv source: folder of per-ticker files, or one wide csv")
    g.add_argument("--tickers", nargs="+", help="restrict to these tickers (yfinance: download them)")
    g.add_argument("--start", help="first date, YYYY-MM-DD")
    g.add_argument("--end", help="last date, YYYY-MM-DD")
    g.add_argument("--horizon", type=int, help="label horizon h in trading days (default 1)")
    g.add_argument("--threshold", type=float, help="move threshold theta on the log return (default 0.018)")
    g.add_argument("--vol-scaled", action="store_true", default=None,
                   help="scale theta by each ticker's trailing volatility")


DATA_FLAGS = {
    "source": "data.source",
    "data_dir": "data.data_dir",
    "tickers": "data.tickers",
    "start": "data.start",
    "end": "data.end",
    "horizon": "labels.horizon",
    "threshold": "labels.threshold",
    "vol_scaled": "labels.vol_scaled",
}


def overrides(args: argparse.Namespace, mapping: dict[str, str]) -> dict[str, Any]:
    """Dotted config keys for the flags a user actually gave."""
    return {key: getattr(args, flag) for flag, key in mapping.items() if getattr(args, flag, None) is not None}


def configure_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(message)s" if verbose else "%(message)s",
        stream=sys.stderr,
    )
    for noisy in ("matplotlib", "PIL", "yfinance", "peewee"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def guarded(fn: Callable[[], int | None]) -> int:
    """Run ``fn``; a user error becomes one line on stderr and exit code 2, no traceback."""
    try:
        return fn() or 0
    except StgnnError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def add_training_flags(parser: argparse.ArgumentParser) -> None:
    """Model, loss, SMOTE and optimisation flags of the train and walk-forward scripts."""
    g = parser.add_argument_group("model and training")
    g.add_argument("--window", type=int, help="days of history per node (default 20)")
    g.add_argument("--k", type=int, help="neighbours per ticker in the graph (default 5)")
    g.add_argument("--no-graph", dest="graph", action="store_false", default=None,
                   help="temporal-only ablation: no neighbour layers")
    g.add_argument("--encoder", choices=["gru", "tcn"])
    g.add_argument("--hidden", type=int)
    g.add_argument("--loss", choices=["focal", "cross_entropy"])
    g.add_argument("--focal-alpha", type=float,
                   help="Down/Up get alpha, None gets 1-alpha (0.5 neutral; <0.5 DOWN-weights moves)")
    g.add_argument("--focal-gamma", type=float, help="focusing parameter (default 2.0)")
    g.add_argument("--class-weights", choices=["balanced", "none"])
    g.add_argument("--smote", dest="smote", action=argparse.BooleanOptionalAction, default=None,
                   help="SMOTE on training ego windows (default on)")
    g.add_argument("--smote-strategy", help="imbalanced-learn strategy: auto, minority, not majority, ...")
    g.add_argument("--smote-ratio", type=float, help="raise minority classes to this share of the majority")
    g.add_argument("--balanced-sampler", action="store_true", default=None)
    g.add_argument("--scaler", choices=["standard", "robust"])
    g.add_argument("--epochs", type=int)
    g.add_argument("--batch-days", type=int, help="day graphs per batch")
    g.add_argument("--lr", type=float)
    g.add_argument("--seed", type=int)
    g.add_argument("--device", choices=["auto", "cpu", "cuda"])
    g.add_argument("--experiment", help="name used in the default run directory")


TRAINING_FLAGS = {
    "window": "model.window",
    "k": "graph.k",
    "graph": "model.graph",
    "encoder": "model.encoder",
    "hidden": "model.hidden",
    "loss": "loss.name",
    "focal_alpha": "loss.focal_alpha",
    "focal_gamma": "loss.focal_gamma",
    "class_weights": "loss.class_weights",
    "smote": "smote.enabled",
    "smote_strategy": "smote.sampling_strategy",
    "smote_ratio": "smote.target_ratio",
    "balanced_sampler": "training.balanced_sampler",
    "scaler": "training.scaler",
    "epochs": "training.epochs",
    "batch_days": "training.batch_days",
    "lr": "training.lr",
    "seed": "training.seed",
    "device": "training.device",
    "experiment": "experiment",
}


def add_walkforward_flags(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """Fold geometry, tuning, seeds, baselines and the backtest of walk-forward commands."""
    g = parser.add_argument_group("walk-forward")
    g.add_argument("--train-days", type=int)
    g.add_argument("--val-days", type=int)
    g.add_argument("--test-days", type=int, help="test window, also the step between folds")
    g.add_argument("--expanding", action="store_true", default=None, help="expanding instead of rolling train window")
    g.add_argument("--embargo-days", type=int)
    g.add_argument("--folds", type=int, help="only the last N folds")
    g.add_argument("--search", choices=["grid", "optuna"])
    g.add_argument("--grid", type=_json_arg, help='JSON, e.g. \'{"loss.focal_gamma": [1, 2, 3, 4]}\'')
    g.add_argument("--n-trials", type=int)
    g.add_argument("--seeds", type=int, help="models per fold; their mean probabilities are the ensemble")
    g.add_argument("--baselines", nargs="*")
    g.add_argument("--cost-bps", type=float, help="transaction cost of the backtest")
    g.add_argument("--n-boot", type=int, help="bootstrap resamples of the confidence intervals")
    g.add_argument("--backend", choices=["local", "ray"], default="local",
                   help="where folds run: this machine, or Ray tasks (pip install 'stgnn[distributed]')")
    g.add_argument("--workers", type=int, default=1, help="parallel folds (processes, or Ray CPUs)")
    g.add_argument("--ray-address", help="join an existing Ray cluster (default: start a local one)")
    return g


def execution(args: argparse.Namespace) -> dict[str, Any]:
    """Backend keyword arguments: where folds run changes nothing in what they compute."""
    return {"backend": args.backend, "workers": args.workers, "ray_address": args.ray_address}


WALKFORWARD_FLAGS = {
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
    "grid": "walkforward.grid",
}


def config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Overrides from every flag group the command has; an explicit SMOTE strategy replaces the ratio."""
    found = overrides(args, {**DATA_FLAGS, **TRAINING_FLAGS, **WALKFORWARD_FLAGS})
    if "smote.sampling_strategy" in found and "smote.target_ratio" not in found:
        found["smote.target_ratio"] = None
    return found


def _json_arg(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc.msg})") from None


def experiment_parser(doc: str, *, walk_forward: bool = True) -> Parser:
    """The parser every experiment script starts from: data, training (and walk-forward) flags,
    ``--run-dir``, ``--mlflow`` and ``-v``."""
    from stgnn.tracking import add_mlflow_flag

    parser = Parser(description=doc.splitlines()[0])
    add_data_flags(parser)
    add_training_flags(parser)
    if walk_forward:
        add_walkforward_flags(parser)
    parser.add_argument("--run-dir", type=Path, help="write the run exactly here (default runs/<id>)")
    add_mlflow_flag(parser)
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser
