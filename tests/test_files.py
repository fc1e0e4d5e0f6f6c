import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from attnkit import files
from attnkit.errors import AttnkitError
from attnkit.files import (
    check_writable,
    read_lines,
    read_text,
    write_atomically,
    write_text_atomically,
)


def test_written_through_a_temporary_file_with_the_same_suffix(tmp_path):
    seen = []

    def write(temporary):
        seen.append(temporary)
        temporary.write_bytes(b"new")

    path = write_atomically(tmp_path / "sub" / "figure.png", write)
    assert path.read_bytes() == b"new" and [p.name for p in path.parent.iterdir()] == ["figure.png"]
    # in a private folder beside it (with whatever temporaries the writer makes of its own)
    assert seen[0].parent.parent == path.parent and seen[0].name == path.name
    assert seen[0].parent.name.startswith(".figure.png.") and not seen[0].parent.exists()


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    path = write_text_atomically(tmp_path / "log.jsonl", "old\n")

    def fail(temporary):
        temporary.write_text("half")
        raise OSError("disk full")

    with pytest.raises(AttnkitError, match="cannot write .*log.jsonl: disk full"):
        write_atomically(path, fail)
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["log.jsonl"]


def test_read_text_errors_name_the_file_and_line(tmp_path):
    with pytest.raises(AttnkitError, match="nope.txt: no such file"):
        read_text(tmp_path / "nope.txt")
    path = tmp_path / "latin.txt"
    path.write_bytes(b"fine\ncaf\xe9\n")
    with pytest.raises(AttnkitError, match=r"latin.txt:2: byte b'\\xe9' is not valid UTF-8"):
        read_text(path)
    path.write_bytes(b"\xef\xbb\xbfwith a byte-order mark\n")
    assert read_text(path) == "with a byte-order mark\n"


@pytest.mark.parametrize("make", ["device", "symlink", "fifo", "folder"])
def test_only_regular_files_are_read(tmp_path, make):
    """/dev/zero would grow until memory ran out, a FIFO would block forever."""
    path = tmp_path / "data.csv"
    if make == "device":
        path = Path("/dev/zero")
    elif make == "symlink":
        path.symlink_to("/dev/zero")
    elif make == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    for read in (read_text, lambda p: list(read_lines(p))):
        with pytest.raises(AttnkitError, match="is not a regular file"):
            read(path)


def test_files_read_whole_have_a_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_TEXT_BYTES", 10)
    path = tmp_path / "big.txt"
    path.write_text("x" * 11)
    with pytest.raises(AttnkitError, match="files read whole may hold at most"):
        read_text(path)


def test_lines_are_read_as_they_come_with_a_limit_per_line(tmp_path, monkeypatch):
    path = tmp_path / "in.txt"
    path.write_bytes(b"\xef\xbb\xbffirst\r\n\nthird\n")
    lines = read_lines(path)
    assert next(lines) == (1, "first")  # nothing past the first line has been needed yet
    assert list(lines) == [(2, ""), (3, "third")]
    monkeypatch.setattr(files, "MAX_LINE_BYTES", 4)
    with pytest.raises(AttnkitError, match="in.txt:1: line longer than"):
        list(read_lines(path))
    path.write_bytes(b"one\n\xff two\n")
    monkeypatch.setattr(files, "MAX_LINE_BYTES", 100)
    with pytest.raises(AttnkitError, match=r"in.txt:2: byte b'\\xff' is not valid UTF-8"):
        list(read_lines(path))


def test_a_dash_reads_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a\nb\n")))
    assert list(read_lines("-")) == [(1, "a"), (2, "b")]


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".cache.npy.{dead}-0123abcd.tmp.npy"
    stale.write_bytes(b"half a render cache")
    running = tmp_path / f".cache.npy.{os.getpid()}-4567abcd.tmp.npy"
    running.write_bytes(b"being written now")
    write_text_atomically(tmp_path / "cache.npy", "done")
    assert not stale.exists() and running.exists()


def test_outputs_are_checked_before_any_work(tmp_path):
    check_writable(tmp_path / "new" / "out.html")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(AttnkitError, match="is a folder; give the name of a file"):
        check_writable(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(AttnkitError, match="file is a file, not a folder"):
        check_writable(tmp_path / "file" / "out.html")
    with pytest.raises(AttnkitError, match="cannot write /proc/out.html"):
        check_writable("/proc/out.html")


def test_a_full_disk_is_one_error_however_the_writer_reports_it(tmp_path):
    from safetensors import SafetensorError

    def full(temporary):  # what safetensors 0.8 raises on a full disk
        raise SafetensorError("Error while serializing: I/O error: No space left on device "
                              "(os error 28)")

    with pytest.raises(AttnkitError, match=r"cannot write .*w.safetensors: no space left on "
                                           r"the disk \(free some, or write elsewhere\)"):
        write_atomically(tmp_path / "w.safetensors", full)
    assert list(tmp_path.iterdir()) == []

    def broken(temporary):
        raise SafetensorError("Error while serializing: header too large")  # not a write

    with pytest.raises(SafetensorError):
        write_atomically(tmp_path / "w.safetensors", broken)


KILLED_WRITER = """
import sys, torch
from attnkit.run.checkpoint import save_checkpoint
state = {"weight": torch.ones(25_000_000)}  # 100 MB: each write takes a while
while True:
    save_checkpoint(sys.argv[1], state, {"meta": {}})
"""


def writing_its_own_temporary(folder: Path, path: Path) -> bool:
    """Whether a file other than `path` is being written in `folder` or a folder in it."""
    for entry in folder.iterdir():
        try:
            if entry.name != path.name and (not entry.is_dir() or any(entry.iterdir())):
                return True
        except FileNotFoundError:  # a folder removed as we looked
            continue
    return False


def test_a_checkpoint_writer_killed_mid_write_leaves_only_what_the_next_write_removes(
        tmp_path):
    """safetensors writes a temporary of its own (`.tmpXXXXXX`, the model's size) and renames
    it; killed in between, it stays. It goes into the private folder of the write, which the
    next write of that file removes."""
    path = tmp_path / "last.safetensors"
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)],
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.monotonic() + 120
        while not writing_its_own_temporary(tmp_path, path):
            assert writer.poll() is None and time.monotonic() < deadline
            time.sleep(0.001)
    finally:
        writer.kill()
        writer.wait()
    left = [entry for entry in tmp_path.iterdir() if entry.name != path.name]
    assert any(inner.name.startswith(".tmp") for entry in left for inner in entry.iterdir())
    assert left and all(entry.name.startswith(f".{path.name}.{writer.pid}-") and entry.is_dir()
                        for entry in left), [entry.name for entry in left]
    write_text_atomically(path, "next")
    assert [entry.name for entry in tmp_path.iterdir()] == [path.name]
