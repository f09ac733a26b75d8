"""Benchmark: training throughput, one-day prediction latency, the demo walk-forward's wall time,
peak memory, one fold's time and memory for N = 20, 100, 500 synthetic tickers, and seconds per
epoch against PyG-Temporal's A3TGCN (``make install-bench``); or, with
--device cuda, the GPU against this machine's CPU. The walk-forwards timed are the repository's
configs/*.yaml, read from the current directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from stgnn.benchmark_suite import cpu_suite, device_markdown, device_suite, factor_markdown, factor_suite, markdown
from stgnn.device import check_device
from stgnn.io import atomic_write_text, write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("benchmarks"),
                        help="where results.{json,md} (or <device>.{json,md}) go (default: ./benchmarks, in the "
                             "current directory)")
    parser.add_argument("--quick", action="store_true", help="N = 20 only, no demo walk-forward, no A3TGCN comparison")
    parser.add_argument("--sp500", action="store_true",
                        help="also time configs/sp500.yaml and configs/sp500_gru.yaml, the 505-stock "
                             "walk-forwards (tens of minutes)")
    parser.add_argument("--factors", action="store_true",
                        help="only the factor library's cost: alpha158 on the 505-stock set and one fold's memory with "
                             "it, written to <out>/results_factors.{json,md} (a few minutes)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each fold size; the fastest is reported (run-to-run noise here is ~10%%)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per fold in the device suite (for their spread)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="cuda: the GPU suite against this machine's CPU, written to <out>/cuda.{json,md}")


def run(args: argparse.Namespace) -> int:
    check_device(args.device)
    if args.device != "cpu":
        def save(results: dict) -> None:
            write_json(args.out / f"{args.device}.json", results)
            atomic_write_text(args.out / f"{args.device}.md", device_markdown(results))

        print(device_markdown(device_suite(args.device, seeds=args.seeds, save=save)))
        return 0
    if args.factors:
        results = factor_suite()
        write_json(args.out / "results_factors.json", results)
        atomic_write_text(args.out / "results_factors.md", factor_markdown(results))
        print(factor_markdown(results))
        return 0
    results = cpu_suite(quick=args.quick, repeats=args.repeats, sp500=args.sp500)
    write_json(args.out / "results.json", results)
    atomic_write_text(args.out / "results.md", markdown(results))
    print(markdown(results))
    return 0
