import gzip

import pytest

from attnkit.data import moses
from attnkit.errors import AttnkitError


def write_split(folder, text: str, name: str = "test.csv.gz"):
    (folder / "moses").mkdir(exist_ok=True)
    with gzip.open(folder / "moses" / name, "wt") as handle:
        handle.write(text)


def test_reads_the_official_layout_with_a_limit(tmp_path):
    write_split(tmp_path, "SMILES\nCCO\nc1ccccc1\nCCN\n")
    assert moses.load_moses("test", tmp_path) == ["CCO", "c1ccccc1", "CCN"]
    assert moses.load_moses("test", tmp_path, limit=2) == ["CCO", "c1ccccc1"]


def test_wrong_header_and_unknown_split_are_named(tmp_path):
    write_split(tmp_path, "smiles,SPLIT\nCCO,train\n")
    with pytest.raises(AttnkitError, match=r"line 1: expected the header 'SMILES', found "
                       r"columns \['smiles', 'SPLIT'\]"):
        moses.load_moses("test", tmp_path)
    with pytest.raises(AttnkitError, match="unknown MOSES split 'valid'"):
        moses.load_moses("valid", tmp_path)


def test_missing_file_is_downloaded_with_its_checksum_only_when_asked(tmp_path, monkeypatch):
    with pytest.raises(AttnkitError, match=r"train.csv.gz not found.*molecularsets/moses"):
        moses.load_moses("train", tmp_path)
    calls = []

    def fake_download(url, destination, sha256):
        calls.append((url, sha256))
        write_split(tmp_path, "SMILES\nCCO\n", "train.csv.gz")
        return destination

    monkeypatch.setattr(moses, "download", fake_download)
    assert moses.load_moses("train", tmp_path, download_if_missing=True) == ["CCO"]
    assert calls == [(f"{moses.OFFICIAL_BASE}/train.csv.gz", moses.MOSES_FILES["train"][1])]
