import logging
import subprocess
import sys

import numpy as np
import pytest

from stgnn.checkpoint import build_checkpoint, save_checkpoint
from stgnn.cli import main
from stgnn.exported import load_exported
from stgnn.training.fold import FoldFitter
from stgnn.training.run import single_split
from stgnn.training.trainer import ClassificationSTGNNTrainer

pytestmark = pytest.mark.slow


@pytest.fixture(params=[{}, {"model.conv": "gcn"}, {"model.graph": False}], ids=["gat", "gcn", "no-graph"])
def exported(request, tiny, tmp_path, capfd, caplog):
    config, data = tiny
    config = config.updated({"training.epochs": 1, **request.param})
    split = single_split(config, data)
    trainer = ClassificationSTGNNTrainer(config, FoldFitter(config).fit(data, split.train), split, progress=False)
    trainer.fit()
    thresholds = {"down": 0.3, "up": 0.3, "objective": "macro_f1", "value": 0.0, "feasible": True}
    save_checkpoint(build_checkpoint(trainer.model_, config, trainer.fold, trainer.plan_, thresholds),
                    tmp_path / "model.pt")
    capfd.readouterr()
    caplog.clear()
    assert main(["export", "--checkpoint", str(tmp_path / "model.pt"), "--out", str(tmp_path / "export")]) == 0
    out, err = capfd.readouterr()
    # Our line only: no torch warning on stderr, nor logged (a user's run prints the log on stderr).
    assert out.startswith("exported ") and err == ""
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    return trainer, tmp_path / "export"


def test_export_reproduces_the_checkpoint(exported):
    trainer, out = exported
    model = load_exported(out)
    day = int(trainer.split.test[0])
    window = trainer.data.features.values[day - trainer.config.model.window + 1: day + 1]
    proba, calls = model.predict(window)
    np.testing.assert_allclose(proba, trainer.predict_proba(np.array([day]))[0], atol=1e-5)
    assert len(calls) == len(trainer.data.tickers) and set(calls) <= {"Down", "None", "Up"}


def test_serving_needs_no_torch_geometric(exported):
    _, out = exported
    code = ("import sys; sys.modules['torch_geometric'] = None; import numpy as np; "
            "from stgnn.exported import load_exported; m = load_exported(sys.argv[1]); "
            "w = np.zeros((m.manifest['window'], len(m.tickers), len(m.manifest['features']))); "
            "print(m.probabilities(w).shape)")
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "(10, 3)" in proc.stdout


def test_export_errors(exported, tmp_path, capfd):
    _, out = exported
    assert main(["export", "--checkpoint", str(out.parent / "model.pt"), "--out", str(out)]) == 2
    (tmp_path / "junk.pt").write_bytes(b"junk")
    assert main(["export", "--checkpoint", str(tmp_path / "junk.pt"), "--out", str(tmp_path / "x")]) == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "not empty" in err[0] and "not a readable" in err[1]
