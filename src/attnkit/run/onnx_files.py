"""What an exported ONNX file says about itself, read without running it.

`attnkit export --format onnx` stores in each file's metadata (`metadata_props`), under the
key "attnkit", a JSON header like a checkpoint's (format version, the pipeline's meta with
recipe and vocabulary, epoch, metrics) plus an "onnx" part: which graph the file is, the files
of the others, and how the graphs connect. Tensors the host needs besides the graphs (a
classifier's n-gram table) are initializers named "attnkit.<name>", which no node reads.
`run.checkpoint` reads an .onnx file through this module, so an export is accepted
wherever a checkpoint is.

An export may come from anyone, so what its metadata says is data, never a path to follow:
the other graphs' files are bare names in the first file's own folder (`graph_file`), read as
regular files only (`read_graph_file`: no device, pipe or link out of the folder), and each
must have the SHA-256 the first file records for it, so that two files of different exports
are never run as one model. Graphs are read into memory and handed over as bytes: no reader
follows a file name written inside a graph (external data) either.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import Tensor

from attnkit.errors import AttnkitError
from attnkit.files import file_in_folder, open_user_file

ONNX_SUFFIX = ".onnx"
ONNX_EXTRA = "pip install 'attnkit[onnx]'"
HEADER_KEY = "attnkit"
HOST_PREFIX = "attnkit."  # initializers that hold host tensors, not graph weights
ONNX_FORMAT_VERSION = 1
MAX_GRAPH_BYTES = 2**31 - 1  # protobuf's limit for one message: no ONNX file is larger


def require(module: str, purpose: str) -> ModuleType:
    """`import module`, or an AttnkitError that names the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise AttnkitError(f"{purpose} needs the {module} package, which is not installed: "
                           f"{ONNX_EXTRA}") from None


def is_onnx_file(path: str | Path) -> bool:
    return Path(path).suffix == ONNX_SUFFIX


def read_graph_file(path: Path) -> bytes:
    """The bytes of an ONNX file, if it is a regular file (never a device or a pipe, which
    could be endless or block) of at most MAX_GRAPH_BYTES."""
    with open_user_file(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_GRAPH_BYTES:
            raise AttnkitError(f"{path} is {size / 2**30:.1f} GiB, larger than any ONNX file "
                               "can be")
        try:
            return handle.read(MAX_GRAPH_BYTES + 1)
        except OSError as error:
            raise AttnkitError(f"{path}: cannot read ({error.strerror})") from None


def graph_file(folder: Path, name: Any, owner: Path) -> Path:
    """The file `name` of another graph of the export `owner` (as its metadata says): a bare
    file name in `folder`, `owner`'s own, and not a link that leads out of it."""
    return file_in_folder(folder, name, f"{owner} (its graphs)")


def check_graph_hash(data: bytes, path: Path, expected: Any, owner: Path) -> None:
    """An AttnkitError unless `data` (the file `path`) has the SHA-256 `owner` recorded."""
    if not isinstance(expected, str):
        raise AttnkitError(f"{owner} does not record the SHA-256 of {path.name} (exported by an "
                           "older attnkit, or altered): export the run again")
    if hashlib.sha256(data).hexdigest() != expected:
        raise AttnkitError(f"{path} is not the graph {owner.name} was exported with (its SHA-256 "
                           "differs): the two files come from different exports; export the "
                           "run again")


def _load_proto(path: Path) -> Any:
    onnx = require("onnx", f"reading {path}")
    data = read_graph_file(path)
    try:
        return onnx.load_model_from_string(data)
    except Exception as error:  # protobuf's DecodeError, onnx's own checks
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
    if not isinstance(described, dict) or not isinstance(header.get("meta"), dict) or \
            not isinstance(described.get("graphs", {}), dict):
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
