"""Does the graph help? Temporal-only against correlation, residual and sector graphs, on raw and
universe-relative labels, over the same walk-forward folds; writes results.csv / .json / .md.

    python scripts/graph_study.py --config configs/sp500_study.yaml --run-dir runs/study --workers 2
    python scripts/graph_study.py --config configs/sp500_study.yaml --run-dir runs/study --resume

The same as ``stgnn study`` (the command an installed package has): same flags, same code.
"""

from stgnn.cli import script

main = script("study")

if __name__ == "__main__":
    raise SystemExit(main())
