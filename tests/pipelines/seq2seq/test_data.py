"""The seq2seq vocabulary is the training pairs' characters: held-out pairs do not shape the
model, and their unseen characters are scored as <unk> instead of stopping training."""

import pytest

from attnkit.data.dates import generate_date_splits
from attnkit.data.seq_files import PairSplits
from attnkit.errors import AttnkitError
from attnkit.pipelines.seq2seq.data import build_vocabulary
from attnkit.pipelines.seq2seq.recipe import DataConfig
from attnkit.run.checkpoint import read_header


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


def test_a_character_only_in_held_out_dates_is_not_in_the_runs_vocabulary(date_run):
    splits = generate_date_splits(300, 40, 40, seed=0)  # the run's data (TINY, seed 0)
    training = set("".join(splits.train_sources + splits.train_targets))
    held_out = set("".join(splits.val_sources + splits.val_targets + splits.test_sources
                           + splits.test_targets))
    assert held_out - training  # ("G" at these sizes): the check below can fail
    assert set(read_header(date_run / "best.safetensors")["meta"]["vocab"][4:]) == training
