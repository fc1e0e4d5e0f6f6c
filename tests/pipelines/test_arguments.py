"""The options every pipeline shares are checked once, as they are parsed."""

import argparse
from pathlib import Path

import pytest

from attnkit.cli import CommandParser
from attnkit.errors import AttnkitError
from attnkit.pipelines.arguments import (
    add_beam_argument,
    add_device_arguments,
    add_run_arguments,
    prepare_run_dir,
)


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


@pytest.mark.parametrize("make, options, message", [
    (parser, ["--seed", "-1"], "--seed: must be from 0 to 4294967295, got -1"),
    (parser, ["--seed", "99999999999999999999"], "--seed: must be from 0 to"),
    (parser, ["--threads", "100000"], "--threads: must be from 1 to 1024"),
    (parser, ["--threads", "0"], "--threads: must be from 1"),
    (parser, ["--minutes", "nan"], "--minutes: must be a finite number"),
    (parser, ["--minutes", "-1"], "--minutes: must be a finite number"),
    (parser, ["--beam", "0"], "--beam: must be from 1 to 100, got 0"),
    (parser, ["--beam", "100000"], "--beam: must be from 1 to 100"),
    (predict_parser, ["--batch-size", "0"], "--batch-size: must be from 1 to 4096, got 0"),
    (predict_parser, ["--batch-size", "-1"], "--batch-size: must be from 1"),
    (predict_parser, ["--batch-size", "x"], "--batch-size: expected an integer"),
    (predict_parser, ["--beam", "-2"], "--beam: must be from 1"),
])
def test_options_out_of_bounds(make, options, message):
    with pytest.raises(AttnkitError, match=message):
        make().parse_args(options)


def test_bounds_leave_ordinary_values_alone():
    args = parser().parse_args(["--seed", "4294967295", "--threads", "2", "--minutes", "0.5",
                                "--beam", "100"])
    assert (args.seed, args.threads, args.minutes, args.beam) == (4294967295, 2, 0.5, 100)
    assert isinstance(predict_parser().parse_args([]), argparse.Namespace)


def run_options(**values):
    options = {"resume": None, "run_dir": None, "overwrite": False}
    return argparse.Namespace(**{**options, **values})


def test_a_run_folder_is_checked_but_not_made(tmp_path):
    target = tmp_path / "new" / "run"
    assert prepare_run_dir(run_options(run_dir=target), "dates", None) == target
    assert not (tmp_path / "new").exists() and list(tmp_path.iterdir()) == []


def test_a_folder_holding_anything_is_refused_without_overwrite(tmp_path):
    """`compare` writes its checkpoints one level down: any content counts, not only
    top-level checkpoints."""
    (tmp_path / "cmp" / "attention").mkdir(parents=True)
    (tmp_path / "cmp" / "attention" / "best.safetensors").write_bytes(b"old")
    with pytest.raises(AttnkitError, match="cmp is not empty .*attention.*--overwrite"):
        prepare_run_dir(run_options(run_dir=tmp_path / "cmp"), "compare", None)
    assert prepare_run_dir(run_options(run_dir=tmp_path / "cmp", overwrite=True), "compare",
                           None) == tmp_path / "cmp"


def test_run_folders_that_cannot_be_written(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(AttnkitError, match="is a file, not a folder"):
        prepare_run_dir(run_options(run_dir=tmp_path / "file"), "dates", None)
    with pytest.raises(AttnkitError, match="file is a file, not a folder"):
        prepare_run_dir(run_options(run_dir=tmp_path / "file" / "run"), "dates", None)
    with pytest.raises(AttnkitError, match="cannot write /proc/attnkit-run"):
        prepare_run_dir(run_options(run_dir=Path("/proc/attnkit-run")), "dates", None)
    with pytest.raises(AttnkitError, match="--run-dir: expected a folder name"):
        parser().parse_args(["--run-dir", ""])


def test_resume_elsewhere_is_refused_not_ignored(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "last.safetensors").write_bytes(b"x")
    options = run_options(resume=tmp_path / "run", run_dir=tmp_path / "other")
    with pytest.raises(AttnkitError, match="drop --run-dir"):
        prepare_run_dir(options, "dates", None)
    options.run_dir = tmp_path / "run"
    assert prepare_run_dir(options, "dates", None) == tmp_path / "run"
