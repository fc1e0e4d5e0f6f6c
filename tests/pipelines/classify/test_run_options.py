"""The `train` options of the classify pipeline, each against what it promises: `--resume` ends
where an uninterrupted run ends, `--overwrite` is needed to train over a run and replaces it,
`--seed` decides the weights, and `--config FILE` is the recipe."""

import torch

from attnkit.cli import main
from attnkit.run.checkpoint import load_checkpoint

from .topic_runs import topic_arguments, train_topics, write_topics


def weights(run_dir):
    return load_checkpoint(run_dir / "last.safetensors").model_state


def same_weights(first, second):
    return first.keys() == second.keys() and all(torch.equal(first[name], second[name])
                                                  for name in first)


def test_a_resumed_run_ends_with_the_uninterrupted_weights(tmp_path, capsys):
    full = train_topics(tmp_path / "full")
    cut = train_topics(tmp_path / "cut", "--minutes", "1e-9")
    assert "stopped early" in capsys.readouterr().out
    stopped = load_checkpoint(cut / "last.safetensors").header
    assert (stopped["epoch"], stopped["trainer"]["step"]) == (0, 1)
    assert main(["train", "classify", "--resume", str(cut),
                 *topic_arguments(tmp_path / "cut-topics.tsv"), "--minutes", "0"]) == 0
    resumed = load_checkpoint(cut / "last.safetensors").header
    uninterrupted = load_checkpoint(full / "last.safetensors").header
    assert resumed["epoch"] == uninterrupted["epoch"] == 2
    assert resumed["trainer"]["step"] == uninterrupted["trainer"]["step"]
    assert same_weights(weights(cut), weights(full))


def test_overwrite_is_needed_to_train_over_a_run_and_seed_decides_the_weights(tmp_path,
                                                                              capsys):
    old_run = train_topics(tmp_path / "old", "--seed", "1")
    other = train_topics(tmp_path / "other", "--seed", "2")
    old_weights = weights(old_run)
    written = {path.name: path.read_bytes() for path in old_run.iterdir() if path.is_file()}
    assert main(["train", "classify", *topic_arguments(tmp_path / "old-topics.tsv"),
                 "--run-dir", str(old_run), "--seed", "2"]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {old_run} already holds checkpoints")
    assert "--overwrite" in error and error.count("\n") == 1 and "Traceback" not in error
    assert {path.name: path.read_bytes() for path in old_run.iterdir()
            if path.is_file()} == written
    train_topics(old_run, "--seed", "2", "--overwrite")
    assert same_weights(weights(old_run), weights(other))  # same seed, same weights
    assert not same_weights(old_weights, weights(other))  # another seed, other weights
    assert len((old_run / "metrics.jsonl").read_text().splitlines()) == 2


def test_a_users_yaml_file_is_the_recipe(tmp_path):
    recipe = tmp_path / "mine.yaml"
    recipe.write_text("data:\n  vocab_size: 20\n  max_length: 6\n"
                      "model:\n  embedding_size: 12\n  hidden_size: 8\n  num_layers: 1\n"
                      "train:\n  epochs: 1\n  batch_size: 27\n")
    data = write_topics(tmp_path / "topics.tsv", 120, seed=0)
    run_dir = tmp_path / "run"
    assert main(["train", "classify", *topic_arguments(data), "--config", str(recipe),
                 "--run-dir", str(run_dir), "--set", "model.hidden_size=6"]) == 0
    checkpoint = load_checkpoint(run_dir / "last.safetensors")
    meta = checkpoint.header["meta"]
    assert meta["recipe"]["train"]["batch_size"] == 27 and meta["max_length"] == 6
    state = checkpoint.model_state
    assert state["embedding.weight"].shape == (20, 12)  # vocab_size 20, embedding_size 12
    assert state["encoders.0.rnn.weight_hh_l0"].shape == (4 * 6, 6)  # --set over the file
    assert not any(name.startswith("encoders.1.") for name in state)  # num_layers 1
    assert checkpoint.header["trainer"]["step"] == 108 // 27  # 120 rows, a tenth held out
