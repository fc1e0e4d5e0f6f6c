"""attnkit checkpoints read and written with safetensors' NumPy API, without torch.

The format is `attnkit.engine.checkpoint`'s: tensors `model.<torch state_dict key>`, and the
header metadata key "attnkit" holding JSON {"format_version": 1, "meta": {...}, "epoch", ...}.
So a checkpoint saved here loads in the torch engine, and a torch checkpoint loads here.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from attnkit.errors import AttnkitError
from attnkit.numpy_ref.torch_layout import from_torch_layout, to_torch_layout

FORMAT_VERSION = 1
HEADER_KEY = "attnkit"
MODEL_PREFIX = "model."


def save_numpy_checkpoint(path: str | Path, model: Any, header: dict[str, Any]) -> None:
    """Write `model`'s parameters (torch names) and `header` (JSON: "meta", "epoch", ...)
    to a temporary file in the same folder, then rename it over `path`."""
    from safetensors.numpy import save_file

    path = Path(path)
    tensors = {MODEL_PREFIX + k: v for k, v in to_torch_layout(model.state_dict()).items()}
    metadata = {HEADER_KEY: json.dumps({"format_version": FORMAT_VERSION, **header})}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        save_file(tensors, temporary, metadata=metadata)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def read_numpy_checkpoint(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """-> (header, model arrays under torch names) of a checkpoint from either engine."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as handle:
            metadata = handle.metadata() or {}
            arrays = {key[len(MODEL_PREFIX):]: handle.get_tensor(key)
                      for key in handle.keys() if key.startswith(MODEL_PREFIX)}
    except (SafetensorError, OSError, ValueError) as error:
        raise AttnkitError(f"{path} is not a readable attnkit checkpoint ({error})") from None
    if HEADER_KEY not in metadata:
        raise AttnkitError(f"{path} is a safetensors file but not an attnkit checkpoint")
    header = json.loads(metadata[HEADER_KEY])
    if header.get("format_version", 0) > FORMAT_VERSION:
        raise AttnkitError(f"{path} has checkpoint format {header['format_version']}; "
                           f"this attnkit reads up to {FORMAT_VERSION}")
    return header, arrays


def load_numpy_weights(path: str | Path, model: Any) -> dict[str, Any]:
    """Copy a checkpoint's weights (either engine) into `model`; -> the checkpoint header."""
    header, arrays = read_numpy_checkpoint(path)
    dtype = model.params[0].dtype
    model.load_state_dict(from_torch_layout(arrays, list(model.state_dict()), dtype))
    return header
