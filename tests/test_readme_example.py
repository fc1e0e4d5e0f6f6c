"""The README's Python example, run as a user would: its own words, in a fresh folder."""

import re
from pathlib import Path

import attnkit
from attnkit.cli import main
from attnkit.run.checkpoint import read_header

from .unavailable import require_module

README = Path(__file__).resolve().parents[1] / "README.md"


def python_example(containing: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    [block] = [block for block in blocks if containing in block]
    return block


def test_the_training_example_keeps_a_later_epoch_and_reads_its_two_reviews(
        tmp_path, monkeypatch, capsys):
    """Its 10 epochs reach validation accuracy 1.0 early and tie from then on; the kept run
    must be the tied epoch with the lowest validation loss, not the first (issue #27)."""
    monkeypatch.chdir(tmp_path)
    exec(compile(python_example('"reviews.csv"'), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    header = read_header(tmp_path / "runs" / "reviews" / "best.safetensors")
    accuracy = [record["val_accuracy"] for record in header["history"]]
    first_best = accuracy.index(max(accuracy)) + 1
    assert header["epoch"] > first_best, (accuracy, header["trainer"]["kept"])
    assert f"kept epoch {header['epoch']} (" in printed
    labels = [line.split()[0] for line in printed.splitlines()[-2:]]
    assert labels == ["pos", "neg"], printed


def test_the_plain_onnxruntime_example_reads_as_attnkit_does(tmp_path, monkeypatch, capsys):
    """The README's ONNX interface, used with nothing of attnkit's but the exported file: its
    encoding and its answers equal attnkit's own predictor on the shipped IMDB model."""
    require_module("onnxruntime", "pip install 'attnkit[onnx]'")
    monkeypatch.chdir(tmp_path)
    assert main(["export", "imdb", "--format", "onnx", "--output", "imdb.onnx"]) == 0
    capsys.readouterr()
    namespace: dict = {}
    exec(compile(python_example("onnxruntime"), "README.md", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    texts = namespace["texts"]
    predictions = attnkit.load("imdb").predict(texts)
    assert printed == [f"{p.label} {p.probability:.3f} {text}"
                       for p, text in zip(predictions, texts, strict=True)]
    # the encoding the README spells out, on texts that test its rules: punctuation and case,
    # HTML breaks, unknown words, a text with no words, and one longer than max_length
    predictor = attnkit.load("imdb")
    hard = ["Not bad... at ALL!<br /><br />10/10", "zxqv wibble", "?!", "word " * 600 + "end"]
    for text in hard:
        assert namespace["encode"](text) == encoded_ids(predictor, text), text


def encoded_ids(predictor, text: str) -> list[int]:
    """attnkit's ids for `text`, as its evaluation reads them (no words: one <oov>)."""
    return [int(i) for i in predictor.encode_lenient(text).ids] or [1]
