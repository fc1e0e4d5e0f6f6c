"""The Multi30k loader: the official files' sizes, alignment and checksums, language pairs in
either direction, the unseen test sets refused, and a download only when asked for (here from a
local copy through a file:// address)."""

import gzip
import shutil

import pytest

from attnkit.data import multi30k
from attnkit.data.multi30k import SHA256, load_multi30k, multi30k_path, read_multi30k
from attnkit.data.sources import sha256_of
from attnkit.errors import AttnkitError

from ..shared_data import data_dir, needs_data

MULTI30K = needs_data("multi30k", "val.de.gz")


@MULTI30K
def test_the_checksums_are_those_of_the_official_files():
    folder = data_dir() / "multi30k"
    assert {path.name.removesuffix(".gz"): sha256_of(path)
            for path in sorted(folder.glob("*.gz"))} == SHA256


@MULTI30K
def test_pairs_are_the_aligned_lines_of_each_split():
    splits = load_multi30k("en", "de", data_dir())
    assert (len(splits.train_sources), len(splits.val_sources), len(splits.test_sources)) == \
        (29000, 1014, 1000)
    assert len(splits.train_targets) == 29000 and len(splits.test_targets) == 1000
    assert splits.val_sources[0] == "A group of men are loading cotton onto a truck"
    assert splits.val_targets[0] == "Eine Gruppe von Männern lädt Baumwolle auf einen Lastwagen"
    assert splits.test_targets[225] == ('Eine Frau auf einem Boot namens "El Corazon" lässt '
                                        'schwarze Gewichte ins Wasser fallen.')
    assert "\xa0" in splits.val_targets[75]  # kept as the file has it ("ca. 120 cm")


@MULTI30K
def test_the_reverse_direction_and_french():
    reverse = load_multi30k("de", "en", data_dir(), limit=5)
    forward = load_multi30k("en", "de", data_dir(), limit=5)
    assert reverse.val_sources == forward.val_targets
    assert reverse.train_targets == forward.train_sources
    french = load_multi30k("en", "fr", data_dir(), limit=3)
    assert french.test_targets[1] == ("Un terrier de Boston court sur l'herbe verdoyante devant "
                                      "une clôture blanche.")


def test_only_the_three_splits_and_languages_are_read(tmp_path):
    with pytest.raises(AttnkitError, match="train, val, test_2016_flickr"):
        read_multi30k("test_2017_flickr", "de", tmp_path)
    with pytest.raises(AttnkitError, match="en, de, fr"):
        read_multi30k("val", "cs", tmp_path)
    with pytest.raises(AttnkitError, match="both 'de'"):
        load_multi30k("de", "de", tmp_path)


def test_a_missing_file_is_an_error_not_a_download(tmp_path, monkeypatch):
    monkeypatch.setattr(multi30k, "download", lambda *args: pytest.fail("downloaded"))
    with pytest.raises(AttnkitError, match=r"multi30k/val\.de\.gz.*--data-dir.*https://github"):
        read_multi30k("val", "de", tmp_path)


@MULTI30K
def test_asked_for_it_downloads_and_checks_the_official_file(tmp_path, monkeypatch):
    official = tmp_path / "official"
    official.mkdir()
    shutil.copy(data_dir() / "multi30k" / "val.de.gz", official / "val.de.gz")
    with gzip.open(official / "val.en.gz", "wt", encoding="utf-8") as handle:
        handle.write("not the official text\n")
    monkeypatch.setattr(multi30k, "OFFICIAL_BASE", official.as_uri())
    cache = tmp_path / "cache"
    path = multi30k_path("val", "de", cache, download_if_missing=True)
    assert path == cache / "multi30k" / "val.de.gz"
    assert read_multi30k("val", "de", cache)[0].startswith("Eine Gruppe von Männern")
    with pytest.raises(AttnkitError, match="SHA-256"):
        multi30k_path("val", "en", cache, download_if_missing=True)
    assert not (cache / "multi30k" / "val.en.gz").exists()


def test_lines_split_on_newlines_only_and_sizes_are_checked(tmp_path):
    folder = tmp_path / "multi30k"
    folder.mkdir()
    with gzip.open(folder / "val.en.gz", "wt", encoding="utf-8") as handle:
        handle.write("a line\u2028with a separator\nsecond\n")
    assert read_multi30k("val", "en", tmp_path, limit=5) == ["a line\u2028with a separator",
                                                             "second"]
    with pytest.raises(AttnkitError, match="has 2 lines; Multi30k val has 1014"):
        read_multi30k("val", "en", tmp_path)
    (folder / "val.de.gz").write_bytes(b"not gzip")
    with pytest.raises(AttnkitError, match="cannot read"):
        read_multi30k("val", "de", tmp_path)
