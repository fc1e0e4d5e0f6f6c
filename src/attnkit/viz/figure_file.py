"""Writing a matplotlib figure to a file: atomically, and as a clear error when it cannot."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from attnkit.errors import AttnkitError


def save_figure(figure: Any, path: Path, dpi: int) -> Path:
    """Save `figure` to a temporary file beside `path`, rename it over `path`, close the figure.

    A failed write leaves any earlier file at `path` untouched and raises `AttnkitError`.
    """
    import matplotlib.pyplot as plt

    temporary = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(temporary, dpi=dpi)
        os.replace(temporary, path)
    except OSError as error:
        raise AttnkitError(f"cannot write {path}: {error}") from None
    finally:
        plt.close(figure)
        if temporary.exists():
            temporary.unlink()
    return path
