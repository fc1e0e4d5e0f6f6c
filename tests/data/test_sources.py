import hashlib

import pytest

from attnkit.data.sources import download, resolve_data_dir
from attnkit.errors import AttnkitError


def test_data_dir_flag_beats_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ATTNKIT_DATA", str(tmp_path / "env"))
    assert resolve_data_dir(str(tmp_path / "flag")) == tmp_path / "flag"
    assert resolve_data_dir(None) == tmp_path / "env"
    monkeypatch.delenv("ATTNKIT_DATA")
    assert resolve_data_dir(None).name == "attnkit"


def test_download_checks_the_checksum(tmp_path):
    source = tmp_path / "official.bin"
    source.write_bytes(b"official bytes")
    good = hashlib.sha256(b"official bytes").hexdigest()
    target = tmp_path / "cache" / "file.bin"
    assert download(source.as_uri(), target, good).read_bytes() == b"official bytes"
    other = tmp_path / "cache" / "other.bin"
    with pytest.raises(AttnkitError, match="SHA-256"):
        download(source.as_uri(), other, "0" * 64)
    assert not other.exists()
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]


def test_unreachable_source_names_the_way_out(tmp_path):
    with pytest.raises(AttnkitError, match="--data-dir"):
        download((tmp_path / "absent.bin").as_uri(), tmp_path / "x.bin", "0" * 64)


def test_a_download_shows_its_progress_in_bytes(tmp_path, monkeypatch):
    from attnkit.data import sources

    bars = []
    real = sources.progress_bar

    def recorded(*args, **options):
        bars.append(options)
        return real(*args, **options)

    monkeypatch.setattr(sources, "progress_bar", recorded)
    source = tmp_path / "archive.tar.gz"
    source.write_bytes(b"x" * 3000)
    download(source.as_uri(), tmp_path / "copy.tar.gz", hashlib.sha256(b"x" * 3000).hexdigest())
    assert bars == [{"total": 3000, "unit": "B", "unit_scale": True,
                     "desc": "downloading copy.tar.gz"}]
