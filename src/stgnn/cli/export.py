"""A self-contained artefact for production inference: the model as torch.export, with the scaler,
features, graph, thresholds and panel rules it needs to go from prices to calls (torch, numpy and
pandas only; see stgnn.exported)."""

from __future__ import annotations

import argparse

from stgnn.checkpoint import load_checkpoint
from stgnn.export import export_model


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="model.pt of a run directory")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="a new directory to write the artefact into (model.pt2 + manifest.json)")


def run(args: argparse.Namespace) -> int:
    out = export_model(load_checkpoint(args.checkpoint), args.out, checkpoint=args.checkpoint)
    print(f"exported {args.checkpoint} to {out} (model.pt2 + manifest.json); stgnn predict --checkpoint {out} "
          "scores with it, and stgnn.exported.load_exported(dir) serves it")
    return 0
