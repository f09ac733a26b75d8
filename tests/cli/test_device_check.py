"""``--device cuda`` on a machine without CUDA is refused before any data is loaded, by every
command that takes --device."""

import pytest
import torch

from stgnn.cli import main
from stgnn.training import run


@pytest.mark.parametrize("command", ["train", "walk-forward", "study", "signal", "sweep", "ablation", "benchmark"])
def test_an_absent_gpu_is_refused_before_any_data(command, tmp_path, monkeypatch, capsys):
    def no_loading(*args, **kwargs):
        raise AssertionError("data loaded before the device was checked")

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same on a machine with a GPU
    monkeypatch.setattr(run, "load_panel", no_loading)
    out = tmp_path / "out"
    where = ["--out", str(out)] if command == "benchmark" else ["--run-dir", str(out), "--source", "sp500"]
    assert main([command, "--device", "cuda", *where]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "torch sees no CUDA GPU; use --device cpu or auto" in err[0]
    assert not out.exists() and list(tmp_path.iterdir()) == []
