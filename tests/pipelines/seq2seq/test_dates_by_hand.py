"""The shipped `dates` model on dates typed by hand (`dates_by_hand.tsv`, issue #27: forms the
classic date.txt lacks, texts that are not dates) and the reading rules a user can choose."""

from math import exp
from pathlib import Path

import pytest

import attnkit
from attnkit.cli import main

TYPED = Path(__file__).with_name("dates_by_hand.tsv")


def typed_by_hand() -> list[tuple[str, str]]:
    lines = TYPED.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def shipped():
    return attnkit.load("dates")


def test_the_shipped_model_reads_every_date_typed_by_hand_and_refuses_the_rest(shipped):
    rows = typed_by_hand()
    assert len(rows) >= 50 and sum(answer == "" for _, answer in rows) >= 10
    results = shipped.predict([text for text, _ in rows])
    wrong = [(text, result.output, answer) for (text, answer), result
             in zip(rows, results, strict=True) if result.output != answer]
    assert not wrong


def test_day_first_reads_slashes_and_dashes_day_first(capsys):
    assert main(["translate", "dates", "3/5/2021", "03-05-21", "31/12/1999", "3.5.2021",
                 "--no-text-heatmap"]) == 0
    month_first = [line.split(" -> ")[1].split("\t")[0]
                   for line in capsys.readouterr().out.splitlines()]
    assert month_first == ["2021-03-05", "2021-03-05", "1999-12-31", "2021-05-03"]
    assert main(["translate", "dates", "3/5/2021", "03-05-21", "31/12/1999", "3.5.2021",
                 "--no-text-heatmap", "--day-first"]) == 0
    day_first = [line.split(" -> ")[1].split("\t")[0]
                 for line in capsys.readouterr().out.splitlines()]
    assert day_first == ["2021-05-03", "2021-05-03", "1999-12-31", "2021-05-03"]


def test_a_refusal_shows_as_not_a_date_with_its_probability(shipped, capsys):
    assert main(["translate", "dates", "tomorrow", "--no-text-heatmap"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    [result] = shipped.predict(["tomorrow"])
    assert line == f"tomorrow -> (not a date)\tprobability {exp(result.score):.4f}"
    assert result.output == "" and result.to_record()["output"] == ""
