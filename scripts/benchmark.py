"""Benchmark: training throughput, one-day prediction latency, the demo walk-forward's wall time,
peak memory, one fold's time and memory for N = 20, 100, 500 synthetic tickers x 1,260 days, and
seconds per epoch against PyG-Temporal's A3TGCN (``make install-bench``; skipped without it).
Writes benchmarks/results.json and benchmarks/results.md under the current directory.

    python scripts/benchmark.py                 # everything (tens of minutes on 2 cores)
    python scripts/benchmark.py --quick         # small N only, to check that it runs
    python scripts/benchmark.py --device cuda   # the GPU against this machine's CPU (benchmarks/cuda.*)

On a GPU the suite is: one fold at N = 500 on the CPU and on the GPU (fp32 and bf16), with their
out-of-sample scores per seed; one fold at N = 5,000 on the GPU with its peak GPU memory; and the
largest difference between one model's probabilities on the GPU and on the CPU.

The same as ``stgnn benchmark`` (the command an installed package has): same flags, same code.
"""

from stgnn.cli import script

main = script("benchmark")

if __name__ == "__main__":
    raise SystemExit(main())
