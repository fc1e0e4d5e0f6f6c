"""`attnkit train dates --model transformer --engine numpy`: the NumPy Transformer trains on
generated dates, follows the torch engine step for step from the same initial weights, and its
checkpoint loads in torch and translates as the NumPy model itself decodes."""

import numpy as np
import pytest

from attnkit.cli import main
from attnkit.engine.run_log import read_metrics
from attnkit.numpy_ref import TransformerSeq2Seq
from attnkit.pipelines.seq2seq.numpy_engine import load_numpy_model
from attnkit.pipelines.seq2seq.predictor import Translator
from attnkit.pipelines.seq2seq.recipe import Seq2seqRecipe
from attnkit.pipelines.seq2seq.training import search_length
from attnkit.recipe import recipe_from_dict
from attnkit.run.checkpoint import load_checkpoint

TINY = ["--model", "transformer", "--set", "data.train_size=256", "--set", "data.val_size=32",
        "--set", "data.test_size=32", "--set", "train.batch_size=64", "--set", "train.epochs=2",
        "--set", "train.lr=0.003", "--set", "model.transformer.model_size=32",
        "--set", "model.transformer.ff_size=64", "--set", "model.transformer.encoder_layers=1",
        "--set", "model.transformer.decoder_layers=2",
        # decoded unconstrained, as the NumPy engine's own `generate` decodes
        "--set", "decode.grammar=none"]
TEXTS = ["September 27, 1994", "2/10/93", "Tue, 27 Sep 1994", "1 feb 2003"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, one_thread):
    folder = tmp_path_factory.mktemp("numpy-transformer")
    for engine in ("numpy", "torch"):
        assert main(["train", "dates", "--engine", engine, "--run-dir", str(folder / engine),
                     *TINY]) == 0
    return folder / "numpy", folder / "torch"


def test_the_numpy_transformer_follows_the_torch_engine(runs):
    numpy_run, torch_run = runs
    numpy_history = read_metrics(numpy_run / "metrics.jsonl")
    assert numpy_history[1]["train_loss"] < numpy_history[0]["train_loss"]
    assert load_checkpoint(numpy_run).header["trainer"]["engine"] == "numpy"
    for numpy_record, torch_record in zip(numpy_history, read_metrics(torch_run /
                                                                      "metrics.jsonl"),
                                          strict=True):
        for key in ("train_loss", "val_loss"):
            assert numpy_record[key] == pytest.approx(torch_record[key], rel=1e-4), key


def test_its_checkpoint_translates_in_torch_as_the_numpy_model_decodes(runs):
    numpy_run, _ = runs
    checkpoint = load_checkpoint(numpy_run / "last.safetensors")
    twin = load_numpy_model(checkpoint,
                            recipe_from_dict(Seq2seqRecipe, checkpoint.meta["recipe"]).model)
    assert isinstance(twin, TransformerSeq2Seq)
    translator = Translator.from_checkpoint(numpy_run / "last.safetensors")
    vocab = translator.vocab
    rows = [vocab.encode(text) for text in TEXTS]  # in order: a Transformer reads it so
    source = np.array([row + [0] * (max(map(len, rows)) - len(row)) for row in rows])
    ids = twin.generate(source, np.array([len(row) for row in rows]), vocab.start_id,
                        search_length(checkpoint.meta), vocab.end_id)
    found = translator.predict(TEXTS, 1)
    assert [t.output for t in found] == [vocab.decode(row) for row in ids]
    assert all(t.attention.shape == (len(t.output_tokens), len(text))
               for t, text in zip(found, TEXTS, strict=True))


def test_the_numpy_engine_refuses_what_it_lacks(tmp_path, capsys):
    assert main(["train", "dates", "--engine", "numpy", "--run-dir", str(tmp_path / "run"),
                 *TINY, "--set", "model.transformer.dropout=0.1"]) == 1
    assert "model.transformer.dropout=0.1 (no dropout)" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
