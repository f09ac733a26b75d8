"""Run directories: every file a run writes, named in one place, and ``metrics.json``'s schema.

A walk-forward run::

    config.yaml          the resolved config (resume checks it)
    folds.csv            the fold table
    folds/fold_XX/       test_<model>.csv per model, model.pt, fold.json (written last: done)
    model.pt, final.json the final model and its windows (final.json last: done)
    oos_predictions.csv  the model's stitched test predictions; baselines/<name>_oos.csv theirs
    metrics.json, equity.csv, turnover.csv, report.md, report.html, figures/
    sectors.csv          ticker,sector of the run's tickers, where sectors are known

A single split's run (``stgnn train``) shares the names it has (config.yaml, model.pt,
metrics.json) and adds train.log, history.json, val_pred_scores.npz, optimal_thresholds.json,
test_predictions.csv, graph.json and its figures beside them. Research commands write their tables beside the runs they hold.

``metrics.json`` carries :data:`SCHEMA`; :meth:`RunDir.read_metrics` refuses another with one
line, so a reader never meets keys it does not know.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from stgnn.errors import StgnnError
from stgnn.evaluation.metrics import labelled
from stgnn.io import write_json

MODEL = "stgnn"
"""The model's name among the predictions of a run (its baselines go by theirs)."""

SCHEMA = 2
"""Version of ``metrics.json`` this code writes and reads (2: test rows without labels, schema field)."""


@dataclass(frozen=True)
class FoldDir:
    """One fold's files: its test predictions per model, its models, and ``fold.json``."""

    root: Path

    @property
    def info(self) -> Path:
        """``fold.json``: the fold's windows and choices, written last."""
        return self.root / "fold.json"

    @property
    def checkpoint(self) -> Path:
        return self.root / "model.pt"

    @property
    def done(self) -> bool:
        return self.info.is_file()

    def test(self, name: str) -> Path:
        """Test predictions of model ``name`` (:data:`MODEL` or a baseline)."""
        return self.root / f"test_{name}.csv"

    def read_info(self) -> dict:
        return json.loads(self.info.read_text())


def model_windows(checkpoint: str | Path) -> dict | None:
    """The date windows (``train``/``val``/``test``, each ``first``, ``last``, ``days``) a run's
    ``model.pt`` was fitted, tuned and tested on, read from the file its run wrote beside it: a
    fold's ``fold.json``, a walk-forward's ``final.json`` (no test window), a single split's
    ``metrics.json``. None for a checkpoint away from its run's files."""
    checkpoint = Path(checkpoint)
    fold, run = FoldDir(checkpoint.parent), RunDir(checkpoint.parent)
    if checkpoint.name != fold.checkpoint.name:
        return None
    for info in (fold.info, run.final_info, run.metrics):
        if info.is_file():
            try:
                return json.loads(info.read_text()).get("split")
            except (json.JSONDecodeError, UnicodeDecodeError):
                return None
    return None


def last_window_day(windows: dict) -> str:
    """The last date of a model's windows (``YYYY-MM-DD``): its calls are live after it only."""
    return max(part["last"] for part in windows.values())


@dataclass(frozen=True)
class RunDir:
    """A run directory's paths, and ``metrics.json`` read and written with its schema."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def fold_table(self) -> Path:
        return self.root / "folds.csv"

    def fold(self, index: int) -> FoldDir:
        return FoldDir(self.root / "folds" / f"fold_{index:02d}")

    @property
    def checkpoint(self) -> Path:
        """The run's model: a walk-forward's final model, or a single split's."""
        return self.root / "model.pt"

    @property
    def final_info(self) -> Path:
        """The final model's windows and choices, written after its checkpoint."""
        return self.root / "final.json"

    @property
    def final_done(self) -> bool:
        return self.final_info.is_file()

    def read_final_info(self) -> dict:
        return json.loads(self.final_info.read_text())

    def oos(self, name: str) -> Path:
        """Stitched out-of-sample predictions of model ``name`` (:data:`MODEL` or a baseline)."""
        return self.root / "oos_predictions.csv" if name == MODEL else self.root / "baselines" / f"{name}_oos.csv"

    def read_oos(self, name: str = MODEL) -> pd.DataFrame:
        """The labelled rows of a model's stitched predictions, without the ``fold`` column:
        what the metrics count."""
        return labelled(pd.read_csv(self.oos(name)).drop(columns="fold"))

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.json"

    @property
    def equity(self) -> Path:
        return self.root / "equity.csv"

    @property
    def turnover(self) -> Path:
        """Each book's turnover at each rebalance, columns as ``equity.csv``'s."""
        return self.root / "turnover.csv"

    @property
    def sectors(self) -> Path:
        """``ticker,sector`` of the run's tickers, where sectors are known (the report's per-sector figure)."""
        return self.root / "sectors.csv"

    @property
    def report_md(self) -> Path:
        return self.root / "report.md"

    @property
    def report_html(self) -> Path:
        return self.root / "report.html"

    def figure(self, name: str) -> Path:
        """A figure of the report (``name`` without its extension)."""
        return self.root / "figures" / f"{name}.png"

    @property
    def history(self) -> Path:
        """A single split's training history."""
        return self.root / "history.json"

    @property
    def log(self) -> Path:
        """A single split's log: the imbalance block, one line per epoch, the summary."""
        return self.root / "train.log"

    @property
    def val_scores(self) -> Path:
        """A single split's validation probabilities and labels (what its thresholds were tuned on)."""
        return self.root / "val_pred_scores.npz"

    def split_figure(self, name: str) -> Path:
        """A single split's figure, beside its files (``name`` without its extension)."""
        return self.root / f"{name}.png"

    @property
    def thresholds(self) -> Path:
        return self.root / "optimal_thresholds.json"

    @property
    def test_predictions(self) -> Path:
        """A single split's test predictions."""
        return self.root / "test_predictions.csv"

    @property
    def graph(self) -> Path:
        return self.root / "graph.json"

    @property
    def finished(self) -> bool:
        """Has a config and metrics: something to report, track or compare."""
        return self.config.is_file() and self.metrics.is_file()

    def write_metrics(self, metrics: dict) -> dict:
        """Write ``metrics`` with :data:`SCHEMA` first; returns what was written."""
        metrics = {"schema": SCHEMA, **metrics}
        write_json(self.metrics, metrics)
        return metrics

    def read_metrics(self) -> dict:
        """``metrics.json``, refused with one line if missing or of another schema."""
        if not self.metrics.is_file():
            raise StgnnError(f"{self.root} has no {self.metrics.name}: not a finished run directory.")
        metrics = json.loads(self.metrics.read_text())
        if metrics.get("schema") != SCHEMA:
            raise StgnnError(f"{self.metrics} has schema {metrics.get('schema', 1)}, this stgnn reads {SCHEMA}: "
                             "rerun the run (or read it with the stgnn that wrote it).")
        return metrics
