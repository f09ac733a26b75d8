"""Where folds run: in this process, in local worker processes, or as Ray tasks.

A fold is a pure task (config, data, split, index, output folder) that writes its own artefacts,
so the backend changes only *where* it runs, never what it computes. Each task sets torch's
thread count so that N parallel workers never oversubscribe the cores; the same seed and the
same threads per fold give the same predictions on every backend.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Sequence

import torch

from stgnn.errors import ConfigError, StgnnError
from stgnn.registry import BACKENDS

logger = logging.getLogger(__name__)

def threads_per_task(workers: int) -> int:
    """Torch threads per worker: this process's thread budget shared evenly, at least one.

    The budget is ``torch.get_num_threads()`` (the cores, or ``OMP_NUM_THREADS`` where set), so a
    user who limits threads on a shared machine is obeyed by every worker too."""
    return max(1, torch.get_num_threads() // workers)


def _task(threads: int, fn: Callable, *args):
    """One task in a worker: ``args`` are (config, data, split, index, out); returns the index."""
    torch.set_num_threads(threads)
    fn(*args)
    return args[3]


def run_tasks(fn: Callable, tasks: Sequence[tuple], *, backend: str = "local", workers: int = 1,
              ray_address: str | None = None, on_done: Callable[[int], None] = lambda i: None) -> None:
    """Run ``fn(*task)`` for every task; ``on_done(index)`` after each (for progress bars)."""
    if backend not in BACKENDS:
        raise ConfigError(f"Expected --backend in {BACKENDS}, got {backend!r}.")
    if workers < 1:
        raise ConfigError(f"Expected --workers >= 1, got {workers}.")
    if not tasks:
        return
    threads = threads_per_task(workers)
    if backend == "ray":
        _run_ray(fn, tasks, workers=workers, threads=threads, address=ray_address, on_done=on_done)
    elif workers == 1:
        for task in tasks:
            fn(*task)
            on_done(task[3])
    else:
        context = multiprocessing.get_context("spawn")  # fork and torch's thread pools do not mix
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(_task, threads, fn, *task) for task in tasks]
            for future in as_completed(futures):
                on_done(future.result())


def _run_ray(fn, tasks, *, workers: int, threads: int, address: str | None, on_done) -> None:
    try:
        import ray
    except ImportError:
        raise StgnnError("The Ray backend needs Ray: pip install 'stgnn[distributed]' (or pip install ray).") from None
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers * threads, include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=threads)(_task)
        # Config and data go to the object store once; Ray resolves top-level references in each task.
        shared = {id(a): ray.put(a) for task in tasks for a in task[:2]}
        pending = [remote.remote(threads, fn, *(shared.get(id(a), a) for a in task)) for task in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            on_done(ray.get(done[0]))
    finally:
        if started_here:
            ray.shutdown()
