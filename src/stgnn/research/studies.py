"""What every research study shares: a resumable walk-forward per row, the choice made on
validation alone, the table's interval columns, and the commit the results came from."""

from __future__ import annotations

import logging
import math
import subprocess
from pathlib import Path

import pandas as pd

from stgnn.config import Config
from stgnn.data.dataset import PanelData
from stgnn.errors import ConfigError
from stgnn.reporting import plots
from stgnn.reporting.report import format_interval
from stgnn.runs import RunDir
from stgnn.walkforward.runner import WalkForwardResult, run_walk_forward

logger = logging.getLogger(__name__)


def check_run_dir(run_dir: Path, resume: bool) -> None:
    """Refuse to write a new study over an old one's files."""
    if not resume and run_dir.exists() and any(run_dir.iterdir()):
        raise ConfigError(f"Run directory {run_dir} exists and is not empty; pass a new --run-dir or --resume it.")


def walk_forward_row(config: Config, data: PanelData, out: Path, resume: bool,
                     execution: dict | None) -> WalkForwardResult:
    """One study row's walk-forward; resumed where it has started (its config.yaml is written first)."""
    result = run_walk_forward(config, data, out, resume=resume and RunDir(out).config.is_file(),
                              **(execution or {}))
    logger.info("%s: OOS macro-F1 %.4f, Rank IC %.4f", out, result.metrics["oos"]["macro_f1"],
                result.metrics["oos"]["rank_ic"])
    return result


def choose_on_validation(scores: dict) -> object:
    """The key with the highest validation score (ties: the first listed).

    Only validation scores are passed in, so no test row can take part in the choice: a variant
    chosen on the test rows would be scored on the rows that chose it."""
    if not scores:
        raise ValueError("Expected at least one validation score, got none.")
    return max(scores, key=lambda name: scores[name])


def num(value) -> float:
    """A metric as a float; NaN where it is undefined or absent (null in JSON)."""
    return math.nan if value is None else float(value)


def bounds(name: str, interval: dict) -> dict:
    """``name_lo`` and ``name_hi`` of an interval dict (NaN where absent)."""
    return {f"{name}_lo": num(interval.get("lo")), f"{name}_hi": num(interval.get("hi"))}


def excludes_zero(row: pd.Series, name: str) -> bool:
    """The 95% interval lies wholly above or below 0 (False where undefined)."""
    return bool(row[f"{name}_lo"] > 0 or row[f"{name}_hi"] < 0)


def interval_text(row: pd.Series, name: str) -> str:
    """``estimate [lo, hi]`` of a table column (a ``d_`` difference signed), as the report writes it."""
    key = "diff" if name.startswith("d_") else "value"
    return format_interval({key: row[name], "lo": row[f"{name}_lo"], "hi": row[f"{name}_hi"]})


def forest_figure(table: pd.DataFrame, path: Path, *, rows: pd.Series, panels: dict[str, str], title: str) -> Path:
    """The study's figure: one panel per ``panels`` item (title: column with its ``_lo``/``_hi``
    bounds), each of the table's rows (named by ``rows``) a point with its 95% interval, 0 dashed."""
    long = pd.concat([pd.DataFrame({"panel": name, "row": rows.to_numpy(), "value": table[column].to_numpy(),
                                    "lo": table[f"{column}_lo"].to_numpy(), "hi": table[f"{column}_hi"].to_numpy()})
                      for name, column in panels.items()], ignore_index=True)
    return plots.plot_forest(long, path, panel="panel", label="row", value="value", lo="lo", hi="hi",
                             nulls=dict.fromkeys(panels, 0.0), title=title)


def commit() -> dict:
    """The code's commit and whether the tree had uncommitted changes (then the hash alone does not
    pin the code); None where git or the repository is missing."""
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=here, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    head = git("rev-parse", "HEAD")
    status = git("status", "--porcelain") if head else None
    return {"commit": head, "commit_dirty": None if status is None else bool(status)}
