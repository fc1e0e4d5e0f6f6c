"""What a test needs from outside attnkit's own dependencies: an optional package (onnx,
onnxruntime, rdkit, selenium, Indigo, JPype, sacremoses), a program (chromium, obabel, java,
osra) or the shared data. Where it is missing the test is skipped, with the reason; in CI
(CI=true, which `.ci/run` exports and CI services set) it fails instead, naming what is missing,
so that a broken install step or data mount never passes green.
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def unavailable(reason: str, what: str = "optional dependency") -> NoReturn:
    """Skips the calling test for `reason`; fails it in CI."""
    if in_ci():
        pytest.fail(f"{what} missing in CI (CI=true): {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str, install: str) -> ModuleType:
    """`import name`, else `unavailable` with how to install it (`install`, e.g.
    "pip install 'attnkit[onnx]'")."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        unavailable(f"{name} is not importable ({error}); {install}")


def require_program(*names: str, install: str) -> str:
    """The path of the first of `names` on PATH, else `unavailable` with how to install it."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    unavailable(f"{' or '.join(names)} not found on PATH; {install}")


ONNX = "pip install 'attnkit[onnx]'"
CHEM = "pip install 'attnkit[chem]'"
DEV = "pip install 'attnkit[dev]'"
TRANSLATE = "pip install 'attnkit[translate]'"
DRAWINGS = "pip install 'attnkit[drawings]'"
