"""Is there signal, and who finds it? basic / alpha158 / alpha360 features x threshold / quantile
labels, the STGNN beside LightGBM, logistic regression and momentum over the same walk-forward
folds; writes results.csv / .json / .md.

    python scripts/signal_study.py --config configs/sp500_signal.yaml --run-dir runs/signal --workers 2
    python scripts/signal_study.py --config configs/sp500_signal.yaml --run-dir runs/signal --resume

The same as ``stgnn signal`` (the command an installed package has): same flags, same code.
"""

from stgnn.cli import script

main = script("signal")

if __name__ == "__main__":
    raise SystemExit(main())
