import json

import pytest

from attnkit.data.text_files import read_labelled_texts
from attnkit.errors import AttnkitError


def test_csv_tsv_and_jsonl_read_the_named_columns(tmp_path):
    (tmp_path / "a.csv").write_text('id,review,stars\n1,"Good, really",5\n2,Bad,1\n')
    (tmp_path / "a.tsv").write_text("review\tstars\nGood, really\t5\nBad\t1\n")
    rows = [{"review": "Good, really", "stars": 5}, {"review": "Bad", "stars": 1}]
    (tmp_path / "a.jsonl").write_text("\n".join(map(json.dumps, rows)) + "\n\n")
    for name in ("a.csv", "a.tsv", "a.jsonl"):
        data = read_labelled_texts(tmp_path / name, "review", "stars")
        assert data.texts == ["Good, really", "Bad"] and data.labels == ["5", "1"], name


def test_missing_column_lists_the_columns_found(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("sentence,label\nfine,1\n")
    with pytest.raises(AttnkitError, match=r"no column 'text'; columns found: 'sentence', 'label'"):
        read_labelled_texts(path)


def test_non_utf8_bytes_name_the_line(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"text,label\nfine,1\ncaf\xe9,0\n")
    with pytest.raises(AttnkitError, match=r"data.csv:3: byte b'\\xe9' is not valid UTF-8"):
        read_labelled_texts(path)


def test_empty_and_malformed_rows_are_errors_with_line_numbers(tmp_path):
    cases = {
        "empty.csv": ("text,label\n  ,1\n", r"empty.csv:2: empty text"),
        "nolabel.csv": ("text,label\nfine\n", r"nolabel.csv:2: empty label"),
        "extra.csv": ("text,label\na,b,c\n", r"extra.csv:2: more fields"),
        "header.csv": ("text,label\n", r"no rows of data"),
        "nothing.csv": ("", r"empty file"),
        "bad.jsonl": ('{"text": "a", "label": 1}\n{"text": \n', r"bad.jsonl:2: not valid JSON"),
        "list.jsonl": ('["a", 1]\n', r"list.jsonl:1: expected a JSON object"),
        "data.parquet": ("x", r"unknown data file type"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_text(content)
        with pytest.raises(AttnkitError, match=message):
            read_labelled_texts(tmp_path / name)
    with pytest.raises(AttnkitError, match="no such file"):
        read_labelled_texts(tmp_path / "missing.csv")


def test_a_one_megabyte_review_in_a_csv(tmp_path):
    review = "word " * 200_000
    path = tmp_path / "big.csv"
    path.write_text(f'text,label\n"{review}",pos\nshort,neg\n')
    data = read_labelled_texts(path)
    assert len(data.texts[0]) == 1_000_000 and data.labels == ["pos", "neg"]
