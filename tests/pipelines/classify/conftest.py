"""Every classify test runs on one thread; `run_dir` is the session's tiny trained classifier."""

import pytest

from .classify_run import one_thread, trained_run_dir


@pytest.fixture(autouse=True)
def _single_thread():
    with one_thread():
        yield


@pytest.fixture
def run_dir():
    return trained_run_dir()
