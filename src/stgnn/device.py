"""Where training runs: the device, its one-off start-up, and the precision of forward passes."""

from __future__ import annotations

import contextlib
import functools
import logging
import time

import torch

from stgnn.errors import ConfigError

logger = logging.getLogger(__name__)


def check_device(name: str) -> None:
    """Refuse a device this machine lacks (``cuda`` without a GPU torch sees): what each command
    calls before it loads any data, so that the mistake costs no time."""
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("Device 'cuda' asked for, but torch sees no CUDA GPU; use --device cpu or auto.")


def resolve_device(name: str) -> torch.device:
    """``auto`` is CUDA where torch sees a GPU, else the CPU; an absent GPU asked for by name is a
    configuration error. A CUDA device comes back as ``cuda:N``, started (:func:`start`)."""
    check_device(name)
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = indexed(torch.device(name))
    if device.type == "cuda":
        start(device)
    return device


def indexed(device: torch.device) -> torch.device:
    """``cuda`` as ``cuda:N`` (the current GPU), so that one GPU has one name (and one cache entry)."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


@functools.cache
def start(device: torch.device) -> float:
    """Pay a GPU's start-up once per process: the CUDA context, cuBLAS and cuDNN handles (a tiny
    GRU forward and backward). Seconds taken; later calls return the first call's figure at no cost.

    Without it the first fold or trial of a process pays several seconds inside its first
    ``model.to(device)`` and its first steps, which reads as slow training."""
    started = time.perf_counter()
    gru = torch.nn.GRU(2, 2, batch_first=True).to(device)
    out, _ = gru(torch.zeros(1, 2, 2, device=device))
    out.sum().backward()
    torch.cuda.synchronize(device)
    seconds = time.perf_counter() - started
    logger.info("device %s started in %.1fs (once per process)", device, seconds)
    return seconds


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The forward passes' precision: bfloat16 autocast for ``bf16``, nothing for ``fp32``."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
