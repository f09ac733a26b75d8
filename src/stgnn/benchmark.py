"""Measurements behind ``stgnn benchmark``: throughput, latency, wall time and peak memory.

Each case runs in its own subprocess (``python -m stgnn.benchmark CASE ...``) so that its peak
resident memory is its own; the parent collects one JSON line per case. Timings are facts about
one machine, never assertions: the tests only check that the cases run and report.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from stgnn.config import Config, parse_config
from stgnn.data.features import compute_features
from stgnn.data.sources import load_panel
from stgnn.device import resolve_device, start
from stgnn.evaluation.evaluate import intervals
from stgnn.evaluation.metrics import headline, labelled, prediction_metrics
from stgnn.models.a3tgcn import A3TGCN_MISSING, A3TGCNClassifier, load_a3tgcn
from stgnn.models.encoders import GRUEncoder, TCNEncoder
from stgnn.runs import MODEL, FoldDir
from stgnn.training.fold import FoldFitter
from stgnn.training.run import load_data, single_split
from stgnn.training.trainer import ClassificationSTGNNTrainer
from stgnn.walkforward.fold_run import run_fold
from stgnn.walkforward.runner import plan_folds


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def synthetic_config(n_tickers: int, n_days: int = 1260, epochs: int = 3, *, device: str = "cpu",
                     precision: str = "fp32", seeds: int = 1) -> Config:
    return parse_config({
        "data": {"source": "synthetic", "synthetic": {"n_tickers": n_tickers, "n_days": n_days, "cluster_size": 5}},
        "training": {"epochs": epochs, "patience": epochs, "device": device, "precision": precision},
        "walkforward": {"train_days": 756, "val_days": 126, "test_days": 126, "folds": 1, "seeds": seeds,
                        "grid": {"loss.focal_gamma": [2.0]}, "baselines": []},
    })


class _EncoderCounter:
    """Counts node windows through the temporal encoder in training mode (to show each real
    window passes once), with a global forward hook: the trainer is used as a user would."""

    def __enter__(self):
        self.nodes = 0
        self._handle = torch.nn.modules.module.register_module_forward_hook(self._hook)
        return self

    def __exit__(self, *exc):
        self._handle.remove()

    def _hook(self, module, inputs, output):
        if isinstance(module, (GRUEncoder, TCNEncoder)) and module.training:
            self.nodes += inputs[0].shape[0]


def _trainer(config: Config, **options) -> ClassificationSTGNNTrainer:
    """A trainer on the config's single split, its fold fitted; ``options`` go to the trainer."""
    data = load_data(config)
    split = single_split(config, data)
    return ClassificationSTGNNTrainer(config, FoldFitter(config).fit(data, split.train), split, progress=False,
                                      **options)


def case_train(config: Config) -> dict:
    """Training throughput (labelled samples per second) and one-day prediction latency."""
    trainer = _trainer(config)
    data, split = trainer.data, trainer.split
    started = time.perf_counter()
    result = trainer.fit()
    seconds = time.perf_counter() - started
    epochs = len(result.history)
    real = int((data.labels.y[split.train] >= 0).sum())
    day = split.test[:1]
    trainer.predict_proba(day)  # warm-up
    t0 = time.perf_counter()
    for _ in range(20):
        trainer.predict_proba(day)
    return {
        "n_tickers": len(data.tickers),
        "train_days": len(split.train),
        "epochs": epochs,
        "fit_seconds": round(seconds, 2),
        "samples_per_second": round((real + len(trainer.fold.ego)) * epochs / seconds, 1),
        "predict_one_day_ms": round((time.perf_counter() - t0) / 20 * 1000, 2),
    }


def case_train_epochs(config: Config) -> dict:
    """Seconds per epoch of our trainer on the config's single split, to set against
    :func:`case_a3tgcn` on the same data. An epoch is timed as the trainer logs it: its training
    steps and its validation pass (which A3TGCN's epoch lacks, so the ratio slightly understates
    our speed); fitting the fold (scaler, graph, SMOTE) is outside the clock."""
    trainer = _trainer(config)
    seconds = [record.seconds for record in trainer.fit().history]
    return {"n_tickers": len(trainer.data.tickers), "train_days": len(trainer.split.train),
            "smote_ego_graphs": len(trainer.fold.ego), "epochs": len(seconds),
            "seconds_per_epoch": round(float(np.mean(seconds)), 3), "epoch_seconds": [round(s, 3) for s in seconds]}


def case_a3tgcn(config: Config) -> dict:
    """Seconds per training epoch of PyG-Temporal's A3TGCN on our trainer's data, or a skip note
    when torch-geometric-temporal is not installed.

    The data are :func:`case_train_epochs`'s: the config's single split, the fold's scaled features,
    labels and correlation graph fitted on the training days by :class:`FoldFitter` (SMOTE off).
    :class:`A3TGCNClassifier` (hidden ``model.hidden``) trains with cross-entropy weighted by the
    fold's class weights and Adam at ``training.lr``, one step per ``training.batch_days`` day
    graphs (32 by default; the days in a seeded random order, their graphs side by side as ours
    are), every ticker reading its last ``model.window`` days, ``(N, F, W)``: the same days a step
    and the same window as our trainer. No validation pass, early stopping or gradient clipping.

    Ragged panels, simply: a ticker not usable on a day (absent, not warmed up or not eligible)
    has its whole window zeroed that day and is left out of the loss (its label is -1); inside a
    usable ticker's window, days it was absent are 0 (as in ``FoldData.x``) and days before the
    panel's first are zero padding.
    """
    if load_a3tgcn() is None:
        return {"skipped": A3TGCN_MISSING}
    config = config.updated({"smote.enabled": False})
    data = load_data(config)
    split = single_split(config, data)
    fold = FoldFitter(config).fit(data, split.train)
    device = resolve_device(config.training.device)
    periods = config.model.window
    windows, usable, y = _a3tgcn_inputs(fold.x, fold.data.usable, fold.data.labels.y, periods, device)
    edge_index, edge_weight = (t.to(device) for t in fold.graph.edge_index())
    weight = torch.as_tensor(fold.plan.class_weights, dtype=torch.float32, device=device)
    seed = config.training.seed
    torch.manual_seed(seed)
    model = A3TGCNClassifier(data.n_features, config.model.hidden, periods=periods).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.training.lr)
    rng = np.random.default_rng(seed)
    n_tickers, n_batches = len(data.tickers), math.ceil(len(split.train) / config.training.batch_days)
    seconds, losses = [], []
    for _ in range(config.training.epochs):
        started = time.perf_counter()
        total = torch.zeros((), device=device)
        for days in np.array_split(rng.permutation(split.train), n_batches):
            days = torch.as_tensor(days, device=device)
            offsets = torch.arange(len(days), device=device).repeat_interleave(edge_index.shape[1]) * n_tickers
            logits = model((windows[days] * usable[days]).flatten(0, 1), edge_index.repeat(1, len(days)) + offsets,
                           edge_weight.repeat(len(days)))
            loss = torch.nn.functional.cross_entropy(logits, y[days].flatten(), weight=weight, ignore_index=-1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach()
        losses.append(float(total) / n_batches)  # reads the device back: the epoch is done
        seconds.append(time.perf_counter() - started)
    return {"n_tickers": n_tickers, "train_days": len(split.train), "periods": periods,
            "days_per_step": config.training.batch_days,
            "epochs": len(seconds), "seconds_per_epoch": round(float(np.mean(seconds)), 3),
            "epoch_seconds": [round(s, 3) for s in seconds], "train_loss": [round(v, 4) for v in losses]}


def _a3tgcn_inputs(x: np.ndarray, usable: np.ndarray, y: np.ndarray, periods: int, device: torch.device):
    """``windows[t]`` of shape (N, F, periods), the days up to t of every ticker (a view of the
    zero-padded panel, not a copy), ``usable[t]`` of shape (N, 1, 1) to zero the windows of
    unusable tickers, and the labels of shape (n_days, N), -1 where unknown."""
    panel = torch.as_tensor(x, device=device)
    padded = torch.cat([panel.new_zeros(periods - 1, *panel.shape[1:]), panel])
    windows = padded.unfold(0, periods, 1)
    mask = torch.as_tensor(usable, dtype=panel.dtype, device=device)[..., None, None]
    return windows, mask, torch.as_tensor(y, dtype=torch.long, device=device)


def case_tcn_once(config: Config) -> dict:
    """A TCN encoder's day nodes encoded along each ticker's series (each ticker-day once) against
    every window apart: seconds of the fastest training epoch (fits from the same seed: series and
    windows on shuffled days, and series on ``batch_order: contiguous`` days, whose batches share
    their windows' rows), milliseconds to predict the validation days (the series-trained model both
    ways, best of five), and the largest difference between the two predictions."""
    paths = {"series": True, "windows": False}
    epoch, trainers = {}, {}
    fits = {**{name: (series, "shuffled") for name, series in paths.items()}, "series_contiguous": (True, "contiguous")}
    for name, (series, order) in fits.items():
        trainers[name] = trainer = _trainer(config.updated({"training.batch_order": order}), series_encoding=series)
        epoch[name] = min(record.seconds for record in trainer.fit().history)  # past the first epoch's warm-up
    trainer = trainers["series"]
    days = trainer.split.val
    proba, seconds = {}, {}
    for name, series in paths.items():
        trainer.series_encoding = series
        proba[name] = trainer.predict_proba(days)  # also the warm-up
        seconds[name] = min(_seconds(lambda: trainer.predict_proba(days)) for _ in range(5))
    return {
        "n_tickers": len(trainer.data.tickers), "val_days": len(days), "window": config.model.window,
        "receptive_field": trainer.model_.encoder.receptive_field, "series_is_exact": trainer.model_.series_is_exact,
        "epoch_seconds_series": round(epoch["series"], 3), "epoch_seconds_windows": round(epoch["windows"], 3),
        "epoch_seconds_series_contiguous": round(epoch["series_contiguous"], 3),
        "epoch_speedup": round(epoch["windows"] / epoch["series"], 2),
        "predict_val_ms_series": round(seconds["series"] * 1000, 1),
        "predict_val_ms_windows": round(seconds["windows"] * 1000, 1),
        "predict_speedup": round(seconds["windows"] / seconds["series"], 2),
        "max_abs_proba_diff": float(np.nanmax(np.abs(proba["series"] - proba["windows"]))),
    }


def _seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def case_encoder_passes(config: Config) -> dict:
    """Windows encoded in one training epoch versus real ticker-days plus synthetic ego nodes."""
    trainer = _trainer(config.updated({"training.epochs": 1}))
    with _EncoderCounter() as counter:
        trainer.fit()
    fold = trainer.fold
    real = len(trainer.split.train) * len(trainer.data.tickers)
    windows_per_sample = {"exact": fold.graph.k + 1, "centre": 1, "latent": 0}[config.smote.mode]
    ego = len(fold.ego) * windows_per_sample  # no sampler: no added nodes
    return {"smote_mode": config.smote.mode, "encoded_windows": counter.nodes, "real_ticker_days": real, "ego_nodes": ego,
            "passes_per_real_window": round((counter.nodes - ego) / real, 4)}


def case_fold(config: Config) -> dict:
    """Wall time and peak memory of one walk-forward fold on the config's device, with its
    out-of-sample macro-F1 and Rank IC (per seed too) to compare devices and precisions. A GPU's
    start-up is paid before the clock starts and reported on its own."""
    device = resolve_device(config.training.device)
    started_in = start(device) if device.type == "cuda" else 0.0
    data = load_data(config)
    split = plan_folds(config, data)[0][-1]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_fold(config, data, split, 0, FoldDir(Path(tmp) / "fold"))
    seconds = time.perf_counter() - started
    scores = ("macro_f1", "rank_ic")
    result = {"n_tickers": len(data.tickers), "n_days": len(data.dates), "fold_seconds": round(seconds, 2),
              "device": device.type, "precision": config.training.precision,
              "device_start_seconds": round(started_in, 2),
              **{k: round(v, 4) for k, v in headline(prediction_metrics(labelled(outcome.frames[MODEL]))).items() if k in scores},
              "seed_metrics": [{k: round(m[k], 4) for k in scores} for m in outcome.info["seed_metrics"]]}
    if device.type == "cuda":
        result["gpu_peak_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    return result


def case_agreement(config: Config) -> dict:
    """The largest difference between the test probabilities of one model trained on the
    config's device, predicted there and predicted on the CPU."""
    trainer = _trainer(config)
    trainer.fit()
    days = trainer.split.test
    on_cpu = ClassificationSTGNNTrainer.from_model(config.updated({"training.device": "cpu"}), trainer.fold,
                                                   trainer.split, trainer.model_)
    diff = np.abs(trainer.predict_proba(days) - on_cpu.predict_proba(days))
    return {"device": trainer.device.type, "n_probabilities": int(np.isfinite(diff).sum()),
            "max_abs_diff": float(np.nanmax(diff))}


def case_bootstrap(config: Config) -> dict:
    """Seconds for the five 95% intervals of one model's out-of-sample frame (every metric of
    ``metrics["intervals"]``), on random predictions of the synthetic market's shape."""
    rng = np.random.default_rng(0)
    n_tickers, n_days = config.data.synthetic.n_tickers, config.data.synthetic.n_days
    proba = rng.dirichlet(np.ones(3), size=n_tickers * n_days)
    frame = pd.DataFrame({"date": np.repeat(np.arange(n_days), n_tickers), "ticker": np.tile(np.arange(n_tickers), n_days),
                          "p_down": proba[:, 0], "p_none": proba[:, 1], "p_up": proba[:, 2],
                          "pred": rng.integers(0, 3, len(proba)), "label": rng.integers(0, 3, len(proba)),
                          "fwd_return": rng.normal(0, 0.02, len(proba))})
    started = time.perf_counter()
    intervals(frame, n_boot=config.walkforward.n_boot, block_days=config.walkforward.block_days, seed=0)
    return {"n_rows": len(frame), "n_boot": config.walkforward.n_boot,
            "interval_seconds": round(time.perf_counter() - started, 2)}


def case_factors(config: Config) -> dict:
    """Seconds and memory of the config's feature set on its whole panel (``peak_rss_mb`` is the
    process's; ``panel_rss_mb`` its peak before the features, so the difference is theirs)."""
    panel = load_panel(config.data)
    before = peak_rss_mb()
    started = time.perf_counter()
    features = compute_features(panel, config.features)
    return {"feature_set": config.features.set, "n_tickers": len(panel.tickers), "n_days": len(panel.dates),
            "n_features": len(features.names), "seconds": round(time.perf_counter() - started, 2),
            "cube_mb": round(features.values.nbytes / 2**20, 1), "panel_rss_mb": round(before, 1)}


CASES = {"train": case_train, "train_epochs": case_train_epochs, "a3tgcn": case_a3tgcn,
         "encoder_passes": case_encoder_passes, "fold": case_fold, "bootstrap": case_bootstrap,
         "agreement": case_agreement, "factors": case_factors, "tcn_once": case_tcn_once}


def run_case(case: str, config: Config, *, timeout: float = 3600) -> dict:
    """Run one case in a fresh interpreter; its result, its own peak RSS, and ``other_load``
    (:class:`OtherLoad`)."""
    with OtherLoad() as load:
        proc = subprocess.run([sys.executable, "-m", "stgnn.benchmark", case,
                               json.dumps(config.model_dump(mode="json"))], capture_output=True, text=True,
                              timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark case {case} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "other_load": load.cores}


class OtherLoad:
    """``with OtherLoad() as load:`` then ``load.cores``: the cores other processes kept busy while
    the block ran (this process and its children not counted; None off Linux). Other work on the
    cores slows torch's threads far more than in proportion, so a timing taken beside it says so."""

    cores: float | None = None

    def __enter__(self) -> OtherLoad:
        self._busy, self._own, self._started = _busy_cpu_seconds(), _own_cpu_seconds(), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        if self._busy is not None:
            others = _busy_cpu_seconds() - self._busy - (_own_cpu_seconds() - self._own)
            self.cores = round(max(others, 0.0) / (time.perf_counter() - self._started), 2)


def _busy_cpu_seconds() -> float | None:
    """CPU seconds all processes have spent busy since boot (Linux ``/proc/stat``)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    """CPU seconds of this process and its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _main(argv: list[str]) -> None:
    case, tree = argv[0], json.loads(argv[1])
    result = CASES[case](parse_config(tree))
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(result))


if __name__ == "__main__":
    _main(sys.argv[1:])
