"""The files attnkit writes, and the users' text files it reads: each through one function, so
that every failure is one AttnkitError that names the file.

- `write_atomically(path, write)`: `write(temporary)` fills a temporary file beside `path`,
  which then replaces `path` in one rename. A crash or an error never leaves a half-written
  file, and an earlier file at `path` stays as it was. Checkpoints, logs, figures, recipes,
  predictions, downloads and caches are all written this way. The temporary lies in a private
  folder beside `path`, so that a writer's own temporaries (safetensors writes one of its own
  and renames it) go where ours go; a folder left by a process that was killed (its name holds
  its process id) is removed by the next write of that file. A full disk is one error.
- `check_writable(path)`: whether `path` can be written, tried before any work is done.
- `read_text(path)`: a user's text file (data, inputs, recipes) as a string; a missing file,
  an unreadable one and bytes that are not UTF-8 (with the line they are on) are errors.
- `read_lines(path)`: the same file line by line, for inputs of any length (`-` is stdin).
- `file_in_folder(folder, name, owner)`: a file that a file (`owner`: an export's metadata, a
  manifest) names: a bare name in `folder`, never a path or a link that leads out of it.
- `sha256_of(path)`: the SHA-256 of a regular file, read in pieces.

User files must be regular files (not a device such as /dev/zero, a pipe or a socket, which
could be endless or block forever), `read_text` reads at most MAX_TEXT_BYTES and a line read by
`read_lines` is at most MAX_LINE_BYTES.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from attnkit.errors import AttnkitError

MAX_TEXT_BYTES = 1 << 30  # 1 GiB: a data file, a recipe or a list of inputs read whole
MAX_LINE_BYTES = 1 << 20  # 1 MiB: one input of a file read line by line
STDIN = "-"


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Write `path` through a temporary file in a private folder beside it; -> `path`.

    The temporary has `path`'s name, so writers that choose a format by the name (matplotlib,
    NumPy) write the right one. An OSError on the way is an AttnkitError, and so is an error
    a writer reports for a failed write of its own (safetensors' `SafetensorError`).
    """
    path = Path(path)
    folder = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    temporary = folder / path.name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        folder.mkdir()
        try:
            write(temporary)
        except Exception as error:
            if is_write_failure(error):
                raise OSError(error.args[0] if error.args else str(error)) from None
            raise
        os.replace(temporary, path)
    except OSError as error:
        raise AttnkitError(f"cannot write {path}: {write_problem(error)}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return path


def is_write_failure(error: Exception) -> bool:
    """Whether a writer's own exception type reports an I/O failure (safetensors turns an
    OSError, a full disk among them, into its SafetensorError)."""
    text = str(error)
    return type(error).__name__ == "SafetensorError" and \
        any(sign in text for sign in ("I/O error", "IoError", "os error"))


def write_problem(error: OSError) -> str:
    text = error.strerror or str(error)
    if error.errno == errno.ENOSPC or "No space left" in text or "StorageFull" in text:
        return "no space left on the disk (free some, or write elsewhere)"
    return text


def remove_stale_temporaries(path: Path) -> None:
    """Delete the temporaries of `path` whose writer is no longer running (killed mid-write:
    a render cache's can hold gigabytes): private folders, and the plain files older attnkit
    versions wrote."""
    for candidate in path.parent.glob(f".{path.name}.*-*.tmp*"):
        pid = candidate.name[len(path.name) + 2:].partition("-")[0]
        if not pid.isdigit() or process_running(int(pid)):
            continue
        if candidate.is_dir() and not candidate.is_symlink():
            shutil.rmtree(candidate, ignore_errors=True)
        elif candidate.name.endswith(f".tmp{path.suffix}"):
            candidate.unlink(missing_ok=True)


def process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def write_text_atomically(path: str | Path, text: str) -> Path:
    """`text` as UTF-8 into `path`, atomically (see `write_atomically`)."""
    return write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def check_writable(path: str | Path, folder: bool = False) -> None:
    """An AttnkitError unless `path` (a file; with `folder`, a folder to write into) can be
    written, found out by trying in the nearest folder that exists; nothing is left behind."""
    path = Path(path)
    if path.exists() and path.is_dir() != folder:
        kind = "a folder" if path.is_dir() else "a file"
        raise AttnkitError(f"{path} is {kind}; give the name of a {'folder' if folder else 'file'}")
    existing = path if folder else path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise AttnkitError(f"cannot write {path}: {existing} is a file, not a folder")
    try:  # permissions alone do not tell (root, read-only mounts, /proc)
        with tempfile.TemporaryDirectory(prefix=".attnkit-", dir=existing):
            pass
    except OSError as error:
        raise AttnkitError(f"cannot write {path}: {existing}: {error.strerror}") from None


def open_user_file(path: Path) -> BinaryIO:
    """`path` opened for reading, if it is a regular file (without blocking on a pipe)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise AttnkitError(f"{path}: no such file") from None
    except OSError as error:
        raise AttnkitError(f"{path}: cannot read ({error.strerror})") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise AttnkitError(f"{path} is not a regular file (a folder, device, pipe or socket); "
                           "give a file")
    return os.fdopen(descriptor, "rb")


def file_in_folder(folder: Path, name: object, owner: str | Path) -> Path:
    """`folder / name` for a `name` that `owner` gives (an export's graph, a shipped model):
    a bare file name, and not a link that leads out of `folder`. Untrusted text stays data: it
    never makes attnkit open /etc/passwd, ../x or a device."""
    if not isinstance(name, str) or not name or name in (".", "..") or \
            any(character in name for character in "/\\\0") or Path(name).name != name:
        raise AttnkitError(f"{owner} names the file {str(name)[:80]!r}: it must be a bare file "
                           "name in its own folder")
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise AttnkitError(f"{owner} names the file {name!r}, a link that leads out of its "
                           f"folder {folder}")
    return path


def sha256_of(path: Path) -> str:
    """The SHA-256 (hex) of a regular file (never a device or a pipe, which could be endless
    or block), read a few megabytes at a time."""
    digest = hashlib.sha256()
    with open_user_file(Path(path)) as handle:
        try:
            while piece := handle.read(1 << 22):
                digest.update(piece)
        except OSError as error:
            raise AttnkitError(f"{path}: cannot read ({error.strerror})") from None
    return digest.hexdigest()


def read_text(path: str | Path) -> str:
    """The whole UTF-8 file (a byte-order mark is dropped) as text."""
    path = Path(path)
    with open_user_file(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_TEXT_BYTES:
            raise AttnkitError(f"{path} is {size / 2**30:.1f} GiB; files read whole may hold "
                               f"at most {MAX_TEXT_BYTES / 2**30:.0f} GiB")
        try:
            raw = handle.read(MAX_TEXT_BYTES + 1)
        except OSError as error:
            raise AttnkitError(f"{path}: cannot read ({error.strerror})") from None
    if len(raw) > MAX_TEXT_BYTES:
        raise AttnkitError(f"{path} grew past {MAX_TEXT_BYTES / 2**30:.0f} GiB while read")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise AttnkitError(not_utf8(path, line, raw[error.start:error.start + 1])) from None


def read_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, line without its ending) for each line of a UTF-8 file, or of standard
    input for `-`, read as it comes: a file of any length, each line at most MAX_LINE_BYTES."""
    name = "standard input" if str(path) == STDIN else str(path)
    handle = sys.stdin.buffer if str(path) == STDIN else open_user_file(Path(path))
    try:
        for number in range(1, sys.maxsize):
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            if len(raw) > MAX_LINE_BYTES:
                raise AttnkitError(f"{name}:{number}: line longer than "
                                   f"{MAX_LINE_BYTES // 2**20} MiB")
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise AttnkitError(not_utf8(name, number, raw[error.start:error.start + 1])) \
                    from None
            yield number, line.rstrip("\r\n")
    except OSError as error:
        raise AttnkitError(f"{name}: cannot read ({error.strerror})") from None
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def not_utf8(name: str | Path, line: int, byte: bytes) -> str:
    return f"{name}:{line}: byte {byte!r} is not valid UTF-8; save the file as UTF-8"
