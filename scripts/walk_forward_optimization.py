"""Walk-forward optimization: retrain the STGNN on rolling windows, tune on each fold's validation
window, predict its test window once, and report out-of-sample results beside baselines.

    python scripts/walk_forward_optimization.py --train-days 756 --val-days 126 --test-days 126 --folds 4

The same as ``stgnn walk-forward`` (the command an installed package has): same flags, same code.
"""

from stgnn.cli import script

main = script("walk-forward")

if __name__ == "__main__":
    raise SystemExit(main())
