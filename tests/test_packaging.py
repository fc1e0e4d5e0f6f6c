"""What the package imports is what it declares (pyproject.toml)."""

import re
import sys
from pathlib import Path

from .test_imports import graph

PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"
# import name -> distribution name, where they differ
DISTRIBUTIONS = {"PIL": "Pillow", "yaml": "PyYAML", "indigo": "epam-indigo", "jpype": "JPype1"}


def declared() -> dict[str, str]:
    """distribution name (lower case) -> its requirement, from dependencies and extras (the
    requirement strings of pyproject.toml; tomllib needs Python 3.11)."""
    text = PYPROJECT.read_text()
    listed = re.findall(r'"([A-Za-z][\w.-]*(?:[<>=!~]=|[<>])[^"]*)"', text)
    return {re.split(r"[<>=!~ \[]", requirement)[0].lower(): requirement
            for requirement in listed}


def test_every_third_party_import_is_declared():
    _, outside = graph()
    imported = {name for names in outside.values() for name in names
                if name not in sys.stdlib_module_names}
    missing = sorted(name for name in imported
                     if DISTRIBUTIONS.get(name, name).lower() not in declared())
    assert missing == []


def test_the_torch_floor_has_what_the_trainer_uses():
    """torch.amp.GradScaler("cuda") came with torch 2.3."""
    floor = re.search(r">=\s*(\d+)\.(\d+)", declared()["torch"])
    assert (int(floor[1]), int(floor[2])) >= (2, 3)
