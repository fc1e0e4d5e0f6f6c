"""Models that ship with attnkit and work without training.

They live in one folder, `attnkit/shipped/`: weights-only checkpoints (no optimiser or RNG
state, fp16 where accuracy holds) and `manifest.json`, which gives each one's file, SHA-256,
pipeline, what it measured and the command that trained it. A shipped model's name (`molecules`)
is accepted wherever a run folder or a checkpoint file is, unless a file or folder of that name
exists. The file's SHA-256 is checked before it is first used in a process.

An installation can be damaged or tampered with: a manifest that is not the object described
above, a file name that is a path, a file replaced by a pipe or a link to a device are each one
error (never a hang, never a file outside the folder).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from attnkit.errors import AttnkitError
from attnkit.files import file_in_folder, read_text, sha256_of

SHIPPED_FOLDER = Path(__file__).resolve().parent.parent / "shipped"
MANIFEST = "manifest.json"


@functools.cache
def shipped_models(folder: Path = SHIPPED_FOLDER) -> dict[str, dict[str, Any]]:
    """name -> its manifest entry ({"file", "sha256", "pipeline", "measured", ...})."""
    path = folder / MANIFEST
    if not path.exists() and not path.is_symlink():
        return {}
    try:
        entries = json.loads(read_text(path))
    except (json.JSONDecodeError, RecursionError, AttnkitError) as error:
        raise AttnkitError(f"the shipped models' manifest {path} is unreadable: "
                           f"{str(error)[:120]}; reinstall attnkit") from None
    problem = manifest_problem(entries)
    if problem is not None:
        raise AttnkitError(f"the shipped models' manifest {path} is malformed ({problem}); "
                           "reinstall attnkit")
    return entries


SHA256 = re.compile(r"[0-9a-f]{64}")


def manifest_problem(entries: Any) -> str | None:
    """What is wrong with a manifest's content, or None."""
    if not isinstance(entries, dict):
        return f"a JSON {type(entries).__name__}, not an object of models"
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            return f"{name!r} is not an object"
        for key in ("file", "pipeline"):
            if not isinstance(entry.get(key), str):
                return f"{name!r} has no {key} name"
        if not isinstance(entry.get("sha256"), str) or not SHA256.fullmatch(entry["sha256"]):
            return f"{name!r} has no SHA-256"
    return None


@functools.cache
def shipped_checkpoint(name: str, folder: Path = SHIPPED_FOLDER) -> Path | None:
    """The checkpoint file of the shipped model `name`, its SHA-256 checked; None when no
    shipped model has that name."""
    entry = shipped_models(folder).get(name)
    if entry is None:
        return None
    path = file_in_folder(folder, entry["file"], f"shipped model {name!r} in {MANIFEST}")
    try:
        digest = sha256_of(path)
    except AttnkitError as error:
        raise AttnkitError(f"shipped model {name!r}: {error}; reinstall attnkit") from None
    if digest != entry["sha256"]:
        raise AttnkitError(f"shipped model {name!r}: {path} does not match its SHA-256 in "
                           f"{MANIFEST} (the file is damaged or was replaced); reinstall attnkit")
    return path
