"""``python -m stgnn``: ``data summary`` (and more subcommands as they land)."""

from __future__ import annotations

from stgnn.cli.args import Parser, add_data_flags, configure_logging, guarded
from stgnn.cli import data as data_cmd


def build_parser() -> Parser:
    parser = Parser(prog="stgnn", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    data = commands.add_parser("data", help="inspect a data source")
    data_sub = data.add_subparsers(dest="data_command", required=True, parser_class=Parser)
    summary = data_sub.add_parser("summary", help="tickers, dates, dropped rows and class balance")
    add_data_flags(summary)
    summary.set_defaults(handler=data_cmd.summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    return guarded(lambda: args.handler(args))
