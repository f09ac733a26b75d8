"""Measurements behind ``scripts/benchmark.py``: throughput, latency, wall time and peak memory.

Each case runs in its own subprocess (``python -m stgnn.benchmark CASE ...``) so that its peak
resident memory is its own; the parent collects one JSON line per case. Timings are facts about
one machine, never assertions: the tests only check that the cases run and report.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from stgnn.config import Config, parse_config
from stgnn.data.dataset import prepare
from stgnn.data.sources import load_panel
from stgnn.training.trainer import ClassificationSTGNNTrainer
from stgnn.walkforward.optimizer import run_fold
from stgnn.walkforward.runner import plan_folds


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def synthetic_config(n_tickers: int, n_days: int = 1260, epochs: int = 3) -> Config:
    return parse_config({
        "data": {"source": "synthetic", "synthetic": {"n_tickers": n_tickers, "n_days": n_days, "cluster_size": 5}},
        "training": {"epochs": epochs, "patience": epochs},
        "walkforward": {"train_days": 756, "val_days": 126, "test_days": 126, "folds": 1,
                        "grid": {"loss.focal_gamma": [2.0]}, "baselines": []},
    })


class _EncoderCounter:
    """Counts node windows through the temporal encoder (to show each real window passes once)."""

    def __init__(self, model):
        self.nodes = 0
        model.encoder.register_forward_hook(self._hook)

    def _hook(self, module, inputs, output):
        if module.training:
            self.nodes += inputs[0].shape[0]


def case_train(config: Config) -> dict:
    """Training throughput (labelled samples per second) and encoder passes per real window."""
    data = prepare(load_panel(config.data), features=config.features, labels=config.labels,
                   window=config.model.window)
    trainer = ClassificationSTGNNTrainer(config, data, progress=False)
    started = time.perf_counter()
    result = trainer.fit()
    seconds = time.perf_counter() - started
    epochs = len(result.history)
    real = int((data.labels.y[trainer.split.train] >= 0).sum())
    day = trainer.split.test[:1]
    trainer.predict_proba(day)  # warm-up
    t0 = time.perf_counter()
    for _ in range(20):
        trainer.predict_proba(day)
    return {
        "n_tickers": len(data.tickers),
        "train_days": len(trainer.split.train),
        "epochs": epochs,
        "fit_seconds": round(seconds, 2),
        "samples_per_second": round((real + len(trainer.ego_)) * epochs / seconds, 1),
        "predict_one_day_ms": round((time.perf_counter() - t0) / 20 * 1000, 2),
    }


def case_encoder_passes(config: Config) -> dict:
    """Windows encoded in one epoch versus real ticker-days plus synthetic ego nodes."""
    data = prepare(load_panel(config.data), features=config.features, labels=config.labels,
                   window=config.model.window)
    trainer = ClassificationSTGNNTrainer(config.updated({"training.epochs": 1}), data, progress=False)
    trainer._fit_transforms()
    from stgnn.models.stgnn import STGNN

    trainer.model_ = STGNN(data.n_features, config.model)
    counter = _EncoderCounter(trainer.model_)
    criterion = trainer._make_loss()
    optimizer = torch.optim.AdamW(trainer.model_.parameters())
    trainer._train_epoch(criterion, optimizer, np.random.default_rng(0))
    real = len(trainer.split.train) * len(data.tickers)
    ego = len(trainer.ego_) * (trainer.graph_.k + 1)
    return {"encoded_windows": counter.nodes, "real_ticker_days": real, "ego_nodes": ego,
            "passes_per_real_window": round((counter.nodes - ego) / real, 4)}


def case_fold(config: Config) -> dict:
    """Wall time and peak memory of one walk-forward fold."""
    data = prepare(load_panel(config.data), features=config.features, labels=config.labels,
                   window=config.model.window)
    split = plan_folds(config, data)[0][-1]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        run_fold(config, data, split, 0, Path(tmp) / "fold")
    return {"n_tickers": len(data.tickers), "n_days": len(data.dates), "fold_seconds": round(time.perf_counter() - started, 2)}


CASES = {"train": case_train, "encoder_passes": case_encoder_passes, "fold": case_fold}


def run_case(case: str, config: Config, *, timeout: float = 3600) -> dict:
    """Run one case in a fresh interpreter; its result, its own peak RSS, and ``other_load``: the
    cores other processes kept busy meanwhile (on Linux; None elsewhere). Other work on the cores
    slows torch's threads far more than in proportion, so a timing taken beside it says so."""
    busy0, own0, t0 = _busy_cpu_seconds(), _children_cpu_seconds(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "stgnn.benchmark", case, json.dumps(config.model_dump(mode="json"))],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark case {case} failed: {proc.stderr.strip().splitlines()[-1:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    busy1 = _busy_cpu_seconds()
    others = None if busy0 is None else busy1 - busy0 - (_children_cpu_seconds() - own0)
    result["other_load"] = None if others is None else round(max(others, 0.0) / (time.perf_counter() - t0), 2)
    return result


def _busy_cpu_seconds() -> float | None:
    """CPU seconds all processes have spent busy since boot (Linux ``/proc/stat``)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _main(argv: list[str]) -> None:
    case, tree = argv[0], json.loads(argv[1])
    result = CASES[case](parse_config(tree))
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(result))


if __name__ == "__main__":
    _main(sys.argv[1:])
