"""The public Python API: `attnkit.load(...).predict(...)` and `attnkit.train(...)`, checked
against the CLI they stand for (same run files, same outputs)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from math import exp
from pathlib import Path

import numpy as np
import pytest

import attnkit
from attnkit.cli import main
from attnkit.pipelines.classify.predictor import Prediction, TextClassifier
from attnkit.pipelines.img2seq.predictor import ImageReader, Reading
from attnkit.pipelines.seq2seq.predictor import Translation, Translator
from attnkit.run.shipped import shipped_checkpoint

from .threads import one_thread
from .unavailable import CHEM, require_module

# a date model that trains in about a second (one epoch on 300 generated dates)
TINY_DATES = {"data.train_size": 300, "data.val_size": 40, "data.test_size": 40,
              "model.hidden_size": 32, "model.embedding_size": 8, "train.epochs": 1,
              "data.eval_batch_size": 64}
DATES = ["3/12/11", "September 27, 1994", "1 feb 2003"]




@pytest.fixture(autouse=True)
def _one_thread():
    with one_thread():
        yield


@pytest.fixture(scope="module")
def date_run(tmp_path_factory) -> Path:
    """`attnkit.train("dates", ...)` of a tiny model, shared by the module's tests."""
    with one_thread():
        return attnkit.train("dates", overrides=TINY_DATES,
                             run_dir=tmp_path_factory.mktemp("api") / "dates")


def test_import_attnkit_is_cheap_and_exports_the_api():
    done = subprocess.run([sys.executable, "-c", "import sys, attnkit; print(sorted(m for m in "
                           "('torch', 'numpy', 'matplotlib') if m in sys.modules))"],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
    assert set(attnkit.__all__) == {"AttnkitError", "__version__", "load", "train"}


def test_shipped_dates_model_predicts_typed_results():
    translator = attnkit.load("dates")
    assert isinstance(translator, Translator)
    results = translator.predict(DATES)
    assert all(isinstance(result, Translation) for result in results)
    assert [result.output for result in results] == ["2011-03-12", "1994-09-27", "2003-02-01"]
    for text, result in zip(DATES, results, strict=True):
        assert result.source == text and -5.0 < result.score <= 0.0  # a log-probability
        assert result.attention.shape == (len(result.output_tokens), len(text))
        np.testing.assert_allclose(result.attention.sum(axis=1), 1.0, atol=1e-3)


def test_a_shipped_name_and_its_file_predict_alike():
    by_name = attnkit.load("dates").predict(DATES)
    by_file = attnkit.load(shipped_checkpoint("dates")).predict(DATES)
    assert_same_translations(by_name, by_file)


def test_a_bad_name_or_input_is_a_clear_error(tmp_path):
    with pytest.raises(attnkit.AttnkitError,
                       match=r"checkpoint not found: no-such-model \(shipped models: .*dates"):
        attnkit.load("no-such-model")
    with pytest.raises(attnkit.AttnkitError, match=r"a list of texts: predict\(\[text\]\)"):
        attnkit.load("dates").predict("3/12/11")
    with pytest.raises(attnkit.AttnkitError, match="empty input"):
        attnkit.load("dates").predict(["  "])
    with pytest.raises(attnkit.AttnkitError, match="unknown task 'translation'; choose from"):
        attnkit.train("translation")
    with pytest.raises(attnkit.AttnkitError, match="attnkit train dates has no option 'colour'"):
        attnkit.train("dates", run_dir=tmp_path / "run", colour="red")
    with pytest.raises(attnkit.AttnkitError, match="model.colour"):
        attnkit.train("dates", overrides=["model.colour=red"], run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_train_writes_what_the_cli_writes(date_run, tmp_path):
    assert main(["train", "dates", "--run-dir", str(tmp_path / "cli"),
                 *[part for key, value in TINY_DATES.items()
                   for part in ("--set", f"{key}={value}")]]) == 0
    names = sorted(path.name for path in date_run.iterdir())
    assert names == sorted(path.name for path in (tmp_path / "cli").iterdir())
    assert {"recipe.yaml", "metrics.jsonl", "best.safetensors", "last.safetensors"} <= set(names)
    assert (date_run / "recipe.yaml").read_text() == (tmp_path / "cli" / "recipe.yaml").read_text()
    losses = [[json.loads(line)["train_loss"] for line in (folder / "metrics.jsonl").open()]
              for folder in (date_run, tmp_path / "cli")]
    assert losses[0] == losses[1]  # the same seeded training


def test_a_trained_run_predicts_as_the_cli_translates(date_run, capsys):
    results = attnkit.load(date_run).predict(DATES)
    capsys.readouterr()
    assert main(["translate", str(date_run), *DATES, "--no-text-heatmap"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"{result.source} -> {result.output}\tprobability {exp(result.score):.4f}"
                       for result in results]


def test_a_run_folder_and_its_export_predict_alike(date_run, tmp_path):
    exported = tmp_path / "dates.safetensors"
    assert main(["export", str(date_run), "--output", str(exported)]) == 0
    assert_same_translations(attnkit.load(date_run).predict(DATES),
                             attnkit.load(exported).predict(DATES))


def test_train_takes_the_task_options_as_keywords(tmp_path, capsys):
    """`data=`, `text_col=`, `label_col=` are `--data`, `--text-col`, `--label-col`."""
    data = tmp_path / "reviews.csv"
    rows = [("a delight, wonderful and moving", "pos"), ("dull, slow, a waste of time", "neg")]
    with data.open("w", newline="") as stream:
        csv.writer(stream).writerows([("review", "sentiment"), *rows * 30])
    run_dir = attnkit.train("classify", data=data, text_col="review", label_col="sentiment",
                            overrides={"model.embedding_size": 8, "model.hidden_size": 8,
                                       "model.attention_units": 8, "model.dense_size": 4,
                                       "train.epochs": 1},
                            run_dir=tmp_path / "run")
    classifier = attnkit.load(run_dir)
    assert isinstance(classifier, TextClassifier)
    [prediction] = classifier.predict(["wonderful and moving"])
    assert isinstance(prediction, Prediction) and prediction.label in ("neg", "pos")
    assert len(prediction.weights) == 3 and sum(prediction.weights) == pytest.approx(1.0)
    capsys.readouterr()
    assert main(["predict", str(run_dir), "wonderful and moving", "--no-color"]) == 0
    printed = capsys.readouterr().out
    assert f"label        {prediction.label}\n" in printed
    assert f"probability  {prediction.probability:.4f}\n" in printed


def test_the_image_reader_takes_files_pil_images_and_arrays(tmp_path, capsys):
    require_module("rdkit", CHEM)
    from PIL import Image
    from rdkit import Chem
    from rdkit.Chem import Draw

    path = tmp_path / "paracetamol.png"
    Draw.MolToFile(Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1"), str(path), size=(300, 300))
    reader = attnkit.load("molecules")
    assert isinstance(reader, ImageReader)
    picture = Image.open(path)
    readings = reader.predict([path, str(path), picture, np.asarray(picture),
                               np.asarray(picture.convert("L"))])
    assert all(isinstance(reading, Reading) for reading in readings)
    first = readings[0]
    assert first.attention.shape[0] == len(first.tokens) and 0.0 < first.confidence <= 1.0
    for reading in readings[1:]:
        assert (reading.text, reading.atoms) == (first.text, first.atoms)
        np.testing.assert_array_equal(reading.attention, first.attention)
    capsys.readouterr()
    assert main(["predict", "molecules", str(path), "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["output"] == first.text
    assert record["atoms"] == [{"token": a.token, "x": a.x, "y": a.y} for a in first.atoms]
    [alone] = reader.predict([path])  # batches of one image, as the command read it
    assert record == alone.to_record()  # the same record from the CLI and from Python


def test_the_image_reader_refuses_what_it_cannot_read(tmp_path):
    reader = attnkit.load("molecules")
    with pytest.raises(attnkit.AttnkitError, match="a list of images"):
        reader.predict(str(tmp_path / "drawing.png"))
    with pytest.raises(attnkit.AttnkitError, match="image 1: expected a uint8 array"):
        reader.predict([np.zeros((8, 8))])
    with pytest.raises(attnkit.AttnkitError, match="image 1: the image is blank"):
        reader.predict([np.full((8, 8), 255, dtype=np.uint8)])
    with pytest.raises(attnkit.AttnkitError, match="image not found"):
        reader.predict([tmp_path / "missing.png"])


def assert_same_translations(first: list[Translation], second: list[Translation]) -> None:
    assert [t.output for t in first] == [t.output for t in second]
    np.testing.assert_allclose([t.score for t in first], [t.score for t in second], atol=1e-5)
    for one, other in zip(first, second, strict=True):
        np.testing.assert_allclose(one.attention, other.attention, atol=1e-5)
