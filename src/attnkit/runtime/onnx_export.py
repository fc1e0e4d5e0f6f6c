"""Writing models as ONNX files that carry their own description (`run.onnx_files`).

Each graph goes through `torch.export` (`runtime.exported_graphs`) and then torch's ONNX
exporter; the file's metadata gets the run's header and the "onnx" part that says which graph
it is and how the graphs connect; host tensors go in as unread initializers.

`--int8` is ONNX Runtime's dynamic quantisation (int8 weights, activations quantised per
call); `torch.ao.quantization` is deprecated and not used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import Tensor

from attnkit.errors import AttnkitError
from attnkit.files import write_atomically
from attnkit.run.onnx_files import HEADER_KEY, HOST_PREFIX, ONNX_FORMAT_VERSION, require
from attnkit.runtime.exported_graphs import (
    GraphSpec,
    export_program,
    quiet_exporter,
    rnn_while_loops,
)
from attnkit.runtime.onnx_lstm import translations, with_onnx_lstms

OPSET = 18


@dataclass(frozen=True)
class OnnxExport:
    """What a pipeline exports: its graphs by role, the first one being the file the user
    names (`model` for a classifier, `encoder` then `step` for step-decoded models); tensors
    the host needs besides them (in the first file); and how the graphs connect (JSON)."""

    graphs: dict[str, GraphSpec]
    host_tensors: dict[str, Tensor] = field(default_factory=dict)
    interface: dict[str, Any] = field(default_factory=dict)


def graph_files(output: Path, roles: list[str]) -> dict[str, Path]:
    """The first role is written to `output` (X.onnx), the others beside it (X.step.onnx)."""
    return {role: output if position == 0 else output.with_name(f"{output.stem}.{role}.onnx")
            for position, role in enumerate(roles)}


def write_export(export: OnnxExport, output: Path, header: dict[str, Any],
                 int8: bool = False) -> list[Path]:
    """Each graph of `export` as an ONNX file (see `graph_files`), fp32 or with int8 weights,
    every one holding `header` and the "onnx" part; -> the files written.

    The files are one model: the first records the SHA-256 of each other one, which readers
    check (`runtime.onnx_graphs.graph_bytes`). Every graph is exported before any file is
    written, so a failed export leaves no half of one; the first file is written last, so an
    export killed between its files leaves a first file that refuses the new step graph (or
    none), never a pair that answers wrongly."""
    onnx = require("onnx", "ONNX export")
    require("onnxscript", "ONNX export")
    if int8:
        require("onnxruntime.quantization", "--int8")
    files = graph_files(output, list(export.graphs))
    described = {"format_version": ONNX_FORMAT_VERSION,
                 "graphs": {role: path.name for role, path in files.items()},
                 "int8": int8, **export.interface}
    contents: dict[str, bytes] = {}
    first, *others = export.graphs
    for role in [*others, first]:
        model = quantize_int8(onnx_model(export.graphs[role])) if int8 else \
            onnx_model(export.graphs[role])
        part = {**described, "graph": role}
        if role == first:
            add_host_tensors(model, export.host_tensors)
            part["sha256"] = {other: hashlib.sha256(contents[other]).hexdigest()
                              for other in others}
        full = {**header, "dtype": "int8" if int8 else "fp32", "onnx": part}
        onnx.helper.set_model_props(model, {HEADER_KEY: json.dumps(full)})
        contents[role] = model.SerializeToString()

    def saver(data: bytes) -> Callable[[Path], None]:
        return lambda temporary: temporary.write_bytes(data)

    for role in others:
        write_atomically(files[role], saver(contents[role]))
    write_atomically(files[first], saver(contents[first]))
    return [files[role] for role in export.graphs]


def onnx_model(spec: GraphSpec) -> Any:
    """The ONNX ModelProto of a graph, through `torch.export`, with named inputs, outputs
    and variable axes; masked LSTM encoders become ONNX `LSTM` nodes (`runtime.onnx_lstm`)."""
    import torch

    spec = dataclasses.replace(spec, module=with_onnx_lstms(spec.module))
    try:
        with quiet_exporter(), rnn_while_loops():  # the exporter decomposes again: keep loops
            program = export_program(spec)
            exported = torch.onnx.export(program, spec.example, dynamo=True,
                                         input_names=list(spec.inputs),
                                         output_names=list(spec.outputs),
                                         custom_translation_table=translations(),
                                         opset_version=OPSET, optimize=True, verbose=False)
    except Exception as error:  # the exporter's errors are many types, all this one's failure
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise AttnkitError(f"ONNX export of {type(spec.module).__name__} failed: "
                           f"{type(error).__name__}: {first}") from error
    model = exported.model_proto
    name_axes(model, spec)
    return model


def name_axes(model: Any, spec: GraphSpec) -> None:
    """Give the variable input axes their spec names ("batch", "source_length") instead of
    the exporter's symbols, in the inputs and wherever else that symbol appears."""
    renames: dict[str, str] = {}
    for value in model.graph.input:
        for axis, name in spec.dynamic.get(value.name, {}).items():
            dim = value.type.tensor_type.shape.dim[axis]
            if dim.dim_param:
                renames[dim.dim_param] = name
    for value in [*model.graph.input, *model.graph.output, *model.graph.value_info]:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param in renames:
                dim.dim_param = renames[dim.dim_param]


INT8_OPERATORS = ["MatMul", "Gemm", "LSTM"]  # not Gather: an int8 embedding table is
# dequantised whole at every call, which costs more than the lookup saves


def quantize_int8(model: Any) -> Any:
    """ONNX Runtime's dynamic quantisation of a ModelProto: int8 weights for its matrix
    products and LSTMs (`INT8_OPERATORS`); activations are quantised at run time."""
    onnx = require("onnx", "int8 export")
    quantization = require("onnxruntime.quantization", "int8 export")
    with tempfile.TemporaryDirectory(prefix="attnkit-int8-") as folder, quiet_exporter():
        source, target = Path(folder) / "fp32.onnx", Path(folder) / "int8.onnx"
        onnx.save(model, source)
        quantization.quantize_dynamic(source, target, op_types_to_quantize=INT8_OPERATORS,
                                      weight_type=quantization.QuantType.QInt8)
        return onnx.load(target)


def add_host_tensors(model: Any, tensors: dict[str, Tensor]) -> None:
    """Store `tensors` in the model as initializers no node reads ("attnkit.<name>")."""
    onnx = require("onnx", "ONNX export")
    for name, tensor in tensors.items():
        model.graph.initializer.append(onnx.numpy_helper.from_array(
            tensor.detach().cpu().numpy(), HOST_PREFIX + name))
