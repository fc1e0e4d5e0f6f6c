"""Writing a matplotlib figure to a file: atomically, and as a clear error when it cannot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attnkit.files import write_atomically


def save_figure(figure: Any, path: Path, dpi: int) -> Path:
    """Save `figure` to a temporary file beside `path`, rename it over `path`, close the figure.

    A failed write leaves any earlier file at `path` untouched and raises `AttnkitError`.
    """
    import matplotlib.pyplot as plt

    try:
        return write_atomically(path, lambda temporary: figure.savefig(temporary, dpi=dpi))
    finally:
        plt.close(figure)
