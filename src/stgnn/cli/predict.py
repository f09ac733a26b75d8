"""``stgnn predict``: score the latest window of a panel with a saved model."""

from __future__ import annotations

import argparse
import sys

from stgnn.checkpoint import load_checkpoint
from stgnn.cli.args import config_overrides
from stgnn.config import Config
from stgnn.data.sources import load_panel
from stgnn.inference import score_latest
from stgnn.io import atomic_write


def predict(args: argparse.Namespace) -> int:
    ckpt = load_checkpoint(args.checkpoint)
    saved = Config.model_validate(ckpt["config"])
    config = saved.updated(config_overrides(args))
    scores = score_latest(ckpt, load_panel(config.data), config=config)
    frame = scores.frame
    for ticker, why in scores.skipped.items():
        print(f"skipped {ticker}: {why}", file=sys.stderr)
    if args.out:
        atomic_write(args.out, lambda tmp: frame.to_csv(tmp, index=False))
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0
