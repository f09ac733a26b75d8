"""The research notebooks run top to bottom; a failing cell fails the test.

Notebooks 01-03 are committed without outputs. Notebooks 04 and 05 are committed with the outputs
they show for the committed S&P 500 studies (``results/sp500_study``, ``results/sp500_signal``), so
a reader sees them without running them; the tests run each on a tiny synthetic study
(``RUN_DIR = None`` after its parameters cell) and check that its committed outputs are what the
current code makes of the committed results.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
WITH_OUTPUTS = {"04_sp500_results.ipynb", "05_signal.ipynb"}
TEXT_OUTPUTS = ("text/html", "text/markdown")  # figures are compared by presence: PNG bytes vary with matplotlib


def execute(nb, cwd: Path):
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    errors = [c.source for c in code_cells(nb) if any(o.get("output_type") == "error" for o in c.outputs)]
    assert not errors, f"failing cells: {errors}"
    return nb


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def with_parameters(nb, source: str):
    """Insert ``source`` after the cell tagged ``parameters`` (papermill's convention)."""
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(source))
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    if path.name in WITH_OUTPUTS:
        nb = with_parameters(nb, "RUN_DIR = None")
    execute(nb, tmp_path)


def test_outputs_committed_only_where_meant():
    assert [p.name for p in NOTEBOOKS] == ["01_data_and_graph.ipynb", "02_train_and_diagnose.ipynb", "03_walk_forward.ipynb",
                                           "04_sp500_results.ipynb", "05_signal.ipynb"]
    for path in NOTEBOOKS:
        cells = code_cells(nbformat.read(path, as_version=4))
        outputs = [c.get("outputs") for c in cells]
        if path.name in WITH_OUTPUTS:
            shown = [o for c, o in zip(cells[1:], outputs[1:]) if "parameters" not in c.metadata.get("tags", [])]
            assert all(shown), f"{path.name}: every cell after the imports and parameters should show its output"
        else:
            assert not any(outputs), f"{path.name} has outputs"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(WITH_OUTPUTS))
def test_committed_outputs_are_current(name):
    committed = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    fresh = execute(nbformat.read(NOTEBOOK_DIR / name, as_version=4), NOTEBOOK_DIR)
    for old, new in zip(code_cells(committed), code_cells(fresh), strict=True):
        assert [sorted(o.get("data", {})) for o in old.outputs] == [sorted(o.get("data", {})) for o in new.outputs]
        for a, b in zip(old.outputs, new.outputs):
            for kind in TEXT_OUTPUTS:
                assert a.get("data", {}).get(kind) == b.get("data", {}).get(kind), (
                    f"{name}: stale output of {old.source[:40]!r}; refresh it with `make notebook-results`")
