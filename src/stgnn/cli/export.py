"""A self-contained artefact for production inference: the model as torch.export, with the scaler,
graph and thresholds it needs."""

from __future__ import annotations

import argparse

from stgnn.checkpoint import load_checkpoint
from stgnn.export import export_model


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="model.pt of a run directory")
    parser.add_argument("--out", required=True, help="a new directory for the artefact")


def run(args: argparse.Namespace) -> int:
    out = export_model(load_checkpoint(args.checkpoint), args.out)
    print(f"exported {args.checkpoint} to {out} (model.pt2 + manifest.json); "
          "load with stgnn.exported.load_exported(dir)")
    return 0
