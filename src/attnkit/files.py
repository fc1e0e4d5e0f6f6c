"""The files attnkit writes, and the users' text files it reads: each through one function, so
that every failure is one AttnkitError that names the file.

- `write_atomically(path, write)`: `write(temporary)` fills a temporary file beside `path`,
  which then replaces `path` in one rename. A crash or an error never leaves a half-written
  file, and an earlier file at `path` stays as it was. Checkpoints, logs, figures, recipes,
  predictions, downloads and caches are all written this way.
- `read_text(path)`: a user's text file (data, inputs, recipes) as a string; a missing file,
  an unreadable one and bytes that are not UTF-8 (with the line they are on) are errors.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from attnkit.errors import AttnkitError


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Write `path` through a temporary file in the same folder; -> `path`.

    The temporary name ends with `path`'s suffix, so writers that choose a format by the name
    (matplotlib, NumPy) write the right one. An OSError on the way is an AttnkitError.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(temporary)
        os.replace(temporary, path)
    except OSError as error:
        raise AttnkitError(f"cannot write {path}: {error}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_text_atomically(path: str | Path, text: str) -> Path:
    """`text` as UTF-8 into `path`, atomically (see `write_atomically`)."""
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def read_text(path: str | Path) -> str:
    """The whole UTF-8 file (a byte-order mark is dropped) as text."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AttnkitError(f"{path}: no such file") from None
    except OSError as error:
        raise AttnkitError(f"{path}: cannot read ({error.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        bad = raw[error.start:error.start + 1]
        raise AttnkitError(
            f"{path}:{line}: byte {bad!r} is not valid UTF-8; save the file as UTF-8"
        ) from None
