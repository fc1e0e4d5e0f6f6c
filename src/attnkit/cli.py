"""The `attnkit` command: train, eval, predict and inspect attention models.

Pipelines live in `attnkit.pipelines`; each one's `commands` module registers its `train`
sub-commands, and `eval` and `predict` dispatch on the pipeline recorded in the checkpoint. A
mistake a user can make prints one line starting with `error:` and exits with status 1.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from attnkit.errors import AttnkitError
from attnkit.files import check_writable
from attnkit.serve.command import add_serve_parser
from attnkit.version import __version__

PIPELINE_COMMANDS: tuple[str, ...] = (
    "attnkit.pipelines.img2seq.commands",
    "attnkit.pipelines.seq2seq.commands",
    "attnkit.pipelines.classify.commands",
)


def pipeline_commands() -> list[ModuleType]:
    return [importlib.import_module(name) for name in PIPELINE_COMMANDS]


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are the project's one line and exit status 1
    (argparse's own are two lines and status 2). Its sub-command parsers are of this class too."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise AttnkitError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="attnkit", description="Attention models that train fast on a CPU and show what "
        "they attend to.")
    parser.add_argument("--version", action="version", version=f"attnkit {__version__}")
    verbs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = verbs.add_parser("train", help="train a model (see `attnkit train --help`)")
    # TASK is the word users know from `attnkit train --help`; each is one pipeline's command
    runs = train.add_subparsers(dest="task", required=True, metavar="TASK")
    for module in pipeline_commands():
        module.add_train_parsers(runs)
        if hasattr(module, "add_commands"):
            module.add_commands(verbs)
    for verb, text in (("eval", "evaluate a trained run"), ("predict", "run a trained model")):
        command = verbs.add_parser(verb, help=text,
                                   description=f"{text}; options depend on the run's task "
                                   f"(`attnkit {verb} RUN --help`)")
        command.add_argument("run", help="run folder or checkpoint file")
        command.add_argument("rest", nargs=argparse.REMAINDER)
        command.set_defaults(func=dispatch_on_checkpoint)
    info = verbs.add_parser("info", help="show what a checkpoint holds")
    info.add_argument("checkpoint", help="run folder or checkpoint file")
    info.set_defaults(func=show_info)
    models = verbs.add_parser("models", help="list the shipped models (usable as RUN)")
    models.set_defaults(func=list_shipped)
    export = verbs.add_parser("export", help="write a run's model as weights only (no "
                              "optimiser or RNG state) or as ONNX graphs, loadable wherever a "
                              "RUN is")
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
    export.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    export.set_defaults(func=export_weights)
    add_serve_parser(verbs)
    return parser


def pipeline_of(path: Path) -> ModuleType:
    """The commands module of the pipeline that wrote the checkpoint at `path`."""
    from attnkit.run.checkpoint import read_header
    from attnkit.run.meta import recorded_pipeline

    pipeline = recorded_pipeline(read_header(path)["meta"])
    for module in pipeline_commands():
        if getattr(module, "PIPELINE", None) == pipeline:
            return module
    raise AttnkitError(f"{path} was trained by task {pipeline!r}, which this attnkit lacks")


def dispatch_on_checkpoint(args: argparse.Namespace) -> int | None:
    """`eval RUN ...` / `predict RUN ...`: parse the rest with the options of RUN's pipeline."""
    from attnkit.pipelines.runtimes import runtime_checkpoint
    from attnkit.run.checkpoint import resolve_checkpoint

    path = resolve_checkpoint(args.run)
    module = pipeline_of(path)
    parser = CommandParser(prog=f"attnkit {args.command} {args.run}")
    getattr(module, f"add_{args.command}_arguments")(parser)
    options = parser.parse_args(args.rest)
    with runtime_checkpoint(path, getattr(options, "runtime", None)) as loaded:
        options.run, options.checkpoint = args.run, loaded
        return getattr(module, "evaluate" if args.command == "eval" else "predict")(options)


def show_info(args: argparse.Namespace) -> None:
    from attnkit.run.checkpoint import load_checkpoint, resolve_checkpoint
    from attnkit.run.onnx_files import graph_weights

    path = resolve_checkpoint(args.checkpoint)
    checkpoint = load_checkpoint(path)
    header, meta = checkpoint.header, checkpoint.meta
    parameters = sum(t.numel() for t in checkpoint.model_state.values())
    tensors = f"{len(checkpoint.model_state)} tensors"
    if "onnx" in header:  # an export: the weights are in its graph
        parameters, count = graph_weights(path)
        tensors = f"{count} {header.get('dtype', 'fp32')} ONNX initializers of its first graph"
    print(f"checkpoint      {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"format version  {header['format_version']}")
    print(f"task            {meta.get('task')}")
    print(f"epoch           {header.get('epoch')}")
    print(f"parameters      {parameters:,} in {tensors}")
    print(f"optimizer state {'yes' if checkpoint.optimizer_state else 'no'}")
    for key, value in meta.items():
        if key not in ("task", "recipe"):
            size = f"{len(value)} entries" if isinstance(value, (list, dict)) else repr(value)
            print(f"{key:<15} {size}")
    print("metrics         " + json.dumps(header.get("metrics", {})))
    print("recipe          " + json.dumps(meta.get("recipe", {})))


def list_shipped(args: argparse.Namespace) -> None:
    from attnkit.run.shipped import shipped_models

    models = shipped_models()
    if not models:
        print("no shipped models in this installation")
    for name, entry in models.items():
        measured = ", ".join(f"{key} {value}" for key, value in entry.get("measured", {}).items())
        print(f"{name:<10} {entry['pipeline']:<8} {entry.get('bytes', 0) / 1e6:5.1f} MB  "
              f"{measured}")


def export_weights(args: argparse.Namespace) -> None:
    """Weights and the pipeline's meta only; a pipeline may leave out training-only parts
    (`inference_checkpoint` in its predictor module); `--dtype fp16` halves float tensors.
    `--format onnx` writes ONNX graphs instead (`pipelines.runtimes`)."""
    from attnkit.run.checkpoint import load_checkpoint, resolve_checkpoint, save_checkpoint

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
    path = resolve_checkpoint(args.run)
    if path.suffix == ".onnx":
        raise AttnkitError(f"{path} is an ONNX export already; export the run folder or "
                           "checkpoint it came from")
    package = pipeline_of(path).__name__.rpartition(".")[0]
    predictor = importlib.import_module(package + ".predictor")
    checkpoint = load_checkpoint(path)
    if hasattr(predictor, "inference_checkpoint"):
        checkpoint = predictor.inference_checkpoint(checkpoint)
    if args.overrides:
        checkpoint.header["meta"]["recipe"] = decode_changed(
            checkpoint.header["meta"]["recipe"], args.overrides,
            importlib.import_module(package + ".recipe").RECIPE)
    if args.format == "onnx":
        from attnkit.pipelines.runtimes import write_onnx

        for written in write_onnx(checkpoint, output, args.int8):
            print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB, "
                  f"{'int8' if args.int8 else 'fp32'} ONNX)")
        return
    state = {key: value.half() if args.dtype == "fp16" and value.is_floating_point() else value
             for key, value in checkpoint.model_state.items()}
    header = {key: checkpoint.header[key] for key in ("meta", "epoch", "metrics")
              if key in checkpoint.header}
    save_checkpoint(output, state, {**header, "exported_from": str(path), "dtype": args.dtype})
    print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB, {args.dtype}, weights only)")


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


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        result = args.func(args)
    except AttnkitError as error:
        # one line, whatever the message holds (a YAML or a torch message may span several)
        lines = (line.strip() for line in str(error).splitlines())
        print("error: " + " ".join(line for line in lines if line), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; checkpoints written so far are intact", file=sys.stderr)
        return 130
    except BrokenPipeError:
        silence_stdout()  # the reader (`| head`) has gone: stop quietly
        return 1
    return int(result or 0)


def silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush of a closed pipe
    does not fail a second time (Python's documented way to handle SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (tests)
        pass


if __name__ == "__main__":
    sys.exit(main())
