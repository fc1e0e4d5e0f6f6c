"""The data of a molecule-mix recipe: a vocabulary of tokens seen often enough in training
(targets that need another are skipped; validation reads it as <unk>, which no output matches),
and batches where a drawing without atom positions adds no supervision target."""

from __future__ import annotations

import numpy as np
import torch

from attnkit.pipelines.img2seq.data import (
    IGNORED_CELL,
    UNK_ID,
    ImageTextSplits,
    ImageTokenCollator,
    atom_supervision,
    encode_targets,
)
from attnkit.pipelines.img2seq.recipe import DataConfig, Img2SeqRecipe, SupervisionConfig
from attnkit.pipelines.img2seq.search import output_grammar


def recipe(**data) -> Img2SeqRecipe:
    return Img2SeqRecipe(data=DataConfig(**data))


def splits(train: list[str], val: list[str]) -> ImageTextSplits:
    blank = np.full((1, 8, 8), 255, np.uint8)
    return ImageTextSplits(blank.repeat(len(train), 0), train, blank.repeat(len(val), 0), val)


def test_rare_training_tokens_are_left_out_with_the_targets_that_need_them():
    train = ["CCO"] * 5 + ["CCN"] * 5 + ["CC[Se]C"]  # [Se] is seen once
    data = splits(train, ["CCO", "C[Se]"])
    encoded = encode_targets(data, recipe(vocab_min_count=3))
    assert "[Se]" not in encoded.vocab.tokens and {"C", "O", "N"} <= set(encoded.vocab.tokens)
    assert len(encoded.train_keep) == 10 and 10 not in encoded.train_keep
    assert data.skipped["rare_tokens"] == 1
    assert encoded.val_ids[1] == [encoded.vocab.index["C"], UNK_ID]
    everything = encode_targets(splits(train, ["CCO", "C[Se]"]), recipe())
    assert "[Se]" in everything.vocab.tokens  # min count 1: every token, as before


def test_a_drawing_without_atom_positions_adds_no_supervision_target():
    recipe_ = Img2SeqRecipe(supervision=SupervisionConfig(attention_weight=1.0))
    encoded = encode_targets(splits(["CCO", "CCN"], ["CCO"]), recipe_)
    rule = atom_supervision(encoded.vocab, recipe_)
    collate = ImageTokenCollator(encoded.vocab.start_id, encoded.vocab.end_id, rule)
    image = np.full((128, 128), 255, np.uint8)
    placed = np.array([[10, 10], [50, 10], [90, 10]], np.float32)
    unknown = np.full((3, 2), np.nan, np.float32)
    batch = collate([(image, encoded.train_ids[0], placed), (image, encoded.train_ids[1],
                                                              unknown)])
    assert not torch.isnan(batch["atom_positions"][0, :3]).any()
    assert torch.isnan(batch["atom_positions"][1]).all()
    assert (batch["cell_tokens"][1] == IGNORED_CELL).all()
    assert (batch["cell_tokens"][0] != IGNORED_CELL).all() and batch["cell_tokens"][0].max() > 0


def test_the_grammar_is_used_only_when_a_molecule_recipe_asks_for_it():
    encoded = encode_targets(splits(["CCO"], ["CCO"]), Img2SeqRecipe())
    assert output_grammar(encoded.vocab, Img2SeqRecipe()) is None
    asked = Img2SeqRecipe.__dataclass_fields__["decode"].default_factory()
    grammar = output_grammar(encoded.vocab, Img2SeqRecipe(decode=type(asked)(grammar=True)))
    allowed = {encoded.vocab.tokens[i] for i in grammar(())}
    assert allowed == {"C", "O"}  # a SMILES starts with an atom
