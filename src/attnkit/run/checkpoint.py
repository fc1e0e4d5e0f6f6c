"""Checkpoints: one safetensors file holding weights, optimiser tensors and a JSON header.

Tensors are named `model.<state_dict key>` and `optimizer.<...>`; everything else (format
version, the pipeline's meta with recipe and vocabulary, epoch, metrics, RNG state, optimiser
hyper-parameters) is JSON in the header's metadata under the key "attnkit". Files are written to a
temporary name and renamed, so a crash never leaves a half-written checkpoint, and loading never
unpickles anything.

A checkpoint may come from anyone, so reading one checks what it says before acting on it: the
header must be a JSON object (of sane depth), the optimiser description well formed, and
`build_checked` builds the model a header describes without memory first and compares it with
the tensors actually in the file, so that a header claiming a 640 GB model is one error line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from attnkit.errors import AttnkitError
from attnkit.files import write_atomically
from attnkit.run.shipped import shipped_checkpoint, shipped_models

FORMAT_VERSION = 1
HEADER_KEY = "attnkit"
MODEL_PREFIX = "model."
OPTIMIZER_PREFIX = "optimizer."


@dataclass
class Checkpoint:
    """What a checkpoint holds; `meta` is the pipeline's own part of the header; `path` is the
    file it was read from (None when built in memory), named in errors about its weights."""

    header: dict[str, Any]
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any] | None
    extra_tensors: dict[str, torch.Tensor]
    path: Path | None = None

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
    """The JSON header alone, without reading any tensor (an exported .onnx file's too)."""
    if Path(path).suffix == ".onnx":
        from attnkit.run.onnx_files import read_onnx_header

        return read_onnx_header(path)
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise AttnkitError(f"{path} is not a readable attnkit checkpoint ({error})") from None
    if HEADER_KEY not in metadata:
        raise AttnkitError(f"{path} is a safetensors file but not an attnkit checkpoint")
    try:
        header = json.loads(metadata[HEADER_KEY])
    except (json.JSONDecodeError, RecursionError):  # RecursionError: nested absurdly deep
        raise AttnkitError(f"{path} has a corrupt attnkit header") from None
    if not isinstance(header, dict):
        raise AttnkitError(f"{path} has a corrupt attnkit header: a JSON "
                           f"{type(header).__name__}, not an object")
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or \
            not 1 <= version <= FORMAT_VERSION:
        raise AttnkitError(
            f"{path} has checkpoint format {version!r}; this attnkit reads up to {FORMAT_VERSION}"
        )
    if not isinstance(header.get("meta"), dict):
        raise AttnkitError(f"{path} has no pipeline description (meta) in its header")
    return header


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint file or a run folder's best checkpoint onto the CPU. An exported
    .onnx file reads as its header and the host tensors it stores (no graph weights)."""
    path = resolve_checkpoint(path)
    if path.suffix == ".onnx":
        from attnkit.run.onnx_files import read_onnx_export

        header, host_tensors = read_onnx_export(path)
        return Checkpoint(header, host_tensors, None, {}, path)
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
        try:
            optimizer_state = join_optimizer_state(strip_prefix(tensors, OPTIMIZER_PREFIX),
                                                   header["optimizer"])
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            raise AttnkitError(f"{path} has a corrupt optimiser state ({type(error).__name__}: "
                               f"{error})") from None
    extra = {k: v for k, v in tensors.items()
             if not k.startswith((MODEL_PREFIX, OPTIMIZER_PREFIX))}
    return Checkpoint(header, model_state, optimizer_state, extra, path)


def build_checked(build: Callable[[], torch.nn.Module], checkpoint: Checkpoint,
                  device: torch.device | str = "cpu") -> torch.nn.Module:
    """`build()`'s model holding the checkpoint's weights, on `device`. It is first built on
    torch's meta device (no memory) and its tensor names and shapes are compared with the
    file's, so a header that describes another or a huge model is one error, not an
    allocation; the file's own tensors bound what is then built."""
    with torch.device("meta"):
        skeleton = build()
    check_weights_fit(skeleton, checkpoint)
    model = build()
    load_model_state(model, checkpoint)
    return model.to(device)


def check_weights_fit(model: torch.nn.Module, checkpoint: Checkpoint) -> None:
    """An AttnkitError naming the first tensor the model and the checkpoint disagree on."""
    expected = {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}
    found = {name: tuple(tensor.shape) for name, tensor in checkpoint.model_state.items()}
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    wrong = [name for name in expected if name in found and expected[name] != found[name]]
    problem = (f"{wrong[0]} is {found[wrong[0]]} in the file but {expected[wrong[0]]} in the "
               "model its header describes" if wrong else
               f"the file lacks {missing[0]}" if missing else
               f"the file has {unexpected[0]}, which the model lacks" if unexpected else None)
    if problem is not None:
        raise AttnkitError(f"{named(checkpoint)}checkpoint weights do not fit the model: {problem}")


def load_model_state(model: torch.nn.Module, checkpoint: Checkpoint) -> None:
    """Load weights, turning a shape or name mismatch into one clear error."""
    try:
        model.load_state_dict(checkpoint.model_state)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0:2]
        raise AttnkitError(f"{named(checkpoint)}checkpoint weights do not fit the model: "
                           f"{' '.join(first)}") from None


def named(checkpoint: Checkpoint) -> str:
    """The start of an error about the checkpoint: "<path>: ", or "" when it has no file."""
    return f"{checkpoint.path}: " if checkpoint.path is not None else ""


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
    """The inverse of `split_optimizer_state`; a malformed description raises KeyError,
    ValueError or TypeError."""
    if not isinstance(described.get("param_groups"), list) or \
            not all(isinstance(group, dict) for group in described["param_groups"]):
        raise ValueError("param_groups must be a list of objects")
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        _, param, key = name.split(".", 2)
        state.setdefault(int(param), {})[key] = value
    for param, values in described.get("scalars", {}).items():
        state.setdefault(int(param), {}).update(values)
    return {"state": state, "param_groups": described["param_groups"]}
