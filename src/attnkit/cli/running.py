"""`attnkit eval RUN ...` and `attnkit predict RUN ...`: the rest of the line is parsed with the
options of the pipeline that wrote RUN (the registry says which, from the checkpoint)."""

from __future__ import annotations

import argparse

from attnkit.cli import CommandParser, use_threads


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.description = (f"{parser.description}; options depend on the run's pipeline "
                          f"(`attnkit {verb} RUN --help`)")
    parser.add_argument("run", help="run folder, checkpoint file, .onnx export or shipped model "
                        "name")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=dispatch_on_checkpoint, verb=verb)


def dispatch_on_checkpoint(args: argparse.Namespace) -> int | None:
    """Parse the rest with the options of RUN's pipeline, then run its command under the
    runtime asked for (`--runtime`)."""
    from attnkit.pipelines.exporting import runtime_checkpoint
    from attnkit.pipelines.registry import pipeline_of
    from attnkit.run.checkpoint import resolve_checkpoint

    path = resolve_checkpoint(args.run)
    module = pipeline_of(path).module("commands")
    parser = CommandParser(prog=f"attnkit {args.verb} {args.run}")
    getattr(module, f"add_{args.verb}_arguments")(parser)
    options = parser.parse_args(args.rest)
    use_threads(getattr(options, "inference_threads", None))
    with runtime_checkpoint(path, getattr(options, "runtime", None)) as loaded:
        options.run, options.checkpoint = args.run, loaded
        return getattr(module, "evaluate" if args.verb == "eval" else "predict")(options)
