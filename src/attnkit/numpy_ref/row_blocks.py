"""Running a recurrence on blocks of batch rows in threads.

Rows of a batch never interact inside an LSTM, so each block of rows can run its whole time loop
on its own thread; NumPy releases the GIL inside its element-wise loops and matrix products, so
two blocks use two cores, where NumPy alone keeps the element-wise work on one. Worth it only
with OpenBLAS limited to one thread (OPENBLAS_NUM_THREADS=1), else the threads compete.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Result = TypeVar("Result")
MIN_ROWS_PER_BLOCK = 16
_pools: dict[int, ThreadPoolExecutor] = {}


def row_blocks(B: int, workers: int) -> list[slice]:
    """Contiguous row slices covering range(B): `workers` of them, fewer for small batches."""
    count = max(1, min(workers, B // MIN_ROWS_PER_BLOCK))
    bounds = [round(B * k / count) for k in range(count + 1)]
    return [slice(bounds[k], bounds[k + 1]) for k in range(count)]


def map_row_blocks(function: Callable[[slice], Result], B: int, workers: int) -> list[Result]:
    """function(rows) for each block of rows, on `workers` threads (inline when one block)."""
    blocks = row_blocks(B, workers)
    if len(blocks) == 1:
        return [function(blocks[0])]
    if len(blocks) not in _pools:
        _pools[len(blocks)] = ThreadPoolExecutor(len(blocks), thread_name_prefix="attnkit-rows")
    return list(_pools[len(blocks)].map(function, blocks))
