"""Checkpoints: one safetensors file holding weights, optimiser tensors and a JSON header.

Tensors are named `model.<state_dict key>` and `optimizer.<...>`; everything else (format
version, the pipeline's meta with recipe and vocabulary, epoch, metrics, RNG state, optimiser
hyper-parameters) is JSON in the header's metadata under the key "attnkit". Files are written to a
temporary name and renamed, so a crash never leaves a half-written checkpoint, and loading never
unpickles anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from attnkit.engine.shipped import shipped_checkpoint, shipped_models
from attnkit.errors import AttnkitError
from attnkit.files import write_atomically

FORMAT_VERSION = 1
HEADER_KEY = "attnkit"
MODEL_PREFIX = "model."
OPTIMIZER_PREFIX = "optimizer."


@dataclass
class Checkpoint:
    """What a checkpoint holds; `meta` is the pipeline's own part of the header."""

    header: dict[str, Any]
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any] | None
    extra_tensors: dict[str, torch.Tensor]

    @property
    def meta(self) -> dict[str, Any]:
        return self.header["meta"]


def save_checkpoint(
    path: Path,
    model_state: dict[str, torch.Tensor],
    header: dict[str, Any],
    optimizer_state: dict[str, Any] | None = None,
    extra_tensors: dict[str, torch.Tensor] | None = None,
) -> None:
    """Write atomically: a temporary file in the same folder, then a rename over `path`."""
    tensors = {MODEL_PREFIX + k: v for k, v in model_state.items()}
    header = {"format_version": FORMAT_VERSION, **header}
    if optimizer_state is not None:
        optimizer_tensors, header["optimizer"] = split_optimizer_state(optimizer_state)
        tensors.update({OPTIMIZER_PREFIX + k: v for k, v in optimizer_tensors.items()})
    tensors.update(extra_tensors or {})
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    metadata = {HEADER_KEY: json.dumps(header)}
    write_atomically(path, lambda temporary: save_file(tensors, temporary, metadata=metadata))


def resolve_checkpoint(path: str | Path, prefer: str = "best") -> Path:
    """A run folder gives its `best` (else `last`) checkpoint; a file gives itself; the name of
    a shipped model (`attnkit models`) gives its file, when nothing of that name exists here."""
    path = Path(path)
    if not path.exists():
        shipped = shipped_checkpoint(str(path))
        if shipped is not None:
            return shipped
    if path.is_dir():
        order = (prefer, "last") if prefer != "last" else ("last",)
        for name in order:
            candidate = path / f"{name}.safetensors"
            if candidate.is_file():
                return candidate
        raise AttnkitError(f"no checkpoint in run folder {path} (expected best/last.safetensors)")
    if not path.is_file():
        names = ", ".join(shipped_models())
        raise AttnkitError(f"checkpoint not found: {path}"
                           + (f" (shipped models: {names})" if names else ""))
    return path


def read_header(path: Path) -> dict[str, Any]:
    """The JSON header alone, without reading any tensor."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise AttnkitError(f"{path} is not a readable attnkit checkpoint ({error})") from None
    if HEADER_KEY not in metadata:
        raise AttnkitError(f"{path} is a safetensors file but not an attnkit checkpoint")
    try:
        header = json.loads(metadata[HEADER_KEY])
    except json.JSONDecodeError:
        raise AttnkitError(f"{path} has a corrupt attnkit header") from None
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise AttnkitError(
            f"{path} has checkpoint format {version!r}; this attnkit reads up to {FORMAT_VERSION}"
        )
    if not isinstance(header.get("meta"), dict):
        raise AttnkitError(f"{path} has no pipeline description (meta) in its header")
    return header


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint file or a run folder's best checkpoint onto the CPU."""
    path = resolve_checkpoint(path)
    header = read_header(path)
    tensors: dict[str, torch.Tensor] = {}
    try:
        with safe_open(str(path), framework="pt") as handle:
            for key in handle.keys():
                tensors[key] = handle.get_tensor(key)
    except (SafetensorError, OSError, ValueError) as error:
        raise AttnkitError(f"{path} is corrupt: {error}") from None
    model_state = strip_prefix(tensors, MODEL_PREFIX)
    optimizer_state = None
    if "optimizer" in header:
        optimizer_state = join_optimizer_state(strip_prefix(tensors, OPTIMIZER_PREFIX),
                                               header["optimizer"])
    extra = {k: v for k, v in tensors.items()
             if not k.startswith((MODEL_PREFIX, OPTIMIZER_PREFIX))}
    return Checkpoint(header, model_state, optimizer_state, extra)


def load_model_state(model: torch.nn.Module, checkpoint: Checkpoint) -> None:
    """Load weights, turning a shape or name mismatch into one clear error."""
    try:
        model.load_state_dict(checkpoint.model_state)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0:2]
        raise AttnkitError(f"checkpoint weights do not fit the model: {' '.join(first)}") from None


def strip_prefix(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def split_optimizer_state(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict]:
    """A torch optimiser state_dict -> (tensors named `state.<param>.<key>`, JSON rest)."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for param, values in state["state"].items():
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{param}.{key}"] = value
            else:
                scalars.setdefault(str(param), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def join_optimizer_state(tensors: dict[str, torch.Tensor], described: dict) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        _, param, key = name.split(".", 2)
        state.setdefault(int(param), {})[key] = value
    for param, values in described.get("scalars", {}).items():
        state.setdefault(int(param), {}).update(values)
    return {"state": state, "param_groups": described["param_groups"]}
