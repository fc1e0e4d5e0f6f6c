"""`attnkit train dates --engine numpy` end to end on a tiny generated set: the run folder is the
torch engine's, and the torch pipeline evaluates and decodes the NumPy-trained checkpoint."""

import json
import multiprocessing

import numpy as np
import pytest

from attnkit.cli import main
from attnkit.engine.run_log import read_metrics
from attnkit.pipelines.seq2seq.numpy_engine import load_numpy_model, training_processes
from attnkit.pipelines.seq2seq.predictor import Translator
from attnkit.pipelines.seq2seq.recipe import Seq2seqRecipe
from attnkit.pipelines.seq2seq.training import search_length
from attnkit.recipe import recipe_from_dict
from attnkit.run.checkpoint import load_checkpoint

TINY = ["--set", "data.train_size=256", "--set", "data.val_size=32", "--set",
        "data.test_size=32", "--set", "model.hidden_size=16", "--set",
        "model.embedding_size=8", "--set", "train.batch_size=64", "--set", "train.epochs=2",
        "--set", "train.schedule=cosine", "--set", "train.warmup_steps=2"]


@pytest.fixture(scope="module")
def numpy_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("numpy") / "run"
    # decoded unconstrained, as the NumPy engine's own `generate` decodes
    assert main(["train", "dates", "--engine", "numpy", "--run-dir", str(run), *TINY,
                 "--set", "decode.grammar=none"]) == 0
    return run


def test_run_folder_matches_the_torch_engines(numpy_run):
    for name in ("last.safetensors", "best.safetensors", "metrics.jsonl", "curves.png"):
        assert (numpy_run / name).is_file()
    history = read_metrics(numpy_run / "metrics.jsonl")
    assert [record["epoch"] for record in history] == [1, 2]
    assert {"train_loss", "val_loss", "val_exact_match", "val_char_accuracy"} <= set(history[0])
    assert history[1]["train_loss"] < history[0]["train_loss"]
    header = load_checkpoint(numpy_run).header
    assert header["meta"]["task"] == "seq2seq" and header["trainer"]["engine"] == "numpy"


def test_torch_pipeline_decodes_the_numpy_checkpoint_like_numpy(numpy_run, capsys):
    translator = Translator.from_checkpoint(numpy_run / "last.safetensors")
    checkpoint = load_checkpoint(numpy_run / "last.safetensors")
    twin = load_numpy_model(checkpoint,
                            recipe_from_dict(Seq2seqRecipe, checkpoint.meta["recipe"]).model)
    texts = ["September 27, 1994", "2/10/93", "Tue, 27 Sep 1994"]
    vocab = translator.vocab
    rows = [vocab.encode(text)[::-1] for text in texts]
    source = [row + [0] * (max(map(len, rows)) - len(row)) for row in rows]
    ids = twin.generate(np.array(source), np.array([len(row) for row in rows]), vocab.start_id,
                        search_length(checkpoint.meta), vocab.end_id)
    assert [t.output for t in translator.predict(texts, 1)] == [vocab.decode(r) for r in ids]
    capsys.readouterr()
    assert main(["eval", str(numpy_run)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["pairs"] == 32


def test_numpy_engine_follows_the_torch_engine_step_for_step(numpy_run, tmp_path):
    """Same initial weights, data order, Adam, clipping and lr schedule: the curves agree."""
    torch_run = tmp_path / "torch"
    assert main(["train", "dates", "--engine", "torch", "--run-dir", str(torch_run), *TINY]) == 0
    for numpy_record, torch_record in zip(read_metrics(numpy_run / "metrics.jsonl"),
                                          read_metrics(torch_run / "metrics.jsonl"), strict=True):
        for key in ("train_loss", "val_loss"):
            assert numpy_record[key] == pytest.approx(torch_record[key], rel=1e-4), key


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_two_processes_with_one_blas_thread_train_the_same_model(tmp_path, monkeypatch):
    """Both runs are trained here, OPENBLAS_NUM_THREADS set each way: with it exported by the
    caller, the `numpy_run` fixture would train on 2 processes too, comparing 2 with 2."""
    def train(name):
        run = tmp_path / name
        # decoded unconstrained, as the NumPy engine's own `generate` decodes
        assert main(["train", "dates", "--engine", "numpy", "--run-dir", str(run), *TINY,
                     "--set", "decode.grammar=none"]) == 0
        return run

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)  # threaded BLAS: 1 process
    assert training_processes() == 1
    numpy_run = train("single")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")  # the CLI then trains on 2 processes
    assert training_processes() == 2
    run = train("parallel")
    for parallel, single in zip(read_metrics(run / "metrics.jsonl"),
                                read_metrics(numpy_run / "metrics.jsonl"), strict=True):
        assert parallel["train_loss"] == pytest.approx(single["train_loss"], rel=1e-5)
        assert parallel["val_loss"] == pytest.approx(single["val_loss"], rel=1e-5)
    mine = load_checkpoint(run / "last.safetensors").model_state
    theirs = load_checkpoint(numpy_run / "last.safetensors").model_state
    for name, tensor in mine.items():
        np.testing.assert_allclose(tensor.numpy(), theirs[name].numpy(), rtol=1e-3, atol=1e-5)


def test_unsupported_model_is_one_clear_error(tmp_path, capsys):
    argv = ["train", "dates", "--engine", "numpy", "--run-dir", str(tmp_path / "run"), *TINY,
            "--set", "model.bidirectional=true"]
    assert main(argv) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("error: the NumPy engine does not support model.bidirectional")
