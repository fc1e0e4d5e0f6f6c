"""Exporting a run: its model as the inference checkpoint (training-only parts left out) and as
ONNX graphs, through each pipeline's declared parts (the registry), never by convention.

`attnkit export RUN --format onnx --output model.onnx` writes the pipeline's graphs
(`pipelines/<name>/export.py`) with the run's description; `model.onnx` is then accepted
wherever a RUN is, and runs under ONNX Runtime. `--runtime onnx` with a run folder or
checkpoint exports it into a temporary folder first (fp32; `onnx-int8`: a classifier with int8
weights; it takes seconds to a minute, so export once with `attnkit export` to run it often);
`--runtime torch` refuses an .onnx file.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from attnkit.errors import AttnkitError
from attnkit.pipelines.registry import PipelineSpec, pipeline_named
from attnkit.run.checkpoint import FORMAT_VERSION, Checkpoint, load_checkpoint
from attnkit.run.meta import recorded_pipeline
from attnkit.run.onnx_files import is_onnx_file, require
from attnkit.runtime.onnx_graphs import is_onnx_checkpoint
from attnkit.runtime.runtimes import RUNTIMES


def spec_of(checkpoint: Checkpoint) -> PipelineSpec:
    return pipeline_named(recorded_pipeline(checkpoint.meta), checkpoint.path)


def inference_checkpoint(checkpoint: Checkpoint) -> Checkpoint:
    """The checkpoint as a reading model needs it: the pipeline's training-only parts left out
    (`PipelineSpec.inference_checkpoint`), no optimiser state."""
    spec = spec_of(checkpoint)
    if spec.inference_checkpoint is None:
        return checkpoint
    return spec.load(spec.inference_checkpoint)(checkpoint)


def write_onnx(checkpoint: Checkpoint, output: Path, int8: bool = False) -> list[Path]:
    """The checkpoint's model as ONNX files (`output`, and `X.step.onnx` beside it for
    step-decoded models) holding its meta; int8 only where the pipeline allows it."""
    from attnkit.runtime.onnx_export import write_export

    if is_onnx_checkpoint(checkpoint):
        raise AttnkitError(f"{checkpoint.path} is an ONNX export already; export the run "
                           "folder or checkpoint it came from")
    spec = spec_of(checkpoint)
    if int8 and not spec.int8:
        raise AttnkitError(f"--int8 quantises classifiers only; {checkpoint.path} holds a "
                           f"{spec.name} model (export it in fp32)")
    header = {"format_version": FORMAT_VERSION,
              **{key: checkpoint.header[key] for key in ("meta", "epoch", "metrics")
                 if key in checkpoint.header},
              "exported_from": str(checkpoint.path)}
    return write_export(spec.module("export").onnx_export(checkpoint), output, header, int8)


@contextlib.contextmanager
def runtime_checkpoint(path: Path, runtime: str | None) -> Iterator[Path]:
    """The file a command loads for `runtime` (one of RUNTIMES, or None: as the file is):
    `path` itself, or for "onnx" / "onnx-int8" and a torch checkpoint, an export of it in a
    temporary folder that lasts as long as the context."""
    if runtime not in (None, *RUNTIMES):
        raise AttnkitError(f"--runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
    if is_onnx_file(path):
        if runtime == "torch":
            raise AttnkitError(f"{path} is an ONNX export, which runs under ONNX Runtime: drop "
                               "--runtime torch, or give the run folder or checkpoint")
        if runtime == "onnx-int8":
            raise AttnkitError(f"{path} is an ONNX export already, with the weights it was "
                               "exported with: drop --runtime onnx-int8, or give the run folder "
                               "or checkpoint")
        yield path
        return
    if runtime not in ("onnx", "onnx-int8"):
        yield path
        return
    require("onnxruntime", f"--runtime {runtime}")  # before an export that could not run
    checkpoint = inference_checkpoint(load_checkpoint(path))
    int8, spec = runtime == "onnx-int8", spec_of(checkpoint)
    if int8 and not spec.int8:  # said before write_onnx would, in the words of --runtime
        raise AttnkitError(f"--runtime onnx-int8 quantises classifiers only; {path} holds a "
                           f"{spec.name} model (use --runtime onnx)")
    with tempfile.TemporaryDirectory(prefix="attnkit-onnx-") as folder:
        output = Path(folder) / f"{Path(path).stem}.onnx"
        write_onnx(checkpoint, output, int8)
        yield output
