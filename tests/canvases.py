"""Image files as an image reader's model reads them, for tests that search pre-made canvases
(`ImageReader.predict_encoded`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from attnkit.data.images import read_image


def canvases(reader, paths: Sequence[str | Path]) -> np.ndarray:  # noqa: ANN001
    """uint8 (N, S, S): each file fitted on the reader's square canvas (cropped to its ink
    first where the reader's recipe says so, as the reader does)."""
    return np.stack([read_image(path, reader.image_size, crop=reader.recipe.data.crop_to_ink)[0]
                     for path in paths])
