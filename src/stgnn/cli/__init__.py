"""The ``stgnn`` command (also ``python -m stgnn``): one subcommand per module of this package,
each with ``add_arguments(parser)`` and ``run(args)``. The repository's scripts are these commands
under the names users know (:func:`script`), so both parse the same flags and run the same code.

Only the module of the command being run (or whose ``--help`` is asked) is imported: the command
modules import torch, pandas and most of the package, seconds that ``stgnn --help`` should not
wait for. :func:`build_parser` is the one place where the package imports its own modules by name
at run time (``importlib``), an exception to "no stgnn import inside a function": it dodges no
cycle, and :data:`COMMANDS` names every module it may import.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys
from types import ModuleType
from typing import Callable, Sequence

import stgnn
from stgnn.cli.base import Parser, add_verbose_flag, configure_logging, guarded

COMMANDS = (
    ("train", "stgnn.cli.train", "train on one chronological split and write a run directory"),
    ("walk-forward", "stgnn.cli.walk_forward", "retrain on rolling windows and report out of sample beside baselines"),
    ("report", "stgnn.cli.report", "rebuild a finished walk-forward's report from its run directory"),
    ("study", "stgnn.cli.study", "does the graph help? graph variants against temporal-only over the same folds"),
    ("signal", "stgnn.cli.signal",
     "is there signal? feature sets x labels, the STGNN beside LightGBM and momentum, same folds"),
    ("sweep", "stgnn.cli.sweep", "focal-gamma sweep, the best gamma chosen on validation"),
    ("ablation", "stgnn.cli.ablation",
     "the full model against one change at a time: loss, SMOTE, class weights, sampler, graph"),
    ("benchmark", "stgnn.cli.benchmark",
     "throughput, latency, wall time and memory (--device cuda: the GPU against the CPU)"),
    ("data", "stgnn.cli.data", "inspect a data source"),
    ("config", "stgnn.cli.config", "every config key with its default and help, or a config file resolved"),
    ("predict", "stgnn.cli.predict", "score the latest window of a panel with a saved model"),
    ("ledger", "stgnn.cli.ledger", "the prediction ledger of predict --ledger"),
    ("export", "stgnn.cli.export", "write a torch.export artefact with scaler, graph and thresholds"),
    ("export-factor", "stgnn.cli.export_factor",
     "a walk-forward's out-of-sample scores and prices for alphalens' tear sheets"),
)
"""Each command: its name, its module and its one-line help in ``stgnn --help``."""


def build_parser(argv: Sequence[str] = ()) -> Parser:
    """The ``stgnn`` parser for ``argv``: every command is listed, and the one ``argv`` names (if
    any) is imported and gets its flags, its module docstring as description and its handler."""
    parser = Parser(prog="stgnn", description="Spatio-temporal GNN for stock movements: train, walk forward, "
                                              "research, and score with a saved model.")
    parser.add_argument("--version", action="version", version=f"stgnn {version()}")
    add_verbose_flag(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    named = command_in(argv)
    for name, module, text in COMMANDS:
        command = commands.add_parser(name, help=text)
        if name == named:
            _fill(command, importlib.import_module(module))
    return parser


def command_in(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names: its first word that is not an option (no top-level option takes
    a value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def _fill(parser: argparse.ArgumentParser, module: ModuleType) -> None:
    parser.description = module.__doc__
    module.add_arguments(parser)
    parser.set_defaults(handler=module.run)
    _accept_verbose(parser)


def _accept_verbose(parser: argparse.ArgumentParser) -> None:
    """``-v`` after the command too, at every level (``stgnn data summary ... -v``). The default is
    suppressed, so that a ``-v`` given before the command is not undone."""
    if "--verbose" not in parser._option_string_actions:
        add_verbose_flag(parser, default=argparse.SUPPRESS)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _accept_verbose(sub)


def version() -> str:
    """The installed package's version; the source tree's where stgnn runs uninstalled."""
    try:
        return importlib.metadata.version("stgnn")
    except importlib.metadata.PackageNotFoundError:
        return f"{stgnn.__version__} (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    configure_logging(args.verbose)
    return guarded(lambda: args.handler(args))


def script(command: str) -> Callable[[list[str] | None], int]:
    """The ``main`` of a repository script: ``stgnn COMMAND`` with the script's arguments."""
    def script_main(argv: list[str] | None = None) -> int:
        return main([command, *(sys.argv[1:] if argv is None else argv)])
    return script_main
