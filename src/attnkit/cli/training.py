"""`attnkit train TASK ...`: the task's parser is built from its pipeline's `commands` only when
that task is asked for; the run itself is the library's (`pipelines.run_request.train_task`),
the same call `attnkit.train` makes."""

from __future__ import annotations

import argparse

from attnkit.cli import CommandParser
from attnkit.pipelines.registry import PIPELINES, task_names, train_task


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    listed = "\n".join(f"  {task.name:<10} {task.help}" for spec in PIPELINES.values()
                       for task in spec.tasks)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = f"tasks:\n{listed}\n\n`attnkit train TASK --help` tells each task's options."
    parser.add_argument("task", choices=task_names(), metavar="TASK",
                        help=f"one of {', '.join(task_names())}")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=train_command)


def task_parser(task: str) -> CommandParser:
    """The parser of `attnkit train TASK`: the options every train takes and the task's own."""
    spec, described = train_task(task)
    parser = CommandParser(prog=f"attnkit train {task}", description=described.help)
    spec.module("commands").add_train_arguments(parser, task)
    return parser


def train_command(args: argparse.Namespace) -> int:
    from attnkit.pipelines.run_request import RunRequest
    from attnkit.pipelines.run_request import train_task as run_task

    options = vars(task_parser(args.task).parse_args(args.rest))
    run_task(RunRequest.asked(args.task, options))
    return 0
