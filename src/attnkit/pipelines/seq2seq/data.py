"""The seq2seq data a recipe describes: train/validation/test strings (`build_splits`), the
character vocabulary (`build_vocabulary`), the batches both engines train on (`loaders`) and
the outputs the data allows (`output_grammar`, for the search).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from torch.utils.data import DataLoader

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.dates import (
    generate_date_splits,
    is_iso_date,
    next_date_characters,
    prefix_class,
)
from attnkit.data.loaders import bucketed_loader, sorted_loader
from attnkit.data.seq_batches import PairCollator, SequencePairs
from attnkit.data.seq_files import PairSplits, load_pairs
from attnkit.errors import AttnkitError
from attnkit.pipelines.arguments import resume_checkpoint
from attnkit.pipelines.seq2seq.recipe import DataConfig, Seq2seqRecipe
from attnkit.run.checkpoint import read_header
from attnkit.run.meta import is_strings


def build_splits(config: DataConfig) -> PairSplits:
    """Train/validation/test sources and targets as the recipe describes them."""
    if config.source == "dates":
        return generate_date_splits(config.train_size, config.val_size, config.test_size,
                                    config.seed, config.first_year, config.last_year)
    if not config.file:
        raise AttnkitError("data.source is 'file' but no data file was given (--data FILE)")
    sources, targets = load_pairs(config.file, config.file_format)
    if config.val_file:
        val_sources, val_targets = load_pairs(config.val_file, config.file_format)
        return PairSplits(sources, targets, val_sources, val_targets, [], [])
    order = list(range(len(sources)))
    random.Random(config.seed).shuffle(order)
    held_out = max(1, round(config.val_fraction * len(order)))
    if held_out >= len(order):
        raise AttnkitError(f"{config.file} has {len(order)} pairs: too few to hold out "
                           "validation pairs; add pairs or pass --val FILE")
    val, train = order[:held_out], order[held_out:]
    return PairSplits([sources[i] for i in train], [targets[i] for i in train],
                      [sources[i] for i in val], [targets[i] for i in val], [], [])


def build_vocabulary(splits: PairSplits, resumed_run: Path | None = None) -> CharVocabulary:
    """The characters of the training pairs (both sides) only: held-out pairs must not shape
    the model. Their unseen characters encode as `<unk>` (see `loaders`). A resumed run keeps
    the vocabulary it was trained with (runs before attnkit 0.1 counted held-out pairs too)."""
    if resumed_run is not None:
        stored = read_header(resume_checkpoint(resumed_run))["meta"].get("vocab")
        if not is_strings(stored):
            raise AttnkitError(f"{resumed_run} does not record its character vocabulary")
        return CharVocabulary.from_list(stored)
    return CharVocabulary.build(splits.train_sources + splits.train_targets)


def output_grammar(recipe: Seq2seqRecipe,
                   vocab: CharVocabulary) -> Callable[[tuple[int, ...]], list[int]] | None:
    """`allowed(prefix)` -> the token ids that may follow the output tokens `prefix` under
    `recipe.decode.grammar` (the end token where a whole date is written); None for "none".
    Each `prefix_class` is worked out once."""
    if recipe.decode.grammar == "none":
        return None
    missing = sorted(set("0123456789-") - set(vocab.tokens))
    if missing:
        raise AttnkitError(f"decode.grammar iso_date needs the characters {''.join(missing)!r}, "
                           "which the model's vocabulary lacks")
    data = recipe.data
    years = (data.first_year, data.last_year) if data.source == "dates" else (1, 9999)
    index = {token: i for i, token in enumerate(vocab.tokens)}
    known: dict[str, tuple[int, ...]] = {}  # prefix_class -> allowed ids

    def allowed(prefix: tuple[int, ...]) -> tuple[int, ...]:
        text = "".join(vocab.tokens[i] for i in prefix)
        name = prefix_class(text, *years)
        if name not in known:
            following = [index[character] for character in next_date_characters(text, *years)]
            known[name] = tuple(following + [vocab.end_id] if is_iso_date(text, *years)
                                else following)
        return known[name]

    return allowed


def loaders(recipe: Seq2seqRecipe, splits: PairSplits, vocab: CharVocabulary, rank: int = 0,
            world_size: int = 1) -> tuple[DataLoader, DataLoader]:
    """Shuffled training batches of similar source length, each padded to its own longest
    source; validation batches sorted by length in a fixed order. Validation characters never
    seen in training are `<unk>`."""
    collator = PairCollator(vocab.start_id, vocab.end_id, recipe.model.reverse_source)
    train = SequencePairs(vocab, splits.train_sources, splits.train_targets)
    validation = SequencePairs(vocab.held_out(), splits.val_sources, splits.val_targets)
    return (bucketed_loader(train, train.source_lengths, collator, recipe.train.batch_size,
                            recipe.train.seed, rank=rank, world_size=world_size),
            sorted_loader(validation, validation.source_lengths, collator,
                          recipe.data.eval_batch_size))
