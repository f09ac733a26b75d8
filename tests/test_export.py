"""An export serves what its checkpoint does: stgnn predict accepts it and makes the same calls, and
its own prices-to-calls path needs torch, numpy and pandas only."""

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import stgnn.exported
from stgnn.checkpoint import build_checkpoint, load_checkpoint, model_id, save_checkpoint
from stgnn.cli import main
from stgnn.data.panel import build_panel
from stgnn.exported import load_exported
from stgnn.inference import score_latest
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


def _calls(capfd, model: Path, out: Path) -> tuple[pd.DataFrame, str]:
    code = main(["predict", "--checkpoint", str(model), "--out", str(out)])
    err = capfd.readouterr().err
    assert code == 0, err
    return pd.read_csv(out, keep_default_na=False).set_index("ticker").sort_index(), err


PROBA = ["p_down", "p_none", "p_up"]


def test_predict_accepts_an_export_and_makes_its_checkpoints_calls(exported, tmp_path, capfd):
    """The export directory, or its model.pt2: the same probabilities, calls and model id."""
    _, out = exported
    checkpoint = out.parent / "model.pt"
    expected, _ = _calls(capfd, checkpoint, tmp_path / "checkpoint.csv")
    for model in (out, out / "model.pt2"):
        calls, err = _calls(capfd, model, tmp_path / "export.csv")
        assert f"model {model_id(checkpoint)} ({model})" in err
        np.testing.assert_allclose(calls[PROBA], expected[PROBA], atol=1e-5)
        assert (calls["call"] == expected["call"]).all() and (calls.index == expected.index).all()


def test_an_export_goes_from_prices_to_the_calls_of_predict(exported):
    """ExportedModel.predict_prices on prices with gaps (T001 misses two days, filled; T000 its last
    six, absent after the fifth): stgnn's calls from the panel of the same prices."""
    trainer, out = exported
    close = trainer.data.panel.close.copy()
    close.iloc[-4:-2, 1] = close.iloc[-6:, 0] = np.nan
    data = trainer.config.data
    panel = build_panel({"close": close}, origin="toy", max_ffill=data.max_ffill, min_history=data.min_history)
    expected = score_latest(load_checkpoint(out.parent / "model.pt"), panel).frame.set_index("ticker")
    calls = load_exported(out).predict_prices({"close": close}).set_index("ticker")
    assert sorted(calls.index) == sorted(expected.index) == trainer.data.tickers[1:]
    calls = calls.loc[expected.index]
    np.testing.assert_allclose(calls[PROBA], expected[PROBA], atol=1e-5)
    assert (calls["call"] == expected["call"]).all()


def test_serving_needs_torch_numpy_and_pandas_only(exported, tmp_path):
    """exported.py copied alone, with stgnn, torch-geometric, pydantic, scikit-learn and yaml out of
    reach: the calls predict_prices makes in stgnn's process."""
    trainer, out = exported
    shutil.copy(stgnn.exported.__file__, tmp_path / "served.py")
    prices = trainer.data.panel.close
    prices.to_csv(tmp_path / "close.csv")
    code = ("import sys; [sys.modules.__setitem__(m, None) for m in "
            "('stgnn', 'torch_geometric', 'pydantic', 'sklearn', 'yaml')]; import pandas as pd; "
            "from served import load_exported; "
            "close = pd.read_csv(sys.argv[2], index_col=0, parse_dates=True); "
            "load_exported(sys.argv[1]).predict_prices({'close': close}).to_csv(sys.argv[3], index=False)")
    proc = subprocess.run([sys.executable, "-c", code, str(out), str(tmp_path / "close.csv"),
                           str(tmp_path / "out.csv")], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    served = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    expected = load_exported(out).predict_prices({"close": prices})
    np.testing.assert_allclose(served[PROBA], expected[PROBA], atol=1e-6)
    assert served["call"].tolist() == expected["call"].tolist() and len(served) == 10


def test_export_errors(exported, tmp_path, capfd):
    _, out = exported
    assert main(["export", "--checkpoint", str(out.parent / "model.pt"), "--out", str(out)]) == 2
    (tmp_path / "junk.pt").write_bytes(b"junk")
    assert main(["export", "--checkpoint", str(tmp_path / "junk.pt"), "--out", str(tmp_path / "x")]) == 2
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "model.pt2").write_bytes(b"junk")
    assert main(["predict", "--checkpoint", str(tmp_path / "junk")]) == 2
    (tmp_path / "junk" / "manifest.json").write_text('{"format": 2, "program": "model.pt2"}')
    assert main(["predict", "--checkpoint", str(tmp_path / "junk" / "model.pt2")]) == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 4 and "not empty" in err[0] and "not a readable" in err[1]
    assert "has no manifest.json" in err[2] and "not a readable stgnn export" in err[3]


@pytest.mark.parametrize("kept", [1, 2], ids=["one-ticker", "two-unlinked"])
def test_a_day_graph_of_one_ticker_or_no_edge_scores_as_stgnn_does(exported, kept):
    """The program was traced on the full graph; a day whose usable tickers are one, or two with no
    edge between them, still gets the checkpoint's calls."""
    trainer, out = exported
    model = load_exported(out)
    linked = {tuple(sorted(pair)) for pair in model.edge_index.T.tolist()}
    n = len(model.tickers)
    keep = [0] if kept == 1 else next([i, j] for i in range(n) for j in range(i + 1, n) if (i, j) not in linked)
    data, close = trainer.config.data, trainer.data.panel.close.copy()
    close.iloc[-data.max_ffill - 1:, [i for i in range(n) if i not in keep]] = np.nan  # gone past the fill
    panel = build_panel({"close": close}, origin="toy", max_ffill=data.max_ffill, min_history=data.min_history)
    expected = score_latest(load_checkpoint(out.parent / "model.pt"), panel).frame.set_index("ticker")
    calls = model.predict_prices({"close": close}).set_index("ticker")
    assert sorted(calls.index) == sorted(expected.index) == [model.tickers[i] for i in keep]
    np.testing.assert_allclose(calls.loc[expected.index, PROBA], expected[PROBA], atol=1e-5)
