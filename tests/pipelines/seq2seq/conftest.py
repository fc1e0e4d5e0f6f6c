"""Every seq2seq test runs on one thread; `date_run` and `peeky_file_run` are tiny trained
runs shared by the session (tests copy them before changing them)."""

import pytest

from attnkit.cli import main

from .runs import TINY, one_thread, train_additions


@pytest.fixture(autouse=True)
def _single_thread():
    with one_thread():
        yield


@pytest.fixture(scope="session")
def date_run(tmp_path_factory):
    """`attnkit train dates` with the attention model, one epoch on 300 generated dates."""
    run_dir = tmp_path_factory.mktemp("runs") / "dates"
    with one_thread():
        assert main(["train", "dates", "--run-dir", str(run_dir), *TINY]) == 0
    return run_dir


@pytest.fixture(scope="session")
def peeky_file_run(tmp_path_factory):
    """`attnkit train seq2seq --data additions.txt --model peeky`: no attention, no test split."""
    with one_thread():
        return train_additions(tmp_path_factory.mktemp("runs") / "peeky", "--model", "peeky")
