"""Tests that read the shared data under $ATTNKIT_DATA (the Makefile points it at ../shared/data).

Without the data such a test is skipped, with the reason. In CI (CI=true) it fails instead,
naming the missing file: a broken data mount must not pass green.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

from .unavailable import unavailable


def data_unavailable(reason: str) -> NoReturn:
    """Skips the calling test for missing shared data; fails it in CI."""
    unavailable(reason, "shared test data")


def data_dir() -> Path:
    """$ATTNKIT_DATA, after `data_unavailable` when it does not name a folder."""
    folder = os.environ.get("ATTNKIT_DATA")
    if not folder:
        data_unavailable("set ATTNKIT_DATA to the shared data folder (e.g. ../shared/data)")
    if not Path(folder).is_dir():
        data_unavailable(f"ATTNKIT_DATA={folder} is not a folder")
    return Path(folder)


def data_file(*parts: str) -> Path:
    """$ATTNKIT_DATA/<parts>, after `data_unavailable` when that file is missing."""
    path = data_dir().joinpath(*parts)
    if not path.is_file():
        data_unavailable(f"{path} not found under $ATTNKIT_DATA")
    return path


def needs_data(*parts: str) -> pytest.MarkDecorator:
    """Marks a test that reads $ATTNKIT_DATA/<parts>. tests/conftest.py checks the file before
    the test's fixtures run (`check_data_marks`): a skip normally, a failure in CI."""
    return pytest.mark.needs_data(*parts)


def check_data_marks(item: pytest.Item) -> None:
    """`data_file` for every `needs_data` mark of a collected test."""
    for mark in item.iter_markers("needs_data"):
        data_file(*mark.args)
