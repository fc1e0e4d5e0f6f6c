"""Progress bars, one rule everywhere: drawn on a terminal, left out when standard error goes
to a file or a pipe, so that a log holds lines, not `\\r` frames. The trainer's epoch lines and
each command's results are printed either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tqdm.auto import tqdm


def progress_bar(iterable: Iterable | None = None, shown: bool = True, **options: Any) -> tqdm:
    """A tqdm bar over `iterable` (or updated by hand) that clears itself when done and is
    drawn only on a terminal; `shown=False` hides it everywhere (e.g. on all but the main
    process). `options` go to tqdm (desc, total, unit, initial, ...)."""
    options = {"leave": False, "dynamic_ncols": True, **options}
    return tqdm(iterable, disable=None if shown else True, **options)
