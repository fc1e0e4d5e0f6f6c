"""The seq2seq data: the vocabulary is the training pairs' characters (held-out pairs do not shape
the model, and their unseen characters are scored as <unk> instead of stopping training); token
batches, numbered validation batches, reversed sources for the book's models only, label
smoothing in the training loss only, and Transformers too short for the data refused."""

from dataclasses import replace

import pytest
import torch
from torch.nn import functional

from attnkit.cli import main
from attnkit.data.dates import generate_date_splits
from attnkit.data.seq_files import PairSplits
from attnkit.data.token_batches import TokenBatchSampler
from attnkit.errors import AttnkitError
from attnkit.models.seq2seq_kinds import build_seq2seq_model
from attnkit.pipelines.seq2seq.data import (
    build_splits,
    build_vocabulary,
    loaders,
    output_grammar,
)
from attnkit.pipelines.seq2seq.recipe import DataConfig, Seq2seqRecipe
from attnkit.pipelines.seq2seq.training import check_positions, seq2seq_training
from attnkit.recipe import load_recipe
from attnkit.run.checkpoint import read_header

from .runs import TINY_MODEL


def test_the_vocabulary_holds_the_training_characters_only():
    splits = PairSplits(["ab"], ["c"], ["aX"], ["cY"], ["aZ"], ["c!"])
    vocabulary = build_vocabulary(DataConfig(), splits)
    assert vocabulary.shared  # characters: one vocabulary for both sides
    vocab = vocabulary.source
    assert vocab.to_list()[4:] == ["a", "b", "c"]
    assert vocab.held_out().encode("cZa") == [6, 1, 4]  # <unk> is 1
    assert vocab.held_out().to_list() == vocab.to_list()
    with pytest.raises(AttnkitError, match="never seen in training: 'Z'"):
        vocab.encode("aZ")


def test_a_character_only_in_held_out_dates_is_not_in_the_runs_vocabulary(tmp_path, capsys):
    # seed 7 at these sizes puts a "w" (from a word the model must refuse) in held-out pairs only
    sizes = ["data.train_size=300", "data.val_size=40", "data.test_size=40", "data.seed=7"]
    splits = generate_date_splits(300, 40, 40, seed=7, refusals=0.04)
    training = set("".join(splits.train_sources + splits.train_targets))
    held_out = set("".join(splits.val_sources + splits.val_targets + splits.test_sources
                           + splits.test_targets))
    assert held_out - training  # so the check below can fail
    recipe = load_recipe(Seq2seqRecipe, "dates", sizes)
    assert set(build_vocabulary(recipe.data, build_splits(recipe.data)).source.to_list()[4:]) \
        == training
    overrides = [item for size in sizes for item in ("--set", size)]
    assert main(["train", "dates", "--run-dir", str(tmp_path / "run"), *overrides,
                 *TINY_MODEL]) == 0
    assert set(read_header(tmp_path / "run" / "best.safetensors")["meta"]["vocab"][4:]) == \
        training


def tiny_recipe(*overrides: str) -> Seq2seqRecipe:
    return load_recipe(Seq2seqRecipe, "dates", ["data.train_size=200", "data.val_size=30",
                                                "data.eval_batch_size=8", *overrides])


def test_token_batches_keep_to_their_budget_and_validation_batches_are_numbered():
    recipe = tiny_recipe("train.max_tokens=300")
    splits = build_splits(recipe.data)
    vocabulary = build_vocabulary(recipe.data, splits)
    train, validation = loaders(recipe, splits, vocabulary)
    assert isinstance(train.batch_sampler, TokenBatchSampler)
    for batch in train:
        rows, S = batch["source"].shape
        assert rows * (S + batch["target_in"].shape[1]) <= 300
    seen = []
    for batch in validation:
        for row, index in zip(batch["target_out"].tolist(), batch["index"].tolist(),
                              strict=True):
            assert vocabulary.target.decode(row) == splits.val_targets[index]
            seen.append(index)
    assert sorted(seen) == list(range(30))


@pytest.mark.parametrize("kind, reversed_", [("attention", True), ("transformer", False),
                                             ("residual_lstm", False)])
def test_only_the_books_models_read_reversed_sources(kind, reversed_):
    recipe = tiny_recipe(f"model.kind={kind}", "model.reverse_source=true")
    splits = build_splits(recipe.data)
    vocabulary = build_vocabulary(recipe.data, splits)
    batch = next(iter(loaders(recipe, splits, vocabulary)[1]))
    index, length = batch["index"][0], int(batch["source_lengths"][0])
    ids = vocabulary.source.encode(splits.val_sources[index])
    assert batch["source"][0, :length].tolist() == (ids[::-1] if reversed_ else ids)


def test_label_smoothing_is_in_the_training_loss_only():
    recipe = tiny_recipe("model.kind=transformer", "model.transformer.model_size=16",
                         "model.transformer.ff_size=16", "model.transformer.heads=2")
    splits = build_splits(recipe.data)
    vocabulary = build_vocabulary(recipe.data, splits)
    batch = next(iter(loaders(recipe, splits, vocabulary)[0]))
    torch.manual_seed(0)
    model = build_seq2seq_model(recipe.model, len(vocabulary.source), len(vocabulary.target),
                                True)
    task = seq2seq_training(vocabulary, recipe.decode, 20, label_smoothing=0.2)
    logits = model(batch["source"], batch["source_lengths"], batch["target_in"])
    real = batch["target_out"].flatten() != 0
    expected = functional.cross_entropy(logits.flatten(0, 1)[real],
                                        batch["target_out"].flatten()[real],
                                        label_smoothing=0.2)
    torch.testing.assert_close(task.loss(model, batch)[0], expected)
    with torch.no_grad():  # as the trainer evaluates
        counts = task.held_out_counts(model, batch)
    plain = functional.cross_entropy(logits.flatten(0, 1)[real],
                                     batch["target_out"].flatten()[real], reduction="sum").detach()
    assert counts["loss"] == pytest.approx(plain.item(), rel=1e-5)


def test_a_transformer_too_short_for_the_data_is_refused_before_training():
    recipe = tiny_recipe("model.kind=transformer", "model.transformer.max_positions=16")
    meta = {"max_source_length": 12, "max_target_length": 10, "recipe": {}}
    with pytest.raises(AttnkitError, match="max_positions is 16.*searched up to 20 tokens"):
        check_positions(recipe, meta)
    check_positions(recipe, {**meta, "max_target_length": 5})  # 5 + 10 + the end token fit


@pytest.mark.parametrize(("refusals", "source", "refuses"), [
    (0.04, "dates", True), (0.0, "dates", False), (0.04, "file", False)])
def test_the_date_grammar_allows_the_empty_output_only_to_a_model_taught_to_refuse(
        refusals, source, refuses):
    recipe = tiny_recipe(f"data.refusals={refusals}", "decode.grammar=iso_date")
    vocabulary = build_vocabulary(recipe.data, build_splits(recipe.data))
    recipe = replace(recipe, data=replace(recipe.data, source=source, file="pairs.tsv"))
    allowed = output_grammar(recipe, vocabulary)
    end = vocabulary.end_id
    assert (end in allowed(())) == refuses
    ids = vocabulary.target.index
    assert {ids["1"], ids["2"]} <= set(allowed(()))
    whole = tuple(vocabulary.target.index[c] for c in "2021-05-03")
    assert end in allowed(whole) and end not in allowed(whole[:4])
