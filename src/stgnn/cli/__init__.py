"""The ``stgnn`` command (also ``python -m stgnn``): one subcommand per module of this package,
each with ``add_arguments(parser)`` and ``run(args)``. The repository's scripts are these commands
under the names users know (:func:`script`), so both parse the same flags and run the same code."""

from __future__ import annotations

import sys
from typing import Callable

from stgnn.cli import (
    ablation,
    benchmark,
    data,
    export,
    export_factor,
    ledger,
    predict,
    report,
    signal,
    study,
    sweep,
    train,
    walk_forward,
)
from stgnn.cli.args import Parser, add_verbose_flag, configure_logging, guarded

COMMANDS = (
    ("train", train, "train on one chronological split and write a run directory"),
    ("walk-forward", walk_forward, "retrain on rolling windows and report out of sample beside baselines"),
    ("report", report, "rebuild a finished walk-forward's report from its run directory"),
    ("study", study, "does the graph help? graph variants against temporal-only over the same folds"),
    ("signal", signal, "is there signal? feature sets x labels, the STGNN beside LightGBM and momentum, same folds"),
    ("sweep", sweep, "focal-gamma sweep, the best gamma chosen on validation"),
    ("ablation", ablation, "the full model against one change at a time: loss, SMOTE, class weights, sampler, graph"),
    ("benchmark", benchmark, "throughput, latency, wall time and memory (--device cuda: the GPU against the CPU)"),
    ("data", data, "inspect a data source"),
    ("predict", predict, "score the latest window of a panel with a saved model"),
    ("ledger", ledger, "the prediction ledger of predict --ledger"),
    ("export", export, "write a torch.export artefact with scaler, graph and thresholds"),
    ("export-factor", export_factor, "a walk-forward's out-of-sample scores and prices for alphalens' tear sheets"),
)


def build_parser() -> Parser:
    parser = Parser(prog="stgnn", description="Spatio-temporal GNN for stock movements: train, walk forward, "
                                              "research, and score with a saved model.")
    add_verbose_flag(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, module, text in COMMANDS:
        command = commands.add_parser(name, help=text, description=module.__doc__)
        module.add_arguments(command)
        command.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    return guarded(lambda: args.handler(args))


def script(command: str) -> Callable[[list[str] | None], int]:
    """The ``main`` of a repository script: ``stgnn COMMAND`` with the script's arguments."""
    def script_main(argv: list[str] | None = None) -> int:
        return main([command, *(sys.argv[1:] if argv is None else argv)])
    return script_main
