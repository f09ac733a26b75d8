"""``stgnn export``: a self-contained artefact for production inference."""

from __future__ import annotations

import argparse

from stgnn.checkpoint import load_checkpoint
from stgnn.export import export_model


def export(args: argparse.Namespace) -> int:
    out = export_model(load_checkpoint(args.checkpoint), args.out)
    print(f"exported {args.checkpoint} to {out} (model.pt2 + manifest.json); "
          "load with stgnn.exported.load_exported(dir)")
    return 0
