"""CLI round trips of the classify task on a slice of the real IMDB data (tiny model)."""

import csv
import json

import pytest
import torch

from attnkit.cli import main
from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.models.classifier import AttentionClassifier
from attnkit.models.classifier_kinds import ClassifierModelConfig
from attnkit.pipelines.classify.predictor import TextClassifier
from attnkit.recipe import recipe_from_dict
from attnkit.run.checkpoint import load_checkpoint, read_header

from ...data.imdb_slice import slice_data_dir, slice_reviews


def test_training_writes_a_complete_run(run_dir):
    assert {p.name for p in run_dir.iterdir()} >= {"best.safetensors", "last.safetensors",
                                                   "metrics.jsonl", "curves.png", "recipe.yaml"}
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [record["epoch"] for record in records] == [1, 2, 3, 4, 5, 6]
    assert records[-1]["train_loss"] < records[0]["train_loss"] - 0.1  # it learns
    # the stacked model, the run's best checkpoint (the majority class is 54 %)
    assert read_header(run_dir / "best.safetensors")["stacked_metrics"]["val_accuracy"] >= 0.8
    meta = read_header(run_dir / "best.safetensors")["meta"]
    assert meta["task"] == "classify" and meta["classes"] == ["neg", "pos"]
    assert len(meta["vocab"]) == 3000 and meta["vocab"][:2] == ["<pad>", "<oov>"]
    assert meta["ngrams"]["order"] == 2 and meta["ngrams"]["base"] == 3000
    assert "ngrams" not in read_header(run_dir / "last.safetensors")["meta"]


def model_probabilities(checkpoint_path, text):
    """The oracle: the plain attention model of a checkpoint, built and run here on the ids of
    the text's last max_length words (<oov>, id 1, for words out of the vocabulary)."""
    checkpoint = load_checkpoint(checkpoint_path)
    meta = checkpoint.header["meta"]
    assert meta.get("ngrams") is None and meta.get("bigrams") is None
    config = recipe_from_dict(ClassifierModelConfig, meta["recipe"]["model"], "model.")
    assert config.kind == "bilstm"
    model = AttentionClassifier(config)
    model.load_state_dict(checkpoint.model_state)
    index = {word: position for position, word in enumerate(meta["vocab"])}
    words = TextTokenizer.from_dict(meta["tokenizer"]).tokenize(text)
    ids = [index.get(word, 1) for word in words][-meta["max_length"]:]
    with torch.no_grad():
        logits, _ = model.eval()(torch.tensor([ids]), torch.tensor([len(ids)]))
    positive = float(torch.sigmoid(logits[0]))
    return {"neg": 1 - positive, "pos": positive}


def test_cli_predict_gives_the_models_own_probabilities(run_dir, tmp_path, capsys):
    last = run_dir / "last.safetensors"  # the attention model alone
    texts = [slice_reviews()["test"].texts[i].replace("\n", " ") for i in (0, 1, -1)]
    assert max(len(text.split()) for text in texts) > 80  # the model reads the last 80 words
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    assert main(["predict", str(last), "--input", str(tmp_path / "in.txt"),
                 "--output", str(tmp_path / "out.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(rows) == len(texts)
    for row, text in zip(rows, texts, strict=True):
        expected = model_probabilities(last, text)
        assert row["probabilities"] == pytest.approx(expected, abs=2e-6)
        assert row["output"] == max(expected, key=expected.get)
        assert row["probability"] == pytest.approx(max(expected.values()), abs=2e-6)
    capsys.readouterr()
    assert main(["predict", str(last), "--no-color", texts[0]]) == 0
    shown = capsys.readouterr().out
    assert f"probability  {max(model_probabilities(last, texts[0]).values()):.4f}" in shown
    assert "\x1b[" not in shown
    checkpoint = load_checkpoint(last)
    assert checkpoint.optimizer_state is not None and checkpoint.header["epoch"] == 6


def test_predict_labels_give_the_accuracy_and_matrix_eval_reports(run_dir, tmp_path, capsys):
    test = slice_reviews()["test"]
    chosen = [*range(30), *range(len(test.texts) - 10, len(test.texts))]  # both classes, unevenly
    texts = [test.texts[i].replace("\n", " ") for i in chosen]
    truth = [("neg", "pos")[test.labels[i]] for i in chosen]
    with (tmp_path / "rows.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([("text", "label"), *zip(texts, truth, strict=True)])
    (tmp_path / "texts.txt").write_text("\n".join(texts) + "\n")
    assert main(["predict", str(run_dir), "--input", str(tmp_path / "texts.txt"),
                 "--output", str(tmp_path / "out.jsonl")]) == 0
    guessed = [json.loads(line)["output"]
               for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    capsys.readouterr()
    assert main(["eval", str(run_dir), "--data", str(tmp_path / "rows.csv")]) == 0
    report = capsys.readouterr().out
    correct = sum(map(str.__eq__, guessed, truth))
    assert 0 < correct < len(truth)  # neither all right nor all wrong: the figures can differ
    assert f"accuracy   {correct / len(truth):.4f}" in report
    matrix = report.split("confusion matrix (rows: true, columns: predicted)\n")[1].splitlines()
    counts = [[sum(t == actual and g == column for t, g in zip(truth, guessed, strict=True))
               for column in ("neg", "pos")] for actual in ("neg", "pos")]
    assert counts[0][1] != counts[1][0]  # a transposed matrix would show
    for line, actual, row in zip(matrix[1:], ("neg", "pos"), counts, strict=True):
        assert line.split() == [actual, *map(str, row)]


def test_a_clear_review_and_its_opposite_get_opposite_labels(run_dir):
    """The best checkpoint (attention model stacked with the n-gram branch) after six epochs on
    the slice; the reviews are long enough for the n-gram branch to count the words."""
    good = ("This was the best movie I have seen in years. Wonderful acting, a brilliant "
            "script, moving and funny. See it, a great film and worth every minute. ") * 3
    bad = ("This was the worst movie I have seen in years. Awful acting, a terrible script, "
           "boring and stupid. Avoid it, a bad film and a waste of every minute. ") * 3
    classifier = TextClassifier.from_checkpoint(run_dir, "cpu")
    assert [p.label for p in classifier.predict([good, bad])] == ["pos", "neg"]


def test_eval_on_the_test_split_agrees_with_the_python_api(run_dir, capsys, monkeypatch,
                                                            tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["eval", str(run_dir), "--data-dir", str(slice_data_dir())]) == 0
    out, err = capsys.readouterr()
    assert "\r" not in err  # progress bars are left out of pipes and logs
    assert "examples   1000" in out and "confusion matrix" in out
    accuracy = float(out.split("accuracy")[1].split()[0])
    test = slice_reviews()["test"]
    predictions = TextClassifier.from_checkpoint(run_dir, "cpu").predict(test.texts)
    correct = sum(p.label == ("neg", "pos")[label]
                  for p, label in zip(predictions, test.labels, strict=True))
    assert accuracy == pytest.approx(correct / len(test.labels), abs=1e-4)


def test_html_page_and_a_one_megabyte_review(run_dir, tmp_path, capsys):
    page = tmp_path / "page.html"
    review = "A dull start. " * 75_000 + "But the ending was wonderful and moving."
    assert len(review) > 1_000_000
    assert main(["predict", str(run_dir), "--html", str(page), review]) == 0
    html = page.read_text()
    assert "wonderful" in html and html.count('" title="') == 80  # max_length tokens shaded
    assert "Class probabilities: neg " in html and ", pos " in html
    assert "\u2026" in capsys.readouterr().out  # the unseen front is elided
