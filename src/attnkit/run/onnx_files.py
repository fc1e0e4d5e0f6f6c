"""What an exported ONNX file says about itself, read without running it.

`attnkit export --format onnx` stores in each file's metadata (`metadata_props`), under the
key "attnkit", a JSON header like a checkpoint's (format version, the pipeline's meta with
recipe and vocabulary, epoch, metrics) plus an "onnx" part: which graph the file is, the files
of the others, and how the graphs connect. Tensors the host needs besides the graphs (a
classifier's n-gram table) are initializers named "attnkit.<name>", which no node reads.
`run.checkpoint` reads an .onnx file through this module, so an export is accepted
wherever a checkpoint is.
"""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import Tensor

from attnkit.errors import AttnkitError

ONNX_SUFFIX = ".onnx"
ONNX_EXTRA = "pip install 'attnkit[onnx]'"
HEADER_KEY = "attnkit"
HOST_PREFIX = "attnkit."  # initializers that hold host tensors, not graph weights
ONNX_FORMAT_VERSION = 1


def require(module: str, purpose: str) -> ModuleType:
    """`import module`, or an AttnkitError that names the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise AttnkitError(f"{purpose} needs the {module} package, which is not installed: "
                           f"{ONNX_EXTRA}") from None


def is_onnx_file(path: str | Path) -> bool:
    return Path(path).suffix == ONNX_SUFFIX


def _load_proto(path: Path) -> Any:
    onnx = require("onnx", f"reading {path}")
    try:
        return onnx.load(str(path))
    except Exception as error:  # protobuf's DecodeError, OSError, onnx's own checks
        raise AttnkitError(f"{path} is not a readable ONNX file ({type(error).__name__}: "
                           f"{str(error)[:80]})") from None


def _header_of(proto: Any, path: Path) -> dict[str, Any]:
    props = {prop.key: prop.value for prop in proto.metadata_props}
    if HEADER_KEY not in props:
        raise AttnkitError(f"{path} is an ONNX model but not one attnkit exported (it has no "
                           "attnkit description); export one with `attnkit export RUN "
                           "--format onnx`")
    try:
        header = json.loads(props[HEADER_KEY])
    except (json.JSONDecodeError, RecursionError):
        header = None
    described = header.get("onnx") if isinstance(header, dict) else None
    if not isinstance(described, dict) or not isinstance(header.get("meta"), dict):
        raise AttnkitError(f"{path} has a corrupt attnkit description")
    if described.get("format_version") != ONNX_FORMAT_VERSION:
        raise AttnkitError(f"{path} was exported in ONNX format version "
                           f"{described.get('format_version')!r}; this attnkit reads version "
                           f"{ONNX_FORMAT_VERSION}: export it again")
    return header


def read_onnx_header(path: str | Path) -> dict[str, Any]:
    """The attnkit header of an exported ONNX file (an AttnkitError for any other file)."""
    path = Path(path)
    return _header_of(_load_proto(path), path)


def read_onnx_export(path: str | Path) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """(header, host tensors by name, e.g. "ngrams.keys") of an exported ONNX file."""
    onnx = require("onnx", f"reading {path}")
    path = Path(path)
    proto = _load_proto(path)
    host = {item.name[len(HOST_PREFIX):]:
            torch.from_numpy(onnx.numpy_helper.to_array(item).copy())
            for item in proto.graph.initializer if item.name.startswith(HOST_PREFIX)}
    return _header_of(proto, path), host


def graph_weights(path: str | Path) -> tuple[int, int]:
    """(numbers, initializers) the graph of an exported ONNX file holds as weights, the host
    tensors left out (an int8 weight counts once, its scale and zero point apart)."""
    path = Path(path)
    weights = [item for item in _load_proto(path).graph.initializer
               if not item.name.startswith(HOST_PREFIX)]
    return sum(math.prod(item.dims) for item in weights), len(weights)
