"""One training run at a time in a run folder.

Two `attnkit train` runs into one `--run-dir` would both write `last.safetensors`, and one of
them would be lost without a word. A run holds the folder's lock file (`.attnkit-lock`, with
its process id) from before its data is read until it ends; a second run into the folder is
refused while the first runs. The lock is the kernel's (`flock`), so the lock of a process
that died, however it died, is free again and taken over by the next run. A folder the run
made and left empty (it failed before its first checkpoint) is removed again.

Under `torchrun` only the main process (RANK 0) holds the lock: the others write nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from attnkit.errors import AttnkitError

LOCK_NAME = ".attnkit-lock"


@contextlib.contextmanager
def locked_run_folder(run_dir: Path, made: bool = False) -> Iterator[Path]:
    """Hold `run_dir` (made here if missing) for one run; -> `run_dir`. At the end the lock
    is removed, and so is the folder if it was made for this run (`made`: by the caller) and
    holds nothing."""
    run_dir = Path(run_dir)
    if os.environ.get("RANK", "0") != "0":
        yield run_dir
        return
    made = made or not run_dir.exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        descriptor = acquire(run_dir / LOCK_NAME, run_dir)
    except BaseException:
        remove_if_empty(run_dir, made)
        raise
    try:
        yield run_dir
    finally:
        with contextlib.suppress(OSError):
            (run_dir / LOCK_NAME).unlink()
        os.close(descriptor)
        remove_if_empty(run_dir, made)


def acquire(lock: Path, run_dir: Path) -> int:
    """The open, locked lock file holding this process's id (an AttnkitError when another
    process holds it)."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): runs are not locked there
        fcntl = None
    for _ in range(10):  # the file may be replaced between opening and locking: try again
        try:
            descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise AttnkitError(f"cannot lock the run folder {run_dir}: {error.strerror}") \
                from None
        try:
            if fcntl is not None:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(descriptor)
            raise AttnkitError(f"{run_dir} is in use by another training run (process "
                               f"{holder}); wait for it to end, or choose another --run-dir") \
                from None
        try:
            same = os.fstat(descriptor).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the holder removed it as we opened it: lock the new one
            os.close(descriptor)
            continue
        try:
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode())
        except OSError as error:
            os.close(descriptor)
            raise AttnkitError(f"cannot lock the run folder {run_dir}: {error.strerror}") \
                from None
        return descriptor
    raise AttnkitError(f"cannot lock the run folder {run_dir}: it keeps changing")


def remove_if_empty(run_dir: Path, made: bool) -> None:
    if made:
        with contextlib.suppress(OSError):
            run_dir.rmdir()  # only if empty: what a run wrote, or another's lock, stays
