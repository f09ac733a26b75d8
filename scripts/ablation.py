"""Ablations over the same walk-forward folds: focal vs cross entropy, SMOTE, class weights, the
balanced sampler and the graph, each with bootstrap intervals; writes ablation.csv / .md / .png.

    python scripts/ablation.py --folds 3 --run-dir runs/ablation

The same as ``stgnn ablation`` (the command an installed package has): same flags, same code.
"""

from stgnn.cli import script

main = script("ablation")

if __name__ == "__main__":
    raise SystemExit(main())
