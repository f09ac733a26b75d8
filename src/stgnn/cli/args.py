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
