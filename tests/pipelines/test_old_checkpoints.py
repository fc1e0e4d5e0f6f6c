"""Checkpoints written by an earlier layout (see `old_checkpoints/README.md`) still load through
the predictors and the CLI, and predict what they predicted when they were written."""

import json
from pathlib import Path

import numpy as np
import pytest

from attnkit.cli import main
from attnkit.pipelines.classify.predictor import TextClassifier
from attnkit.pipelines.img2seq.predictor import ImageReader
from attnkit.pipelines.seq2seq.predictor import Translator
from tests.canvases import canvases

from ..threads import one_thread

FOLDER = Path(__file__).parent / "old_checkpoints"
EXPECTED = json.loads((FOLDER / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def single_thread():
    with one_thread():  # as when expected.json was written
        yield


def assert_attention(got: np.ndarray, expected: list) -> None:
    np.testing.assert_allclose(got, np.array(expected), atol=1e-5)


def test_seq2seq_checkpoint_translates_as_before():
    expected = EXPECTED["seq2seq"]
    translator = Translator.from_checkpoint(FOLDER / "seq2seq.safetensors")
    for key, beam in (("greedy", 1), ("beam3", 3)):
        for got, want in zip(translator.predict(expected["texts"], beam), expected[key],
                             strict=True):
            assert got.output == want["output"]
            assert got.score == pytest.approx(want["score"], abs=1e-4)
            assert_attention(got.attention, want["attention"])


def test_classify_checkpoint_predicts_as_before():
    expected = EXPECTED["classify"]
    classifier = TextClassifier.from_checkpoint(FOLDER / "classify.safetensors", "cpu")
    for got, want in zip(classifier.predict(expected["texts"]), expected["predictions"],
                         strict=True):
        assert got.label == want["label"]
        np.testing.assert_allclose(got.probabilities, want["probabilities"], atol=1e-5)
        np.testing.assert_allclose(got.weights, want["weights"], atol=1e-5)


def test_img2seq_checkpoint_reads_as_before():
    expected = EXPECTED["img2seq"]
    reader = ImageReader.from_checkpoint(FOLDER / "img2seq.safetensors")
    images = canvases(reader, [FOLDER / name for name in expected["images"]])
    for key, beam in (("greedy", 1), ("beam2", 2)):
        for got, want in zip(reader.predict_encoded(images, beam), expected[key], strict=True):
            assert got.text == want["text"]
            assert got.confidence == pytest.approx(want["confidence"], abs=1e-5)
            assert_attention(got.attention, want["attention"])


@pytest.mark.parametrize(("name", "argv"), [
    ("seq2seq", ["predict", "{run}", "2/10/93", "--no-text-heatmap"]),
    ("seq2seq", ["eval", "{run}"]),
    ("classify", ["predict", "{run}", "a great and lovely film", "--no-color"]),
    ("img2seq", ["predict", "{run}", str(FOLDER / "img0.png")]),
    ("img2seq", ["info", "{run}"]),
])
def test_cli_dispatches_on_the_recorded_task_name(name, argv, capsys):
    run = str(FOLDER / f"{name}.safetensors")
    assert main([part.format(run=run) for part in argv]) == 0
    assert capsys.readouterr().out.strip()
