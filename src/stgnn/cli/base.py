"""What the front door needs before it knows the command: the parser class, the ``-v`` flag,
logging and the guard that turns user errors into one line and exit code 2.

It imports nothing heavy (no torch, pandas or config), so that ``stgnn --help`` is quick."""

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


def add_verbose_flag(parser: argparse.ArgumentParser, *, default: Any = False) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", default=default, help="debug logging")


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
