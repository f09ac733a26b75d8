"""``python -m stgnn``: ``data summary``, ``predict``, ``ledger score`` and ``export``."""

from __future__ import annotations

from pathlib import Path

from stgnn.cli import data as data_cmd
from stgnn.cli import export as export_cmd
from stgnn.cli import ledger as ledger_cmd
from stgnn.cli import predict as predict_cmd
from stgnn.cli.args import DATA_FLAGS, LABEL_FLAGS, Parser, add_config_file_flag, add_flags, configure_logging, guarded


def build_parser() -> Parser:
    parser = Parser(prog="stgnn", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    data = commands.add_parser("data", help="inspect a data source")
    data_sub = data.add_subparsers(dest="data_command", required=True, parser_class=Parser)
    summary = data_sub.add_parser("summary", help="tickers, dates, dropped rows and class balance")
    add_config_file_flag(summary)
    add_flags(summary, "data", DATA_FLAGS + LABEL_FLAGS)
    summary.set_defaults(handler=data_cmd.summary)
    predict = commands.add_parser("predict", help="score the latest window of a panel with a saved model")
    model = predict.add_mutually_exclusive_group(required=True)
    model.add_argument("--checkpoint", help="a model.pt: of a training run, or of a walk-forward's fold")
    model.add_argument("--run-dir", type=Path,
                       help="a walk-forward run: its final model, with its windows and out-of-sample figures")
    predict.add_argument("--out", help="also write the table to this csv")
    predict.add_argument("--ledger", type=Path,
                         help="append the calls to this prediction ledger (a rerun replaces that day's calls)")
    # Window, horizon and thresholds are the checkpoint's: only where the prices come from is asked.
    add_flags(predict, "data (default: the checkpoint's)", DATA_FLAGS, show_defaults=False)
    predict.set_defaults(handler=predict_cmd.predict)
    ledger = commands.add_parser("ledger", help="the prediction ledger of predict --ledger")
    ledger_sub = ledger.add_subparsers(dest="ledger_command", required=True, parser_class=Parser)
    score = ledger_sub.add_parser("score", help="fill in outcomes once prices for t + h exist; live figures beside "
                                                "the walk-forward's intervals")
    score.add_argument("ledger", type=Path, help="the ledger csv")
    score.add_argument("--run-dir", type=Path,
                       help="walk-forward run to compare with, for models whose rows record none")
    score.add_argument("--out", type=Path, help="also write the figures to this json")
    add_flags(score, "data (the prices to score against)", DATA_FLAGS)
    score.set_defaults(handler=ledger_cmd.score)
    export = commands.add_parser("export", help="write a torch.export artefact with scaler, graph and thresholds")
    export.add_argument("--checkpoint", required=True, help="model.pt of a run directory")
    export.add_argument("--out", required=True, help="a new directory for the artefact")
    export.set_defaults(handler=export_cmd.export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    return guarded(lambda: args.handler(args))
