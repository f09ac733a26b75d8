"""The suites of ``stgnn benchmark``: which cases of :mod:`stgnn.benchmark` run, and their tables.

On the CPU: training throughput, one-day prediction latency, the demo walk-forward's wall time,
peak memory, one fold's time and memory for N = 20, 100, 500 synthetic tickers x 1,260 days, and
our trainer's seconds per epoch against PyG-Temporal's A3TGCN on the same data.
On a GPU: one fold at N = 500 on the CPU and on the GPU (fp32 and bf16), with their out-of-sample
scores per seed; one fold at N = 5,000 on the GPU with its peak GPU memory; and the largest
difference between one model's probabilities on the GPU and on the CPU.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from stgnn.benchmark import OtherLoad, run_case, synthetic_config
from stgnn.config import load_config
from stgnn.errors import ConfigError
from stgnn.registry import NO_GRAPH
from stgnn.runs import MODEL, RunDir

DEMO = Path("configs/demo.yaml")
SP500 = Path("configs/sp500.yaml")
SP500_GRU = Path("configs/sp500_gru.yaml")
"""The repository's configs whose walk-forwards are timed, read from the current directory."""


def cpu_suite(*, quick: bool = False, repeats: int = 2, sp500: bool = False) -> dict:
    """The CPU suite; ``quick`` keeps N = 20 only and skips the demo walk-forward and the A3TGCN
    comparison, ``sp500`` adds the 505-stock walk-forward. Each fold size runs ``repeats`` times
    and the fastest is reported."""
    for config, wanted in ((DEMO, not quick), (SP500, sp500), (SP500_GRU, sp500)):
        if wanted and not config.is_file():  # refused now, not after tens of minutes of measuring
            raise ConfigError(f"{config} not found: the benchmark times the repository's walk-forward configs; "
                              "run it from the repository root (or with --quick).")
    sizes = [20] if quick else [20, 100, 500]
    results = {"machine": machine(), "scaling": [], "help": help_time()}
    results["train_sample"] = run_case("train", load_config(None, {"data.start": "2010-01-01", "training.epochs": 3}))
    results["encoder_passes"] = run_case("encoder_passes", synthetic_config(20))
    for mode in ("centre", "latent"):
        results[f"encoder_passes_{mode}"] = run_case("encoder_passes", synthetic_config(20).updated({"smote.mode": mode}))
    results["tcn_once"] = run_case("tcn_once", load_config(None, {"data.start": "2010-01-01", "model.encoder": "tcn",
                                                                   "model.temporal_layers": 3, "training.epochs": 3}))
    results["bootstrap"] = run_case("bootstrap", synthetic_config(20 if quick else 500, n_days=750))
    if not quick:
        results["train_speed"] = train_speed()
    for n in sizes:
        runs = [run_case("fold", synthetic_config(n)) for _ in range(max(1, repeats))]
        row = {**min(runs, key=lambda r: r["fold_seconds"]), "all_fold_seconds": [r["fold_seconds"] for r in runs],
               "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}
        results["scaling"].append(row)
        print(f"N={n}: {row}", flush=True)
    first = results["scaling"][0]
    for row in results["scaling"]:
        row["seconds_per_ticker"] = round(row["fold_seconds"] / row["n_tickers"], 3)
        row["time_ratio_vs_linear"] = round(row["fold_seconds"] / first["fold_seconds"] * first["n_tickers"] / row["n_tickers"], 3)
    if len(sizes) > 1:
        n, t = (np.log([row[k] for row in results["scaling"]]) for k in ("n_tickers", "fold_seconds"))
        results["scaling_exponent"] = round(float(np.polyfit(n, t, 1)[0]), 3)
    if not quick:
        results["demo_walk_forward"] = walk_forward_run(DEMO)
    if sp500:
        results["sp500_walk_forward"] = walk_forward_run(SP500)
        results["sp500_gru_walk_forward"] = walk_forward_run(SP500_GRU)
    return results


SPEED_SAMPLE = {"data.source": "sample", "data.start": "2005-01-01", "training.epochs": 3, "training.patience": 3}
"""The data and epochs of the A3TGCN comparison: the bundled sample from 2005, three epochs (patience
three, so that early stopping cannot end one sooner)."""

_TCN = {"model.encoder": "tcn", "model.temporal_layers": 3}
_CONTIGUOUS_TCN = {**_TCN, "training.batch_order": "contiguous"}
TRAIN_MODES = {"no SMOTE": {"smote.enabled": False}, "SMOTE": {}, "SMOTE, centre mode": {"smote.mode": "centre"},
               "SMOTE, latent mode": {"smote.mode": "latent"},
               "SMOTE, TCN encoder": _TCN, "SMOTE centre, TCN encoder": {"smote.mode": "centre", **_TCN},
               "no SMOTE, TCN encoder, contiguous days": {"smote.enabled": False, **_CONTIGUOUS_TCN},
               "SMOTE centre, TCN encoder, contiguous days": {"smote.mode": "centre", **_CONTIGUOUS_TCN},
               "SMOTE latent, TCN encoder, contiguous days": {"smote.mode": "latent", **_CONTIGUOUS_TCN}}
"""Our trainer's settings timed against A3TGCN, in this order: name -> config overrides of
``SPEED_SAMPLE``. Another mode is one more entry."""


def train_speed(overrides: dict | None = None) -> dict:
    """Seconds per epoch of PyG-Temporal's A3TGCN, then of our trainer in each of ``TRAIN_MODES``
    (always in that order, each case in its own process), on ``SPEED_SAMPLE`` updated with
    ``overrides``; each mode's ``a3tgcn_over_ours`` is A3TGCN's seconds per epoch over its own."""
    base = load_config(None, {**SPEED_SAMPLE, **(overrides or {})})
    a3tgcn = run_case("a3tgcn", base)
    print(f"A3TGCN: {a3tgcn}", flush=True)
    modes = []
    for name, change in TRAIN_MODES.items():
        row = {"mode": name, **run_case("train_epochs", base.updated(change))}
        if "skipped" not in a3tgcn:
            row["a3tgcn_over_ours"] = round(a3tgcn["seconds_per_epoch"] / row["seconds_per_epoch"], 2)
        modes.append(row)
        print(f"ours, {name}: {row}", flush=True)
    return {"start": base.data.start.isoformat(), "epochs": base.training.epochs, "a3tgcn": a3tgcn, "modes": modes}


def train_speed_markdown(r: dict) -> str:
    """The A3TGCN comparison as a table, or our rows and the note of why A3TGCN was skipped."""
    a = r["a3tgcn"]
    lines = [f"Training speed against PyG-Temporal's A3TGCN (sample from {r['start'][:4]}, {r['epochs']} epochs):", "",
             "| model | s per epoch | A3TGCN's time / ours | other load (cores) |", "|---|---|---|---|"]
    if "skipped" in a:
        lines.append(f"| PyG-Temporal A3TGCN | skipped: {a['skipped']} | | |")
    else:
        lines.append(f"| PyG-Temporal A3TGCN, {a['days_per_step']} day graphs ({a['periods']} days of features) a step | "
                     f"{a['seconds_per_epoch']} | 1.0 | {a['other_load']} |")
    lines += [f"| ours, {m['mode']} | {m['seconds_per_epoch']} | {m.get('a3tgcn_over_ours', 'n/a')} | "
              f"{m['other_load']} |" for m in r["modes"]]
    return "\n".join(lines) + "\n"


FOLD_MEMORY = {"basic": {}, "alpha158": {"features.set": "alpha158"},
               "alpha158, 2 trials x 2 seeds": {"features.set": "alpha158", "walkforward.seeds": 2,
                                                "walkforward.grid": {"loss.focal_gamma": [1.0, 2.0]}}}
"""One sp500 fold (1 epoch, no baselines) per feature setting: the peak memory a factor library adds,
and whether trials and seeds copy the scaled panel (the last row's peak should match the one above)."""


def factor_suite() -> dict:
    """``alpha158`` on the 505-stock set (time and memory), and one fold's peak memory with it."""
    base = load_config(SP500, {"walkforward.folds": 1, "training.epochs": 1, "walkforward.baselines": [],
                               "walkforward.final_model": False})
    results = {"machine": machine(), "alpha158_sp500": run_case("factors", base.updated({"features.set": "alpha158"})),
               "fold_memory": []}
    print(f"alpha158: {results['alpha158_sp500']}", flush=True)
    for name, change in FOLD_MEMORY.items():
        fold = run_case("fold", base.updated(change))
        results["fold_memory"].append({"features": name, **{k: fold[k] for k in ("fold_seconds", "peak_rss_mb",
                                                                                   "other_load")}})
        print(f"fold, {name}: {results['fold_memory'][-1]}", flush=True)
    return results


def factor_markdown(r: dict) -> str:
    """The factor library's cost as a table."""
    a = r["alpha158_sp500"]
    lines = [f"Machine: {r['machine']['cores']} cores ({r['machine']['cpu']}), torch {r['machine']['torch']}, "
             f"{r['machine']['date']}.", "",
             f"`alpha158` on the bundled S&P 500 set ({a['n_tickers']} tickers x {a['n_days']:,} days): "
             f"{a['n_features']} features in {a['seconds']} s; peak RSS {a['peak_rss_mb']:,.0f} MB "
             f"({a['panel_rss_mb']:,.0f} MB before the features; the float32 cube is {a['cube_mb']:,.0f} MB); "
             f"other load {a['other_load']} cores.", "",
             "One sp500 walk-forward fold (train 504, val 126, test 126 days; 1 epoch; no baselines):", "",
             "| features | fold time (s) | peak RSS (MB) | other load (cores) |", "|---|---|---|---|"]
    lines += [f"| {f['features']} | {f['fold_seconds']} | {f['peak_rss_mb']:,.0f} | {f['other_load']} |"
              for f in r["fold_memory"]]
    return "\n".join(lines) + "\n"


def device_suite(device: str, *, n: int = 500, big: int = 5000, n_days: int = 1260, epochs: int = 3,
                 seeds: int = 3, save=None) -> dict:
    """``device`` against the CPU of the same machine, in the same run (see the module docstring).

    The most telling cases run first and ``save(results)`` is called after each, so a run cut
    short by a time limit still leaves what it measured; a case that fails is recorded with its
    error and the suite goes on."""
    results = {"machine": machine(), "device": device, "gpu": _gpu_name(device), "n_days": n_days, "epochs": epochs,
               "seeds": seeds}

    def record(name: str, case: str, config) -> None:
        try:
            results[name] = run_case(case, config)
        except RuntimeError as exc:
            results[name] = {"error": str(exc)}
        print(f"{name}: {results[name]}", flush=True)
        if save is not None:
            save(results)

    def fold_config(n_tickers: int, on: str, precision: str = "fp32"):
        return synthetic_config(n_tickers, n_days, epochs, device=on, precision=precision, seeds=seeds)

    record("fp32", "fold", fold_config(n, device))
    record("cpu", "fold", fold_config(n, "cpu"))
    record("agreement", "agreement", synthetic_config(n, n_days, epochs, device=device))
    record("big", "fold", fold_config(big, device))
    record("bf16", "fold", fold_config(n, device, "bf16"))
    cpu = results["cpu"]
    if "error" not in cpu:
        spread = [m["macro_f1"] for m in cpu["seed_metrics"]]
        results["cpu_seed_range_macro_f1"] = [min(spread), max(spread)]
        for name in ("fp32", "bf16"):
            if "error" not in results[name]:
                results[f"speedup_{name}"] = round(cpu["fold_seconds"] / results[name]["fold_seconds"], 2)
                results[f"{name}_seeds_within_cpu_range"] = all(min(spread) <= m["macro_f1"] <= max(spread)
                                                                for m in results[name]["seed_metrics"])
    if save is not None:
        save(results)
    return results


def _gpu_name(device: str) -> str | None:
    return torch.cuda.get_device_name() if device == "cuda" and torch.cuda.is_available() else None


def device_markdown(r: dict) -> str:
    """The device suite as a table and two sentences; cases that failed or never ran say so."""
    runs = [("cpu", "CPU"), ("fp32", f"{r['device']} fp32"), ("bf16", f"{r['device']} bf16"), ("big", f"{r['device']} fp32")]
    lines = [f"Machine: {r['machine']['cores']} CPU cores, {r['gpu'] or r['device']}, torch {r['machine']['torch']}, "
             f"{r['machine']['date']}. One walk-forward fold (train 756, val 126, test 126 days; {r['epochs']} epochs; "
             f"{r['seeds']} seeds), synthetic market of {r['n_days']:,} days.", "",
             "| run | fold time (s) | device start-up, not in fold time (s) | peak GPU memory (MB) | macro-F1 | Rank IC | "
             "macro-F1 per seed |", "|---|---|---|---|---|---|---|"]
    for key, label in runs:
        x = r.get(key, {"error": "did not run"})
        if "error" in x:
            lines.append(f"| {label} | failed: {x['error']} | | | | | |")
            continue
        seeds = ", ".join(str(m["macro_f1"]) for m in x["seed_metrics"])
        lines.append(f"| N = {x['n_tickers']:,}, {label} | {x['fold_seconds']} | {x['device_start_seconds']} | "
                     f"{x.get('gpu_peak_mb', 'n/a')} | {x['macro_f1']} | {x['rank_ic']} | {seeds} |")
    lines.append("")
    for name in ("fp32", "bf16"):
        if f"speedup_{name}" in r:
            within = "yes" if r[f"{name}_seeds_within_cpu_range"] else "no"
            lines.append(f"{name}: {r[f'speedup_{name}']}x the CPU's speed; every seed's macro-F1 within the CPU's "
                         f"seed range {r['cpu_seed_range_macro_f1']}: {within}.")
    agree = r.get("agreement", {"error": "did not run"})
    lines.append(f"Agreement: failed: {agree['error']}" if "error" in agree else
                 f"One model's test probabilities on {agree['device']} and on the CPU differ by at most "
                 f"{agree['max_abs_diff']:.2e} ({agree['n_probabilities']:,} probabilities).")
    return "\n".join(lines) + "\n"


_PEAK = ("import resource, runpy, sys\n"
         "try:\n    runpy.run_module('stgnn', run_name='__main__', alter_sys=True)\n"
         "finally:\n    print('peak_rss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
"""``python -m stgnn ARGS`` that reports its own peak RSS on stderr, even when it fails."""


def walk_forward_run(config: Path) -> dict:
    """Wall time and peak RSS (of that process alone) of a whole walk-forward: what a user waits for,
    with what it found (:func:`run_findings`), so that a faster run is checked against its figures."""
    with tempfile.TemporaryDirectory() as tmp, OtherLoad() as load:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _PEAK, "walk-forward", "--config", str(config),
                               "--run-dir", f"{tmp}/run"], check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        findings = run_findings(RunDir(Path(tmp) / "run"))
    peak_kb = int(proc.stderr.rsplit("peak_rss_kb", 1)[1].split()[0])
    return {"config": config.name, "seconds": round(seconds, 1), "peak_rss_mb": round(peak_kb / 1024, 1),
            "other_load": load.cores, **findings}


def run_findings(run: RunDir) -> dict:
    """A finished walk-forward in brief: the selection score (``select_on``) of each fold's chosen
    trial on validation, the model's out-of-sample macro-F1 and Rank IC with their intervals, and
    the seconds each model took over all folds (the model's include building each fold's data)."""
    metrics = run.read_metrics()
    seconds: dict[str, float] = {}
    for fold in metrics["folds"]:
        for name, value in fold["model_seconds"].items():
            seconds[name] = round(seconds.get(name, 0.0) + value, 1)
    return {"select_on": load_config(run.config).walkforward.select_on,
            "val_scores": [round(max(t["val_score"] for t in fold["trials"]), 4) for fold in metrics["folds"]],
            "oos": {key: metrics["intervals"][MODEL][key] for key in ("macro_f1", "rank_ic")},
            "fold_seconds": seconds,
            "final_model_seconds": run.read_final_info()["seconds"] if run.final_done else None}


HELP_TARGET_SECONDS = 1.0
"""What ``stgnn --help`` may take in a fresh process: the first thing a newcomer runs."""


def help_time(runs: int = 5) -> dict:
    """Wall time of ``python -m stgnn --help`` in a fresh process (Python's start-up included),
    the median of ``runs``, beside :data:`HELP_TARGET_SECONDS`."""
    seconds = []
    with OtherLoad() as load:
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "stgnn", "--help"], check=True, capture_output=True)
            seconds.append(round(time.perf_counter() - started, 3))
    median = float(np.median(seconds))
    return {"median_seconds": round(median, 3), "runs_seconds": seconds, "target_seconds": HELP_TARGET_SECONDS,
            "within_target": median <= HELP_TARGET_SECONDS, "other_load": load.cores}


def machine() -> dict:
    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "date": time.strftime("%Y-%m-%d")}


def markdown(r: dict) -> str:
    """The CPU suite as two tables, its scaling exponent and the A3TGCN comparison where it ran."""
    t, e = r["train_sample"], r["encoder_passes"]
    lines = [
        f"Machine: {r['machine']['cores']} cores ({r['machine']['cpu']}), Python {r['machine']['python']}, "
        f"torch {r['machine']['torch']}, {r['machine']['date']}.", "",
        "| measurement | value |", "|---|---|",
    ]
    if "help" in r:
        h = r["help"]
        lines.append(f"| `stgnn --help` in a fresh process, median of {len(h['runs_seconds'])} (other load "
                     f"{h['other_load']} cores) | {h['median_seconds']} s "
                     f"(target {h['target_seconds']:g} s: {'met' if h['within_target'] else 'missed'}) |")
    lines += [
        f"| training throughput, bundled sample from 2010 ({t['n_tickers']} tickers) | {t['samples_per_second']:,.0f} labelled samples/s |",
        f"| prediction, one day of {t['n_tickers']} tickers | {t['predict_one_day_ms']} ms |",
        f"| peak RSS, training on the sample | {t['peak_rss_mb']:,.0f} MB |",
        f"| encoder passes per real ticker-day per epoch | {e['passes_per_real_window']} |",
    ]
    modes = [m for m in ("centre", "latent") if f"encoder_passes_{m}" in r]
    if modes:
        counts = [e["encoded_windows"], *(r[f"encoder_passes_{m}"]["encoded_windows"] for m in modes)]
        lines.append(f"| windows encoded in one epoch on 20 synthetic tickers, SMOTE {' / '.join(['exact', *modes])} | "
                     f"{' / '.join(f'{c:,}' for c in counts)} |")
    if "tcn_once" in r:
        o = r["tcn_once"]
        lines.append(f"| TCN (receptive field {o['receptive_field']}, window {o['window']}): predicting "
                     f"{o['val_days']} validation days, series / windows | {o['predict_val_ms_series']} / "
                     f"{o['predict_val_ms_windows']} ms |")
        lines.append(f"| TCN: one training epoch, series / windows / series on contiguous days | "
                     f"{o['epoch_seconds_series']} / {o['epoch_seconds_windows']} / "
                     f"{o['epoch_seconds_series_contiguous']} s |")
    if "bootstrap" in r:
        b = r["bootstrap"]
        lines.append(f"| five 95% intervals of one model, {b['n_rows']:,} rows, {b['n_boot']} resamples | "
                     f"{b['interval_seconds']} s |")
    if "demo_walk_forward" in r:
        w = r["demo_walk_forward"]
        lines.append(f"| `make demo` walk-forward wall time (other load {w['other_load']} cores) | {w['seconds']:.0f} s |")
    lines += ["", "One walk-forward fold (train 756, val 126, test 126 days; 3 epochs) on synthetic markets of 1,260 days, "
              "the fastest of the runs listed:", "",
              "| tickers | fold time (s) | runs (s) | s per ticker | time / linear | peak RSS (MB) | other load (cores) |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {s['n_tickers']} | {s['fold_seconds']} | {', '.join(map(str, s['all_fold_seconds']))} | {s['seconds_per_ticker']} | {s['time_ratio_vs_linear']} | "
              f"{s['peak_rss_mb']:,.0f} | {s['other_load']} |" for s in r["scaling"]]
    if "scaling_exponent" in r:
        lines += ["", f"Fold time grows as N^{r['scaling_exponent']} (least-squares slope of log time on log N)."]
    walks = [r[key] for key in ("sp500_walk_forward", "sp500_gru_walk_forward") if key in r]
    if walks:
        lines += ["", walk_forwards_markdown(walks).rstrip("\n")]
    if "train_speed" in r:
        lines += ["", train_speed_markdown(r["train_speed"]).rstrip("\n")]
    return "\n".join(lines) + "\n"


def walk_forwards_markdown(walks: list[dict]) -> str:
    """The timed 505-stock walk-forwards side by side: time, memory, what each found, where the time went."""
    def interval(m: dict, fmt: str) -> str:
        return f"{m['value']:{fmt}} [{m['lo']:{fmt}}, {m['hi']:{fmt}}]"

    lines = ["505-stock walk-forwards (validation: the chosen trial's selection score per fold, macro-F1 at "
             "tuned thresholds unless named, mean ± standard error over folds; out of sample: 95% block-bootstrap "
             "intervals; seconds summed over folds, the STGNN's including each fold's data):", "",
             "| config | wall time | peak RSS | other load (cores) | val score | OOS macro-F1 | OOS Rank IC | "
             "s: STGNN / no-graph twin / other baselines / final model |", "|---|---|---|---|---|---|---|---|"]
    for w in walks:
        val = np.array(w["val_scores"])
        se = val.std(ddof=1) / np.sqrt(len(val)) if len(val) > 1 else float("nan")
        s = w["fold_seconds"]
        others = sum(v for k, v in s.items() if k not in (MODEL, NO_GRAPH))
        metric = "" if w["select_on"] == "macro_f1" else f" ({w['select_on']})"
        final = "none" if w["final_model_seconds"] is None else f"{w['final_model_seconds']:.0f}"
        lines.append(f"| `configs/{w['config']}` | {w['seconds'] / 60:.1f} min | {w['peak_rss_mb'] / 1024:.1f} GB | "
                     f"{w['other_load']} | {val.mean():.4f} ± {se:.4f}{metric} | "
                     f"{interval(w['oos']['macro_f1'], '.3f')} | {interval(w['oos']['rank_ic'], '+.3f')} | "
                     f"{s[MODEL]:.0f} / {s.get(NO_GRAPH, 0):.0f} / {others:.0f} / {final} |")
    return "\n".join(lines) + "\n"

