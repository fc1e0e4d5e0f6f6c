"""The `train` options of the seq2seq pipeline, each against what it promises: `--val` is the
validation set, `--format` is the format read, `--resume` ends where an uninterrupted run ends,
`--overwrite` is needed to train over a run and replaces it, `--seed` decides the weights, and
`--config FILE` is the recipe."""

import json

import pytest
import torch
from torch.nn import functional

from attnkit.cli import main
from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.pair_vocabulary import PairVocabulary
from attnkit.pipelines.seq2seq import tasks as seq2seq_tasks
from attnkit.pipelines.seq2seq.predictor import Translator
from attnkit.run.checkpoint import load_checkpoint, read_header

from .runs import TINY_MODEL, addition_pairs, train_additions, write_tsv


def weights(run_dir):
    return load_checkpoint(run_dir / "last.safetensors").model_state


def same_weights(first, second):
    return first.keys() == second.keys() and all(torch.equal(first[name], second[name])
                                                  for name in first)


def teacher_forced_loss(run_dir, pairs):
    """Cross-entropy per target token (the end token included) of the run's last checkpoint,
    one pair at a time; characters never seen in training read as <unk>."""
    translator = Translator.from_checkpoint(run_dir / "last.safetensors")
    vocab, model = translator.vocab, translator.model
    total = tokens = 0.0
    for source, target in pairs:
        source_ids = [vocab.index.get(character, 1) for character in reversed(source)]
        target_ids = [vocab.index.get(character, 1) for character in target]
        with torch.no_grad():
            logits = model(torch.tensor([source_ids]), torch.tensor([len(source_ids)]),
                           torch.tensor([[vocab.start_id, *target_ids]]))
        total += float(functional.cross_entropy(
            logits[0], torch.tensor([*target_ids, vocab.end_id]), reduction="sum"))
        tokens += len(target_ids) + 1
    return total / tokens


def test_val_file_is_the_validation_set_and_format_the_format_read(tmp_path, capsys):
    train = write_tsv(tmp_path / "train.tsv", addition_pairs())
    held_out = [("12+3", "15"), ("3*4", "12"), ("13+13", "26")]  # "*" only here
    val = write_tsv(tmp_path / "val.tsv", held_out)
    run_dir = tmp_path / "run"
    arguments = ["train", "seq2seq", "--data", str(train), "--val", str(val),
                 "--run-dir", str(run_dir), *TINY_MODEL]
    assert main([*arguments, "--format", "fixed"]) == 1
    assert "train.tsv, line 1: expected 'source _target'" in capsys.readouterr().err
    assert not run_dir.exists()
    assert main([*arguments, "--format", "tsv"]) == 0
    meta = read_header(run_dir / "last.safetensors")["meta"]
    assert meta["recipe"]["data"]["val_file"] == str(val)
    assert meta["recipe"]["data"]["file_format"] == "tsv"
    assert "*" not in meta["vocab"]  # validation characters do not shape the model
    [record] = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert record["val_loss"] == pytest.approx(teacher_forced_loss(run_dir, held_out), rel=1e-5)


def test_resumed_seq2seq_run_ends_with_the_uninterrupted_weights(tmp_path, capsys):
    two_epochs = ["--set", "train.epochs=2", "--set", "train.batch_size=32"]
    full = train_additions(tmp_path / "full", *two_epochs)
    cut = train_additions(tmp_path / "cut", "--minutes", "1e-9", *two_epochs)
    assert "stopped early" in capsys.readouterr().out
    stopped = load_checkpoint(cut / "last.safetensors").header
    assert (stopped["epoch"], stopped["trainer"]["step"]) == (0, 1)
    assert main(["train", "seq2seq", "--resume", str(cut), "--data",
                 str(tmp_path / "cut-additions.txt"), "--minutes", "0"]) == 0
    resumed = load_checkpoint(cut / "last.safetensors").header
    uninterrupted = load_checkpoint(full / "last.safetensors").header
    assert resumed["epoch"] == uninterrupted["epoch"] == 2
    assert resumed["trainer"]["step"] == uninterrupted["trainer"]["step"]
    assert same_weights(weights(cut), weights(full))


def test_overwrite_is_needed_to_train_over_a_run_and_seed_decides_the_weights(tmp_path,
                                                                              capsys):
    old_run = train_additions(tmp_path / "old", "--seed", "1")
    other = train_additions(tmp_path / "other", "--seed", "2")
    old_weights = weights(old_run)
    written = {path.name: path.read_bytes() for path in old_run.iterdir() if path.is_file()}
    again = ["train", "seq2seq", "--data", str(tmp_path / "old-additions.txt"), "--run-dir",
             str(old_run), *TINY_MODEL, "--seed", "2"]
    assert main(again) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {old_run} already holds checkpoints")
    assert "--overwrite" in error and error.count("\n") == 1 and "Traceback" not in error
    assert {path.name: path.read_bytes() for path in old_run.iterdir()
            if path.is_file()} == written
    assert main([*again, "--overwrite"]) == 0
    assert same_weights(weights(old_run), weights(other))  # same seed, same weights
    assert not same_weights(old_weights, weights(other))  # another seed, other weights
    assert len((old_run / "metrics.jsonl").read_text().splitlines()) == 1


def test_a_users_yaml_file_is_the_recipe(tmp_path):
    recipe = tmp_path / "mine.yaml"
    recipe.write_text("data:\n  train_size: 200\n  val_size: 20\n  test_size: 0\n"
                      "model:\n  hidden_size: 24\n  embedding_size: 6\n"
                      "train:\n  epochs: 1\n  batch_size: 50\n")
    run_dir = tmp_path / "run"
    assert main(["train", "dates", "--config", str(recipe), "--run-dir", str(run_dir),
                 "--set", "model.hidden_size=20"]) == 0
    checkpoint = load_checkpoint(run_dir / "last.safetensors")
    stored = checkpoint.header["meta"]["recipe"]
    assert stored["data"]["train_size"] == 200 and stored["train"]["batch_size"] == 50
    assert stored["decode"]["grammar"] == "none"  # a default, not the built-in dates recipe's
    state = checkpoint.model_state
    assert state["encoder.embedding.weight"].shape[1] == 6
    assert state["encoder.rnn.rnn.weight_hh_l0"].shape == (4 * 20, 20)  # --set over the file
    assert checkpoint.header["trainer"]["step"] == 200 // 50


def test_a_run_whose_vocabulary_held_held_out_characters_resumes(tmp_path, monkeypatch, capsys):
    """Runs trained before the vocabulary was cut to the training pairs stored every split's
    characters: resuming one keeps that vocabulary (its weights are sized for it)."""
    wider = CharVocabulary.build([source + target for source, target in addition_pairs()]
                                 + ["=?"])
    monkeypatch.setattr(seq2seq_tasks, "build_vocabulary",
                        lambda config, splits, resumed: PairVocabulary(wider, wider))
    two_epochs = ["--set", "train.epochs=2", "--set", "train.batch_size=32"]
    cut = train_additions(tmp_path / "cut", "--minutes", "1e-9", *two_epochs)
    monkeypatch.undo()
    assert load_checkpoint(cut / "last.safetensors").meta["vocab"] == wider.to_list()
    assert main(["train", "seq2seq", "--resume", str(cut), "--data",
                 str(tmp_path / "cut-additions.txt"), "--minutes", "0"]) == 0
    resumed = load_checkpoint(cut / "last.safetensors")
    assert resumed.header["epoch"] == 2 and resumed.meta["vocab"] == wider.to_list()
