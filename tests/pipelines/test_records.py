import csv
import io
import json

import pytest

from attnkit.pipelines.records import RecordWriter

RECORDS = [{"file": "a.png", "output": "café", "confidence": 0.5,
            "n_best": [{"output": "café", "confidence": 0.5},
                       {"output": "cafe", "confidence": 0.25}]},
           {"file": "b.png", "error": "b.png is blank"},
           {"file": "c.png", "output": "x", "confidence": 1.0, "n_best": []}]
COLUMNS = ["file", "output", "confidence", "n_best", "error"]


def written(form: str, records: list[dict], capsys) -> tuple[str, str]:
    stream = io.StringIO()
    writer = RecordWriter(form, COLUMNS, ["file", "output", "confidence"], stream)
    for record in records:
        writer.write(record)
    writer.close()
    return stream.getvalue(), capsys.readouterr().err


def test_json_is_one_list_in_input_order_with_non_ascii_kept(capsys):
    text, err = written("json", RECORDS, capsys)
    assert json.loads(text) == RECORDS
    assert "café" in text and "\\u00e9" not in text
    lines = text.splitlines()  # one object a line, between the brackets
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 2 + len(RECORDS)
    assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == RECORDS
    assert err == "error: b.png is blank\n"
    assert written("json", [], capsys) == ("[]\n", "")


def test_jsonl_and_csv_hold_the_same_records(capsys):
    text, err = written("jsonl", RECORDS, capsys)
    assert [json.loads(line) for line in text.splitlines()] == RECORDS
    assert err == "error: b.png is blank\n"
    text, _ = written("csv", RECORDS, capsys)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["file"] for row in rows] == ["a.png", "b.png", "c.png"]
    assert json.loads(rows[0]["n_best"]) == RECORDS[0]["n_best"]
    assert rows[1]["error"] == "b.png is blank" and rows[1]["output"] == ""


def test_text_gives_an_n_best_line_per_entry_under_its_input(capsys):
    text, err = written("text", RECORDS, capsys)
    assert text.splitlines() == ["a.png\tcafé\t0.5", "\tcafé\t0.5", "\tcafe\t0.25",
                                 "c.png\tx\t1.0"]
    assert err == "error: b.png is blank\n"


def test_machine_formats_switch_a_non_utf8_stream_to_utf8():
    for form in ("json", "csv"):
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding="latin-1")
        writer = RecordWriter(form, COLUMNS, [], stream)
        writer.write({"file": "ñ.png", "output": "😀", "confidence": 1.0})
        writer.close()
        assert "😀" in raw.getvalue().decode("utf-8")
    with pytest.raises(UnicodeEncodeError, match="latin-1"):  # what the switch prevents
        io.TextIOWrapper(io.BytesIO(), encoding="latin-1").write("😀")
