"""CLI round trips of the classify task on a slice of the real IMDB data (tiny model)."""

import json

import pytest
import torch

from attnkit.cli import main
from attnkit.engine.checkpoint import load_checkpoint, read_header
from attnkit.pipelines.classify.predictor import TextClassifier

from ...data.imdb_slice import slice_data_dir, slice_reviews


def test_training_writes_a_complete_run(run_dir):
    assert {p.name for p in run_dir.iterdir()} >= {"best.safetensors", "last.safetensors",
                                                   "metrics.jsonl", "curves.png", "recipe.yaml"}
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 2 and records[1]["train_loss"] < records[0]["train_loss"]
    meta = read_header(run_dir / "best.safetensors")["meta"]
    assert meta["task"] == "classify" and meta["classes"] == ["neg", "pos"]
    assert len(meta["vocab"]) == 3000 and meta["vocab"][:2] == ["<pad>", "<oov>"]
    assert meta["ngrams"]["order"] == 2 and meta["ngrams"]["base"] == 3000
    assert "ngrams" not in read_header(run_dir / "last.safetensors")["meta"]


def test_cli_predict_gives_the_python_api_probability(run_dir, tmp_path, capsys):
    texts = [slice_reviews()["test"].texts[i] for i in (0, 1, -1)]
    (tmp_path / "in.txt").write_text("\n".join(t.replace("\n", " ") for t in texts) + "\n")
    assert main(["predict", str(run_dir), "--input", str(tmp_path / "in.txt"),
                 "--output", str(tmp_path / "out.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    expected = TextClassifier.from_checkpoint(run_dir, "cpu").predict(
        [t.replace("\n", " ") for t in texts])
    for row, prediction in zip(rows, expected, strict=True):
        assert row["label"] == prediction.label
        assert row["probability"] == pytest.approx(prediction.probability, abs=1e-6)
    capsys.readouterr()
    assert main(["predict", str(run_dir), "--no-color", texts[0]]) == 0
    shown = capsys.readouterr().out
    assert f"probability  {expected[0].probability:.4f}" in shown and "\x1b[" not in shown


def test_checkpoint_reload_rebuilds_the_same_model(run_dir):
    checkpoint = load_checkpoint(run_dir / "last.safetensors")
    first = TextClassifier.from_checkpoint(run_dir / "last.safetensors", "cpu")
    second = TextClassifier.from_checkpoint(run_dir / "last.safetensors", "cpu")
    for name, tensor in first.model.state_dict().items():
        assert torch.equal(tensor, checkpoint.model_state[name]), name
    text = slice_reviews()["test"].texts[5]
    assert first.predict([text])[0] == second.predict([text])[0]
    assert checkpoint.optimizer_state is not None and checkpoint.header["epoch"] == 2


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
