"""`--json`, `--n-best` and `--include-attention` of `attnkit predict`/`eval` on a classifier run
(a tiny three-topic one), checked against the text output, the Python API and metrics recomputed
here from the predictions."""

import csv
import json

import pytest

from attnkit.cli import main
from attnkit.pipelines.classify.predictor import TextClassifier

from .classify.classify_run import one_thread
from .classify.topic_runs import WORDS, train_topics, write_topics

TEXTS = ["the match was a goal", "a chef and the dinner", "this song of the band", "it was"]
KEYS = ["input", "output", "probability", "log_probability", "probabilities", "top_tokens"]


@pytest.fixture(scope="module")
def topic_run(tmp_path_factory):
    with one_thread():
        yield train_topics(tmp_path_factory.mktemp("topics") / "run", "--set", "train.epochs=8",
                           "--seed", "1")


@pytest.fixture(autouse=True)
def _single_thread():
    with one_thread():
        yield


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_holds_what_the_text_output_says(topic_run, capsys):
    code, text, _ = run(["predict", str(topic_run), *TEXTS, "--no-color"], capsys)
    assert code == 0
    shown = [line.split()[1] for line in text.splitlines()
             if line.startswith(("label ", "probability "))]
    code, out, err = run(["predict", str(topic_run), *TEXTS, "--json"], capsys)
    assert code == 0 and err == ""
    records = json.loads(out)
    assert [key for r in records for key in r] == KEYS * len(TEXTS)
    assert [r["input"] for r in records] == TEXTS
    assert shown == [value for r in records for value in (r["output"],
                                                          f"{r['probability']:.4f}")]
    classifier = TextClassifier.from_checkpoint(topic_run)
    for record, prediction in zip(records, classifier.predict(TEXTS), strict=True):
        assert list(record["probabilities"]) == classifier.class_names == sorted(WORDS)
        assert list(record["probabilities"].values()) == pytest.approx(
            prediction.probabilities, abs=1e-6)
        assert record["output"] == prediction.label
        assert record == prediction.to_record()  # one record, from the CLI and from Python
    assert {r["output"] for r in records[:3]} == {"sport", "food", "music"}  # it learned


def test_n_best_is_the_top_classes_with_their_probabilities(topic_run, capsys):
    records = json.loads(run(["predict", str(topic_run), *TEXTS, "--json", "--n-best", "3"],
                             capsys)[1])
    for record in records:
        ranked = record["n_best"]
        assert sorted(entry["output"] for entry in ranked) == sorted(WORDS)
        assert ranked[0] == {key: record[key] for key in ("output", "probability",
                                                          "log_probability")}
        assert [e["probability"] for e in ranked] == sorted(record["probabilities"].values(),
                                                            reverse=True)
        assert all(record["probabilities"][e["output"]] == e["probability"] for e in ranked)
        assert sum(e["probability"] for e in ranked) == pytest.approx(1, abs=1e-5)
    top = json.loads(run(["predict", str(topic_run), TEXTS[0], "--json", "--n-best", "2"],
                         capsys)[1])[0]["n_best"]
    assert [e["output"] for e in top] == [e["output"] for e in records[0]["n_best"][:2]]
    assert [e["log_probability"] for e in top] == pytest.approx(  # batches differ in the ulp
        [e["log_probability"] for e in records[0]["n_best"][:2]], abs=1e-5)
    text = run(["predict", str(topic_run), TEXTS[0], "--n-best", "2", "--no-color"], capsys)[1]
    assert "top classes  " + ", ".join(f"{e['output']} {e['probability']:.4f}" for e in top) \
        in text.splitlines()


@pytest.mark.parametrize("options,message", [
    (["--n-best", "0"], "argument --n-best: must be from 1 to 100, got 0"),
    (["--n-best", "4"], "--n-best 4: this classifier has only 3 classes (food, music, sport)"),
])
def test_a_bad_n_best_is_one_error_line(topic_run, options, message, capsys):
    code, out, err = run(["predict", str(topic_run), TEXTS[0], "--json", *options], capsys)
    assert code == 1 and out == ""
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_input_file_json_is_the_json_lines_as_one_list(topic_run, tmp_path, capsys):
    inputs = tmp_path / "texts.txt"
    inputs.write_text("the goal\n\nzzz qqq\nsong band\n")
    code, lines, err = run(["predict", str(topic_run), "--input", str(inputs)], capsys)
    assert code == 1
    code, out, err_json = run(["predict", str(topic_run), "--input", str(inputs), "--json"],
                              capsys)
    assert code == 1 and err_json == err
    records = json.loads(out)
    assert records == [json.loads(line) for line in lines.splitlines()]
    assert [r["input"] for r in records] == ["the goal", "zzz qqq", "song band"]
    assert records[1]["error"].startswith(f"{inputs}:3: none of the 2 words")
    assert err == f"error: {records[1]['error']}\n"
    output = tmp_path / "predictions.json"
    code, out, err = run(["predict", str(topic_run), "--input", str(inputs), "--json",
                          "--output", str(output)], capsys)
    assert code == 1 and out == "" and json.loads(output.read_text()) == records


def test_attention_is_in_json_only_when_asked(topic_run, capsys):
    classifier = TextClassifier.from_checkpoint(topic_run)
    code, out, _ = run(["predict", str(topic_run), *TEXTS, "--json", "--include-attention"],
                       capsys)
    for text, record, prediction in zip(TEXTS, json.loads(out), classifier.predict(TEXTS),
                                        strict=True):
        assert list(record) == [*KEYS, "tokens", "spans", "attention"]
        assert record["tokens"] == text.split()
        assert record["attention"] == pytest.approx(prediction.weights, abs=5e-5)
        assert sum(record["attention"]) == pytest.approx(1, abs=1e-3)


def test_eval_json_is_the_metrics_of_the_predictions(topic_run, tmp_path, capsys):
    data = write_topics(tmp_path / "held_out.tsv", 30, seed=7)
    with data.open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    (tmp_path / "sentences.txt").write_text("".join(row["sentence"] + "\n" for row in rows))
    code, out, err = run(["eval", str(topic_run), "--data", str(data), "--text-col", "sentence",
                          "--label-col", "topic", "--json"], capsys)
    assert code == 0 and "evaluated" in err
    scores = json.loads(out)
    predicted = [r["output"] for r in json.loads(run(
        ["predict", str(topic_run), "--input", str(tmp_path / "sentences.txt"), "--json"],
        capsys)[1])]
    classes = scores["classes"]
    matrix = [[sum(row["topic"] == true and guess == column
                   for row, guess in zip(rows, predicted, strict=True)) for column in classes]
              for true in classes]
    precision = [matrix[i][i] / max(1, sum(row[i] for row in matrix)) for i in range(3)]
    recall = [matrix[i][i] / max(1, sum(matrix[i])) for i in range(3)]
    f1 = [2 * p * r / (p + r) if p + r else 0.0 for p, r in zip(precision, recall, strict=True)]
    assert scores == {
        "data": str(data), "examples": 30, "average": "macro", "classes": sorted(WORDS),
        "confusion_matrix": matrix, "accuracy": pytest.approx(
            sum(row["topic"] == guess for row, guess in zip(rows, predicted, strict=True)) / 30),
        "precision": pytest.approx(sum(precision) / 3), "recall": pytest.approx(sum(recall) / 3),
        "f1": pytest.approx(sum(f1) / 3)}
    assert scores["accuracy"] > 0.5
