"""Writing a matplotlib figure to a file: atomically, and as a clear error when it cannot.

Figures are built with `matplotlib.figure.Figure`, never through pyplot: pyplot would keep
them in its global list and may switch the backend of a notebook that calls us. A plain
`Figure` draws with Agg when saved and is freed with its last reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attnkit.files import write_atomically


def save_figure(figure: Any, path: Path, dpi: int) -> Path:
    """Save `figure` to a temporary file beside `path` and rename it over `path`.

    A failed write leaves any earlier file at `path` untouched and raises `AttnkitError`.
    """
    return write_atomically(path, lambda temporary: figure.savefig(temporary, dpi=dpi))
