"""Training sized for a small file of your own (`pipelines.small_data`, issue #27): the
recipe's 256-row batches and 3 epochs gave 300 rows 6 optimiser steps, and nothing learnt."""

import csv
import random

import yaml

from attnkit.cli import main
from attnkit.engine.train_config import TrainConfig
from attnkit.pipelines.small_data import near_chance, sized_for


def test_batches_epochs_and_patience_follow_the_rows():
    recipe = TrainConfig(epochs=3, batch_size=256)
    sized, said = sized_for(recipe, 270, 400, [])
    # 270 // 16 = 16 rows a batch, 17 steps an epoch, 24 epochs for 400 steps
    assert (sized.batch_size, sized.epochs, sized.early_stopping_patience) == (16, 24, 6)
    assert said.startswith("270 training rows: train.batch_size=16, train.epochs=24")
    big, said = sized_for(recipe, 100_000, 400, [])
    assert big == recipe and said == ""  # a large file keeps the recipe
    asked = TrainConfig(epochs=5, batch_size=64)  # --set train.batch_size=64 ...
    kept, said = sized_for(asked, 270, 400, ["train.batch_size=64", "train.epochs = 5"])
    assert kept == asked and said == ""  # what the user set stays
    assert sized_for(recipe, 10, 10_000, [])[0].epochs == 60  # at most 60 epochs


def test_a_score_near_chance_is_a_warning():
    assert near_chance(0.38, 0.36, "validation accuracy", "the most common class") \
        .startswith("warning: validation accuracy 0.380 is near chance (0.360: the most")
    assert near_chance(0.9, 0.36, "validation accuracy", "x") == ""


def test_a_small_file_trains_with_sized_settings_and_random_labels_are_flagged(tmp_path,
                                                                               capsys):
    """Labels drawn at random cannot be learnt: the run must say so, and record the settings
    it used."""
    rng = random.Random(0)
    words = ["red", "green", "blue", "small", "large", "fast", "slow", "old", "new", "round"]
    rows = [(" ".join(rng.choices(words, k=6)), rng.choice("abc")) for _ in range(300)]
    data = tmp_path / "texts.csv"
    with data.open("w", newline="") as stream:
        csv.writer(stream).writerows([("text", "label"), *rows])
    tiny = ["--set", "model.embedding_size=8", "--set", "model.hidden_size=8", "--set",
            "model.attention_units=8", "--set", "model.dense_size=4", "--threads", "1"]
    assert main(["train", "classify", "--data", str(data), "--run-dir", str(tmp_path / "run"),
                 *tiny]) == 0
    printed = capsys.readouterr().out
    assert "270 training rows: train.batch_size=16, train.epochs=24" in printed
    assert "warning: validation accuracy " in printed and "near chance" in printed
    recorded = yaml.safe_load((tmp_path / "run" / "recipe.yaml").read_text())
    assert (recorded["train"]["batch_size"], recorded["train"]["epochs"]) == (16, 24)
    assert recorded["model"]["num_classes"] == 3
