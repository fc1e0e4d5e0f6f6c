"""The `attnkit` command: a thin shell that finds the verb and hands it the rest of the line.

Each verb's parser is built only when that verb is asked for (`VERBS`, and the verbs pipelines
add through the registry), so `attnkit --help` imports no model code and `attnkit predict imdb`
loads the classifier's code only. A mistake a user can make prints one line starting with
`error:` and exits with status 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from attnkit.errors import AttnkitError
from attnkit.version import __version__

# verb -> (the module whose add_arguments(parser, verb) builds its parser, its help)
VERBS: dict[str, tuple[str, str]] = {
    "train": ("attnkit.cli.training", "train a model (see `attnkit train --help`)"),
    "eval": ("attnkit.cli.running", "evaluate a trained run"),
    "predict": ("attnkit.cli.running", "run a trained model"),
    "info": ("attnkit.cli.inspection", "show what a checkpoint holds"),
    "models": ("attnkit.cli.inspection", "list the shipped models (usable as RUN)"),
    "export": ("attnkit.cli.exporting", "write a run's model as weights only (no optimiser or "
               "RNG state) or as ONNX graphs, loadable wherever a RUN is"),
    "serve": ("attnkit.serve.command", "serve models: a JSON API and a web page that shows "
              "their attention"),
}
HELP = ("-h", "--help")


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are the project's one line and exit status 1
    (argparse's own are two lines and status 2). Its sub-command parsers are of this class too."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise AttnkitError(f"{message} (see `{self.prog} --help`)")


def all_verbs() -> dict[str, tuple[str, str]]:
    """Every verb: the shell's own, then those the pipelines add (`attnkit translate`)."""
    from attnkit.pipelines.registry import pipeline_verbs

    added = {name: (f"{spec.package}.{verb.provider}", verb.help)
             for name, (spec, verb) in pipeline_verbs().items()}
    return {**VERBS, **added}


def shell_parser() -> CommandParser:
    """`attnkit [--version] COMMAND ...`: lists the verbs; each one parses its own options."""
    parser = CommandParser(
        prog="attnkit", description="Attention models that train fast on a CPU and show what "
        "they attend to.", epilog="`attnkit COMMAND --help` tells each command's options.")
    parser.add_argument("--version", action="version", version=f"attnkit {__version__}")
    verbs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, text) in all_verbs().items():
        verbs.add_parser(name, help=text, add_help=False)
    return parser


def verb_parser(verb: str) -> CommandParser:
    """The parser of `attnkit VERB` (its module imported now); `func` runs the command."""
    module, text = all_verbs()[verb]
    parser = CommandParser(prog=f"attnkit {verb}", description=text)
    importlib.import_module(module).add_arguments(parser, verb)
    return parser


def parse(argv: Sequence[str]) -> argparse.Namespace:
    if not argv or argv[0] not in all_verbs():
        shell_parser().parse_args(argv)  # --help, --version, or the error naming the verbs
        raise AttnkitError("give a command (see `attnkit --help`)")
    return verb_parser(argv[0]).parse_args(argv[1:])


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse(list(sys.argv[1:] if argv is None else argv))
        use_threads(getattr(args, "inference_threads", None))
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


def use_threads(threads: int | None) -> None:
    """A verb that runs a model (`--threads`, default 1): torch's CPU threads for it. One
    thread: torch's threads spin, and two threads beside one busy process read 578 reviews/s
    where one reads 1,166 (quiet: 1,508 and 1,203; `bench/shared_cores.py`)."""
    if threads:
        import torch

        torch.set_num_threads(threads)


def silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush of a closed pipe
    does not fail a second time (Python's documented way to handle SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (tests)
        pass
