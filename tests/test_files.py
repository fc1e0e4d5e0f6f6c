import pytest

from attnkit.errors import AttnkitError
from attnkit.files import read_text, write_atomically, write_text_atomically


def test_written_through_a_temporary_file_with_the_same_suffix(tmp_path):
    seen = []

    def write(temporary):
        seen.append(temporary)
        temporary.write_bytes(b"new")

    path = write_atomically(tmp_path / "sub" / "figure.png", write)
    assert path.read_bytes() == b"new" and [p.name for p in path.parent.iterdir()] == ["figure.png"]
    assert seen[0].parent == path.parent and seen[0].suffix == ".png" and seen[0] != path


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
