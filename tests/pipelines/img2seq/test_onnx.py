"""`attnkit export --format onnx` of an image-to-SMILES run: the encoder and step graphs compute
what the torch model computes, greedy reading over them gives the torch model's readings, and
`predict` and `eval` read an export as they read the run. The run is a tiny LSTM-decoder model
trained for a few steps on molecules rendered here (no MOSES data needed)."""

import json

import numpy as np
import pytest
import torch
import yaml
from PIL import Image
from torch.testing import assert_close

from attnkit.cli import main
from attnkit.data.molecule_render import RenderConfig, render_smiles
from attnkit.pipelines.img2seq.data import image_lengths
from attnkit.pipelines.img2seq.predictor import ImageReader
from tests.canvases import canvases

from ..step_parity import TOLERANCE, assert_steps_equal

MOLECULES = ["CCO", "c1ccccc1", "CC(=O)O", "CCN", "OCC(O)CO", "CCCl"]



@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("molecules")
    rows = []
    for number, smiles in enumerate(MOLECULES):
        Image.fromarray(render_smiles(smiles, RenderConfig(image_size=200)).image).save(
            folder / f"m{number}.png")
        rows.append(f"m{number}.png,{smiles}\n")
    (folder / "train.csv").write_text("file,target\n" + "".join(rows))
    return folder


@pytest.fixture(scope="module")
def run(files, tmp_path_factory, one_thread):
    folder = tmp_path_factory.mktemp("run")
    recipe = {
        "data": {"source": "files", "eval_batch_size": 8, "cache_dir": str(folder / "cache"),
                 "render_workers": 1},
        "render": {"image_size": 64},
        "model": {"image_size": 64, "encoder_channels": [8, 16, 16, 16], "projection_size": 16,
                  "embedding_size": 8, "hidden_size": 16, "attention_units": 8,
                  "output_size": 16, "rnn": "lstm"},
        "train": {"epochs": 2, "batch_size": 6, "lr": 0.02, "device": "cpu"},
    }
    (folder / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    assert main(["train", "img2seq", "--csv", str(files / "train.csv"), "--images", str(files),
                 "--config", str(folder / "recipe.yaml"), "--run-dir",
                 str(folder / "run")]) == 0
    return folder / "run"


@pytest.fixture(scope="module")
def exported(run, tmp_path_factory, one_thread):
    path = tmp_path_factory.mktemp("onnx") / "reader.onnx"
    assert main(["export", str(run), "--format", "onnx", "--output", str(path)]) == 0
    assert path.with_name("reader.step.onnx").is_file()
    return path


def images(reader, files, count=100):
    """The rendered molecules, then noisy copies of them, as the model reads them."""
    drawn = canvases(reader, sorted(files.glob("*.png")))
    generator = np.random.default_rng(0)
    noise = generator.integers(-60, 60, (count - len(drawn), *drawn.shape[1:]))
    noisy = np.clip(drawn[np.arange(len(noise)) % len(drawn)] + noise, 0, 255).astype(np.uint8)
    return np.concatenate([drawn, noisy])


def test_encoder_and_decoder_steps_equal_torch_on_100_images(run, exported, files, one_thread):
    reference, onnx = ImageReader.from_checkpoint(run), ImageReader.from_checkpoint(exported)
    source = torch.from_numpy(images(reference, files))
    lengths = image_lengths(reference.model, source)
    assert_steps_equal(reference.model, onnx.model, source, lengths, ("features", "keys"),
                       reference.vocab.start_id)


def test_greedy_readings_over_the_graphs_equal_torch(run, exported, files, one_thread):
    reference, onnx = ImageReader.from_checkpoint(run), ImageReader.from_checkpoint(exported)
    given = images(reference, files)
    expected = reference.predict_encoded(given, beam_width=1)
    found = onnx.predict_encoded(given, beam_width=1)
    assert [r.text for r in found] == [r.text for r in expected]
    for mine, theirs in zip(found, expected, strict=True):
        assert mine.confidence == pytest.approx(theirs.confidence, abs=1e-4)
        assert_close(torch.from_numpy(mine.attention), torch.from_numpy(theirs.attention),
                     **TOLERANCE)


def test_predict_and_eval_read_an_export_as_the_run(run, exported, files, capsys,
                                                      one_thread):
    predictions, scores = [], []
    for source in (run, exported):
        assert main(["predict", str(source), str(files), "--json", "--beam", "1"]) == 0
        predictions.append(json.loads(capsys.readouterr().out))
        assert main(["eval", str(source), "--csv", str(files / "train.csv"), "--images",
                     str(files), "--beam", "1"]) == 0
        found = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        scores.append({key: value for key, value in found.items() if "second" not in key})
    assert predictions[0] == predictions[1] and len(predictions[0]) == len(MOLECULES)
    assert scores[0] == scores[1]
