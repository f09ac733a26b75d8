"""Train the STGNN on one chronological train / val / test split (purge gaps between them),
tune decision thresholds on validation, evaluate on test and write a run directory.

    python scripts/train_stgnn_improved.py --epochs 10 --focal-gamma 2 --run-dir runs/try1

The same as ``stgnn train`` (the command an installed package has): same flags, same code.
"""

from stgnn.cli import script

main = script("train")

if __name__ == "__main__":
    raise SystemExit(main())
