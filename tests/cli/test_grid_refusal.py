"""A grid key one run cannot vary stops the walk-forward script before any data is read."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "walk_forward_optimization.py"


def _script():
    spec = importlib.util.spec_from_file_location("walk_forward_script", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


@pytest.mark.parametrize("from_file", [False, True], ids=["flag", "yaml"])
def test_a_refused_grid_key_is_one_line_exit_2(from_file, tmp_path, capsys):
    grid = {"loss.focal_gamma": [2.0], "model.window": [5, 40]}
    if from_file:
        config = tmp_path / "config.yaml"
        config.write_text(f"walkforward:\n  grid: {json.dumps(grid)}\n")
        argv = ["--config", str(config)]
    else:
        argv = ["--grid", json.dumps(grid)]
    assert _script().main([*argv, "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "grid key model.window is refused" in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "run").exists()
