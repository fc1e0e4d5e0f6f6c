"""The `attnkit` command: train, eval, predict and inspect attention models.

Pipelines live in `attnkit.pipelines`; each one's `commands` module registers its `train`
sub-commands, and `eval` and `predict` dispatch on the pipeline recorded in the checkpoint. A
mistake a user can make prints one line starting with `error:` and exits with status 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from types import ModuleType

from attnkit import __version__
from attnkit.errors import AttnkitError

PIPELINE_COMMANDS: tuple[str, ...] = (
    "attnkit.pipelines.img2seq.commands",
    "attnkit.pipelines.seq2seq.commands",
    "attnkit.pipelines.classify.commands",
)


def pipeline_commands() -> list[ModuleType]:
    return [importlib.import_module(name) for name in PIPELINE_COMMANDS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
        command = verbs.add_parser(verb, help=text, add_help=False,
                                   description=f"{text}; options depend on the run's task "
                                   f"(`attnkit {verb} RUN --help`)")
        command.add_argument("run", help="run folder or checkpoint file")
        command.add_argument("rest", nargs=argparse.REMAINDER)
        command.set_defaults(func=dispatch_on_checkpoint)
    info = verbs.add_parser("info", help="show what a checkpoint holds")
    info.add_argument("checkpoint", help="run folder or checkpoint file")
    info.set_defaults(func=show_info)
    return parser


def dispatch_on_checkpoint(args: argparse.Namespace) -> int | None:
    """`eval RUN ...` / `predict RUN ...`: parse the rest with the options of RUN's pipeline."""
    from attnkit.engine.checkpoint import read_header, resolve_checkpoint
    from attnkit.pipelines.run_checkpoint import recorded_pipeline

    if args.run in ("-h", "--help"):
        print(f"usage: attnkit {args.command} RUN [options]; `attnkit {args.command} RUN --help` "
              "lists the options of that run's task")
        return 0
    path = resolve_checkpoint(args.run)
    pipeline = recorded_pipeline(read_header(path)["meta"])
    for module in pipeline_commands():
        if getattr(module, "PIPELINE", None) == pipeline:
            break
    else:
        raise AttnkitError(f"{path} was trained by task {pipeline!r}, which this attnkit lacks")
    parser = argparse.ArgumentParser(prog=f"attnkit {args.command} {args.run}")
    getattr(module, f"add_{args.command}_arguments")(parser)
    options = parser.parse_args(args.rest)
    options.run, options.checkpoint = args.run, path
    return getattr(module, "evaluate" if args.command == "eval" else "predict")(options)


def show_info(args: argparse.Namespace) -> None:
    from attnkit.engine.checkpoint import load_checkpoint, resolve_checkpoint

    path = resolve_checkpoint(args.checkpoint)
    checkpoint = load_checkpoint(path)
    header, meta = checkpoint.header, checkpoint.meta
    parameters = sum(t.numel() for t in checkpoint.model_state.values())
    print(f"checkpoint      {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"format version  {header['format_version']}")
    print(f"task            {meta.get('task')}")
    print(f"epoch           {header.get('epoch')}")
    print(f"parameters      {parameters:,} in {len(checkpoint.model_state)} tensors")
    print(f"optimizer state {'yes' if checkpoint.optimizer_state else 'no'}")
    for key, value in meta.items():
        if key not in ("task", "recipe"):
            size = f"{len(value)} entries" if isinstance(value, (list, dict)) else repr(value)
            print(f"{key:<15} {size}")
    print("metrics         " + json.dumps(header.get("metrics", {})))
    print("recipe          " + json.dumps(meta.get("recipe", {})))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except AttnkitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; checkpoints written so far are intact", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
