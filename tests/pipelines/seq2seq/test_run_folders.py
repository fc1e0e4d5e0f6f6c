"""A run folder (of any pipeline; dates here) holds one training run at a time, default names
never collide, and a full disk is one error that leaves no empty folder and no temporary behind
(issue 26)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from safetensors import SafetensorError

from attnkit.cli import main
from attnkit.pipelines.arguments import prepare_run_dir
from attnkit.run.folder_lock import LOCK_NAME, locked_run_folder

from .runs import TINY

FULL = "Error while serializing: I/O error: No space left on device (os error 28)"


def one_line_error(capsys) -> str:
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1, error
    return error


def test_a_second_run_into_a_folder_in_use_is_refused(tmp_path, capsys):
    run_dir = tmp_path / "run"
    with locked_run_folder(run_dir):  # as a run in progress holds it
        assert (run_dir / LOCK_NAME).read_text() == f"{os.getpid()}\n"
        assert main(["train", "dates", "--run-dir", str(run_dir), *TINY]) == 1
        error = one_line_error(capsys)
        assert f"{run_dir} is in use by another training run (process {os.getpid()})" in error
        assert main(["train", "dates", "--run-dir", str(run_dir), "--overwrite", *TINY]) == 1
        assert "is in use by another training run" in one_line_error(capsys)
        assert sorted(path.name for path in run_dir.iterdir()) == [LOCK_NAME]
    assert not run_dir.exists()  # made for the run, left empty: removed


def test_the_lock_of_a_dead_process_is_taken_over(tmp_path, capsys):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / LOCK_NAME).write_text(f"{dead}\n")  # killed with SIGKILL mid-run
    assert main(["train", "dates", "--run-dir", str(run_dir), *TINY]) == 0
    held = {path.name for path in run_dir.iterdir()}
    assert {"last.safetensors", "best.safetensors", "metrics.jsonl"} <= held
    assert LOCK_NAME not in held  # released at the end


def test_two_runs_started_in_the_same_second_get_two_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("time.strftime", lambda form, *when: "20260101-120000")
    chosen = [prepare_run_dir(argparse.Namespace(resume=None, run_dir=None, overwrite=False),
                              "dates", None) for _ in range(3)]
    assert [str(path) for path in chosen] == ["runs/dates-20260101-120000",
                                              "runs/dates-20260101-120000-2",
                                              "runs/dates-20260101-120000-3"]
    assert all(path.is_dir() for path in chosen)  # made: that is what claims a name


def test_a_full_disk_in_training_is_one_error_and_leaves_no_folder(tmp_path, monkeypatch,
                                                                   capsys):
    def full(*arguments, **options):
        raise SafetensorError(FULL)

    monkeypatch.setattr("attnkit.run.checkpoint.save_file", full)
    run_dir = tmp_path / "new" / "run"
    assert main(["train", "dates", "--run-dir", str(run_dir), *TINY]) == 1
    assert "last.safetensors: no space left on the disk" in one_line_error(capsys)
    assert not run_dir.exists()
    monkeypatch.chdir(tmp_path / "new")
    assert main(["train", "dates", *TINY]) == 1  # a default folder, made to claim its name
    assert "no space left on the disk" in one_line_error(capsys)
    assert list((tmp_path / "new" / "runs").iterdir()) == []


def test_a_full_disk_in_export_is_one_error_and_leaves_nothing(date_run, tmp_path,
                                                               monkeypatch, capsys):
    def full(*arguments, **options):
        raise SafetensorError(FULL)

    monkeypatch.setattr("attnkit.run.checkpoint.save_file", full)
    output = tmp_path / "model.safetensors"
    assert main(["export", str(date_run), "--output", str(output)]) == 1
    assert f"cannot write {output}: no space left on the disk" in one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []
