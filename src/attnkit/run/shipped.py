"""Models that ship with attnkit and work without training.

They live in one folder, `attnkit/shipped/`: weights-only checkpoints (no optimiser or RNG
state, fp16 where accuracy holds) and `manifest.json`, which gives each one's file, SHA-256,
pipeline, what it measured and the command that trained it. A shipped model's name (`molecules`)
is accepted wherever a run folder or a checkpoint file is, unless a file or folder of that name
exists. The file's SHA-256 is checked before it is first used in a process.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from attnkit.errors import AttnkitError

SHIPPED_FOLDER = Path(__file__).resolve().parent.parent / "shipped"
MANIFEST = "manifest.json"


@functools.cache
def shipped_models(folder: Path = SHIPPED_FOLDER) -> dict[str, dict[str, Any]]:
    """name -> its manifest entry ({"file", "sha256", "pipeline", "measured", ...})."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise AttnkitError(f"the shipped models' manifest {path} is unreadable: {error}") from None
    return entries


@functools.cache
def shipped_checkpoint(name: str, folder: Path = SHIPPED_FOLDER) -> Path | None:
    """The checkpoint file of the shipped model `name`, its SHA-256 checked; None when no
    shipped model has that name."""
    entry = shipped_models(folder).get(name)
    if entry is None:
        return None
    path = folder / entry["file"]
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise AttnkitError(f"shipped model {name!r}: cannot read {path} ({error})") from None
    if digest != entry["sha256"]:
        raise AttnkitError(f"shipped model {name!r}: {path} does not match its SHA-256 in "
                           f"{MANIFEST} (the file is damaged or was replaced); reinstall attnkit")
    return path
