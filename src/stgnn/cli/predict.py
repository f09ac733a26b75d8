"""Score the latest window of a panel with a saved model (a checkpoint or an export), optionally
into a prediction ledger."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stgnn.cli.args import DATA_FLAGS, add_flags, add_from_run_flag, config_overrides
from stgnn.data.labels import rule_text
from stgnn.data.sources import load_panel
from stgnn.errors import StgnnError
from stgnn.inference import ServedModel, load_model, score_latest
from stgnn.io import atomic_write
from stgnn.ledger import WalkForwardRecord, append_calls, ledger_rows
from stgnn.reporting.report import format_interval
from stgnn.runs import RunDir, last_window_day


def add_arguments(parser: argparse.ArgumentParser) -> None:
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument("--checkpoint", help="a model.pt (of a training run, or of a walk-forward's fold), or an "
                                            "export directory (stgnn export --out) or its model.pt2")
    add_from_run_flag(model, "a walk-forward run directory: its final model, with its windows and out-of-sample "
                             "figures")
    parser.add_argument("--out", metavar="CSV", help="also write the table to this csv file")
    parser.add_argument("--ledger", type=Path, metavar="CSV",
                        help="append the calls to this prediction ledger csv (a rerun replaces that day's calls)")
    # Window, horizon and thresholds are the checkpoint's: only where the prices come from is asked.
    add_flags(parser, "data (default: the checkpoint's)", DATA_FLAGS, show_defaults=False)


def run(args: argparse.Namespace) -> int:
    record = WalkForwardRecord.load(args.from_run) if args.from_run else None
    path = Path(args.checkpoint) if args.checkpoint else _final_model(args.from_run)
    model = load_model(path)
    config = model.config.updated(config_overrides(args))
    scores = score_latest(model, load_panel(config.data), config=config)
    frame = scores.frame
    day = frame["date"].iloc[0]
    print(f"calls made on {day} (the panel's last date), labels {rule_text(config.labels)}; "
          f"model {model.model_id} ({path})", file=sys.stderr)
    if record is not None:
        for line in _expectations(record):
            print(line, file=sys.stderr)
    if model.windows and day <= last_window_day(model.windows):
        print(f"warning: {_not_live(day, model)}", file=sys.stderr)
    for line in scores.rule_lines():
        print(line, file=sys.stderr)
    for ticker, why in scores.skipped.items():
        print(f"skipped {ticker}: {why}", file=sys.stderr)
    if args.out:
        atomic_write(args.out, lambda tmp: frame.to_csv(tmp, index=False))
    if args.ledger:
        append_calls(args.ledger, ledger_rows(frame, model.model_id, config, args.from_run, windows=model.windows))
        print(f"{len(frame)} calls written to the ledger {args.ledger}", file=sys.stderr)
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def _not_live(day: str, model: ServedModel) -> str:
    windows = ", ".join(f"{name} {part['first']} to {part['last']}" for name, part in model.windows.items())
    return (f"{day} is inside this model's own windows ({windows}): these calls are not live but a backtest "
            "day; the ledger marks them live=no and leaves them out of its live figures")


def _final_model(run_dir: Path) -> Path:
    run = RunDir(run_dir)
    if not run.final_done:
        raise StgnnError(f"{run_dir} has no final model ({run.final_info.name}): its walk-forward ran with "
                         f"--no-final-model; pass --checkpoint {run.fold(0).checkpoint} (or another fold's) instead.")
    return run.checkpoint


def _expectations(record: WalkForwardRecord) -> list[str]:
    """What a reader should expect of these calls: the final model's windows and choices, and the
    out-of-sample figures of the walk-forward that chose it by the same rules."""
    final = RunDir(record.run_dir).read_final_info()
    split = final["split"]
    first, last = record.period
    return [
        f"trained on {split['train']['first']} to {split['train']['last']}, validated on {split['val']['first']} to "
        f"{split['val']['last']}; chosen {json.dumps(final['chosen'])}",
        f"walk-forward out of sample {first} to {last} (95% intervals): macro-F1 "
        f"{format_interval(record.interval('macro_f1'))}, Rank IC {format_interval(record.interval('rank_ic'))}",
    ]
