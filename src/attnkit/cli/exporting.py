"""`attnkit export RUN --output F`: a run's model as weights only (safetensors, optionally fp16)
or as ONNX graphs (`--format onnx [--int8]`), loadable wherever a RUN is. `--average K` exports
the mean of the weights of the run's last K epochs (kept with `train.keep_last`) instead of
its best checkpoint."""

from __future__ import annotations

import argparse
import copy
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from attnkit.errors import AttnkitError
from attnkit.files import check_writable
from attnkit.pipelines.arguments import integer_from

if TYPE_CHECKING:
    from attnkit.run.checkpoint import Checkpoint

MAX_AVERAGED = 100  # epoch checkpoints averaged at most (each is read once, one at a time)


def add_arguments(export: argparse.ArgumentParser, verb: str) -> None:
    export.add_argument("run", help="run folder, checkpoint file or shipped model name")
    export.add_argument("--output", required=True, type=Path, help="the .safetensors (or "
                        ".onnx) to write; seq2seq and image models also write X.step.onnx")
    export.add_argument("--format", choices=("safetensors", "onnx"), default="safetensors",
                        help="safetensors (default: torch weights) or onnx (graphs for ONNX "
                        "Runtime, needs attnkit[onnx])")
    export.add_argument("--int8", action="store_true", help="with --format onnx, classifiers: "
                        "int8 weights (ONNX Runtime dynamic quantisation), faster on CPUs")
    export.add_argument("--dtype", choices=("fp32", "fp16"), default="fp32",
                        help="floating-point weights as fp32 (default) or fp16 (half the size)")
    export.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="decode.KEY=VALUE", help="store another decoding (chosen on "
                        "validation) as the model's default; only decode.* may change")
    export.add_argument("--average", type=integer_from(1, MAX_AVERAGED), metavar="K",
                        help="export the mean of the weights of the last K epochs of the run "
                        "folder RUN (it keeps them with train.keep_last >= K), e.g. "
                        "--average 5 --output averaged.safetensors; then eval or translate "
                        "averaged.safetensors as any RUN")
    export.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    export.set_defaults(func=export_weights)


def check_output(args: argparse.Namespace) -> Path:
    """--output, checked against --format, --dtype and --int8 and writable, before any work."""
    output = Path(args.output)
    suffix = ".onnx" if args.format == "onnx" else ".safetensors"
    if output.suffix != suffix:
        raise AttnkitError(f"--output must end in {suffix} for --format {args.format}, got "
                           f"{output}")
    if args.format == "onnx" and args.dtype != "fp32":
        raise AttnkitError("--dtype fp16 is for --format safetensors; ONNX graphs are fp32 "
                           "(add --int8 for int8 weights)")
    if args.int8 and args.format != "onnx":
        raise AttnkitError("--int8 is an ONNX Runtime quantisation: add --format onnx")
    # an ONNX export of a step-decoded model also writes X.step.onnx (runtime/onnx_export.py)
    targets = [output, output.with_name(f"{output.stem}.step.onnx")] if args.format == "onnx" \
        else [output]
    existing = [target for target in targets if target.exists()]
    if existing and not args.overwrite:
        raise AttnkitError(f"{existing[0]} exists; pass --overwrite to replace it")
    check_writable(output)
    return output


def export_weights(args: argparse.Namespace) -> None:
    """Weights and the pipeline's meta only, training-only parts left out
    (`pipelines.exporting.inference_checkpoint`); `--dtype fp16` halves float tensors.
    `--format onnx` writes ONNX graphs instead."""
    from attnkit.pipelines.exporting import inference_checkpoint, spec_of, write_onnx
    from attnkit.run.checkpoint import load_checkpoint, resolve_checkpoint, save_checkpoint

    output = check_output(args)
    path = resolve_checkpoint(args.run)
    if path.suffix == ".onnx":
        raise AttnkitError(f"{path} is an ONNX export already; export the run folder or "
                           "checkpoint it came from")
    loaded = load_checkpoint(path) if args.average is None else \
        averaged_checkpoint(Path(args.run), args.average)
    checkpoint = inference_checkpoint(loaded)
    if args.overrides:
        checkpoint.header["meta"]["recipe"] = decode_changed(
            checkpoint.header["meta"]["recipe"], args.overrides,
            spec_of(checkpoint).recipe_class)
    if args.format == "onnx":
        for written in write_onnx(checkpoint, output, args.int8):
            print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB, "
                  f"{'int8' if args.int8 else 'fp32'} ONNX)")
        return
    state = {key: value.half() if args.dtype == "fp16" and value.is_floating_point() else value
             for key, value in checkpoint.model_state.items()}
    header = {key: checkpoint.header[key] for key in ("meta", "epoch", "metrics", "averaged")
              if key in checkpoint.header}
    save_checkpoint(output, state, {**header, "exported_from": str(path), "dtype": args.dtype})
    print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB, {args.dtype}, weights only)")


def averaged_checkpoint(run_dir: Path, count: int) -> Checkpoint:
    """The last epoch checkpoint of `run_dir` holding the mean weights of its last `count`
    epochs; its header's "averaged" says which, and it has no metrics (those of one epoch
    would not describe the mean)."""
    from attnkit.engine.checkpoint_averaging import average_checkpoints, last_epoch_checkpoints
    from attnkit.run.checkpoint import load_checkpoint

    if not run_dir.is_dir():
        raise AttnkitError(f"--average needs a run folder (with epoch-<n>.safetensors), got "
                           f"{run_dir}")
    paths = last_epoch_checkpoints(run_dir, count)
    last = load_checkpoint(paths[-1])
    header = {key: value for key, value in last.header.items() if key != "metrics"}
    header["averaged"] = {"files": [path.name for path in paths],
                          "epochs": [int(path.stem.split("-")[1]) for path in paths]}
    return dataclasses.replace(last, header=header, model_state=average_checkpoints(paths),
                               optimizer_state=None)


def decode_changed(recipe: dict, overrides: Sequence[str], recipe_class: type) -> dict:
    """The recipe dict with `decode.key=value` overrides, checked as a recipe file is."""
    from attnkit.recipe import parse_override, recipe_from_dict, recipe_to_dict, set_dotted

    changed = copy.deepcopy(recipe)
    for text in overrides:
        key, value = parse_override(text)
        if not key.startswith("decode."):
            raise AttnkitError(f"--set {key}: export may change decode.* only (the weights "
                               "were trained with the rest of the recipe)")
        set_dotted(changed, key, value)
    return recipe_to_dict(recipe_from_dict(recipe_class, changed))
