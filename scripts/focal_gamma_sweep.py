"""Focal-gamma sweep: one experiment per gamma, each with thresholds tuned on its own validation
predictions, collated into comparison.csv / comparison.md with the best gamma for a priority,
chosen on validation (the test or out-of-sample columns are for reading only).

    python scripts/focal_gamma_sweep.py --gammas 1 2 3 4 --start 2010-01-01 --run-dir runs/gamma

The same as ``stgnn sweep`` (the command an installed package has): same flags, same code.
"""

from stgnn.cli import script

main = script("sweep")

if __name__ == "__main__":
    raise SystemExit(main())
