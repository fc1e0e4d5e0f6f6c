"""Tiny models in tests run on one torch thread: their small per-step ops gain nothing from
more, and on a busy machine (CI, shared cores) OpenMP threads waiting for each other make them
many times slower. `one_thread()` is the context manager; tests/conftest.py offers it as the
module-scoped fixture `one_thread`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
