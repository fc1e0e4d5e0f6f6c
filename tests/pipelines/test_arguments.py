"""The options every pipeline shares are checked once, as they are parsed."""

import argparse

import pytest

from attnkit.cli import CommandParser
from attnkit.errors import AttnkitError
from attnkit.pipelines.arguments import add_beam_argument, add_device_arguments, add_run_arguments


def parser():
    parser = CommandParser(prog="attnkit test")
    add_run_arguments(parser, "dates")
    add_beam_argument(parser)
    return parser


def predict_parser():
    parser = CommandParser(prog="attnkit predict RUN")
    add_beam_argument(parser)
    add_device_arguments(parser, "cpu", 8)
    return parser


@pytest.mark.parametrize("options, message", [
    (["--seed", "-1"], "--seed: must be from 0 to 4294967295, got -1"),
    (["--seed", "99999999999999999999"], "--seed: must be from 0 to"),
    (["--threads", "100000"], "--threads: must be from 1 to 1024"),
    (["--threads", "0"], "--threads: must be from 1"),
    (["--minutes", "nan"], "--minutes: must be a finite number"),
    (["--minutes", "-1"], "--minutes: must be a finite number"),
    (["--beam", "0"], "--beam: must be from 1 to 100, got 0"),
    (["--beam", "100000"], "--beam: must be from 1 to 100"),
])
def test_train_options_out_of_bounds(options, message):
    with pytest.raises(AttnkitError, match=message):
        parser().parse_args(options)


@pytest.mark.parametrize("options, message", [
    (["--batch-size", "0"], "--batch-size: must be from 1 to 4096, got 0"),
    (["--batch-size", "-1"], "--batch-size: must be from 1"),
    (["--batch-size", "x"], "--batch-size: expected an integer"),
    (["--beam", "-2"], "--beam: must be from 1"),
])
def test_predict_options_out_of_bounds(options, message):
    with pytest.raises(AttnkitError, match=message):
        predict_parser().parse_args(options)


def test_bounds_leave_ordinary_values_alone():
    args = parser().parse_args(["--seed", "4294967295", "--threads", "2", "--minutes", "0.5",
                                "--beam", "100"])
    assert (args.seed, args.threads, args.minutes, args.beam) == (4294967295, 2, 0.5, 100)
    assert isinstance(predict_parser().parse_args([]), argparse.Namespace)
