"""Flags shared by the command line and the scripts, and the guard that turns user errors into
one line and exit code 2."""

from __future__ import annotations

import argparse
import logging
import sys
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


def config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Overrides from data and training flags; an explicit SMOTE strategy replaces the ratio."""
    found = overrides(args, {**DATA_FLAGS, **TRAINING_FLAGS})
    if "smote.sampling_strategy" in found and "smote.target_ratio" not in found:
        found["smote.target_ratio"] = None
    return found
