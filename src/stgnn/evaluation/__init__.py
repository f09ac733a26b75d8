"""Judging predictions: metrics, block-bootstrap intervals and the backtest.

Everything here is a function of prediction frames and return series, so training, the
walk-forward, research, reporting and the ledger score with one set of functions; it imports
none of them."""
