"""The seq2seq data a recipe describes: train/validation/test strings (`build_splits`), the
vocabularies, characters or subwords (`build_vocabulary`), the batches both engines train on
(`loaders`) and the outputs the data allows (`output_grammar`, for the search).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from torch.utils.data import DataLoader

from attnkit.data.char_vocab import UNK
from attnkit.data.date_grammar import is_iso_date, next_date_characters, prefix_class
from attnkit.data.dates import generate_date_splits
from attnkit.data.loaders import bucketed_loader, sorted_loader, token_loader
from attnkit.data.multi30k import load_multi30k
from attnkit.data.pair_vocabulary import PairVocabulary
from attnkit.data.seq_batches import PairCollator, SequencePairs
from attnkit.data.seq_files import PairSplits, load_pairs
from attnkit.errors import AttnkitError
from attnkit.pipelines.arguments import resume_checkpoint
from attnkit.pipelines.seq2seq.recipe import DataConfig, Seq2seqRecipe
from attnkit.run.checkpoint import read_header


def build_splits(config: DataConfig, data_dir: str | Path | None = None,
                 whole: bool = False) -> PairSplits:
    """Train/validation/test sources and targets as the recipe describes them; Multi30k's
    from `data_dir` (default: $ATTNKIT_DATA, else the user cache, downloaded if missing), cut
    to `config.limit` pairs unless `whole`."""
    if config.source == "dates":
        return generate_date_splits(config.train_size, config.val_size, config.test_size,
                                    config.seed, config.first_year, config.last_year,
                                    config.refusals)
    if config.source == "multi30k":
        splits = load_multi30k(config.source_language, config.target_language, data_dir,
                               download_if_missing=True)
        if whole or not config.limit:
            return splits
        keep = slice(0, config.limit)
        return PairSplits(splits.train_sources[keep], splits.train_targets[keep],
                          splits.val_sources[keep], splits.val_targets[keep],
                          splits.test_sources, splits.test_targets)
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


def build_vocabulary(config: DataConfig, splits: PairSplits,
                     resumed_run: Path | None = None) -> PairVocabulary:
    """The vocabularies `config.tokenizer` asks for, from the training pairs only: held-out
    pairs must not shape the model (their unseen characters encode as `<unk>`, see
    `loaders`). A resumed run keeps the vocabularies it was trained with (runs before attnkit
    0.1 counted held-out characters too)."""
    if resumed_run is not None:
        meta = read_header(resume_checkpoint(resumed_run))["meta"]
        try:
            return PairVocabulary.from_meta(meta)
        except AttnkitError as error:
            raise AttnkitError(f"{resumed_run}: {error}") from None
    if config.tokenizer == "subwords":
        return PairVocabulary.subwords(splits.train_sources, splits.train_targets,
                                       config.subwords)
    return PairVocabulary.characters(splits.train_sources + splits.train_targets)


def output_grammar(recipe: Seq2seqRecipe,
                   vocabulary: PairVocabulary) -> Callable[[tuple[int, ...]], list[int]] | None:
    """`allowed(prefix)` -> the token ids that may follow the output tokens `prefix` under
    `recipe.decode.grammar` (the end token where a whole date is written); None for "none".
    Each `prefix_class` is worked out once."""
    if recipe.decode.grammar == "none":
        return None
    if vocabulary.kind != "characters":
        raise AttnkitError("decode.grammar iso_date needs data.tokenizer characters")
    vocab = vocabulary.target
    missing = sorted(set("0123456789-") - set(vocab.tokens))
    if missing:
        raise AttnkitError(f"decode.grammar iso_date needs the characters {''.join(missing)!r}, "
                           "which the model's vocabulary lacks")
    data = recipe.data
    years = (data.first_year, data.last_year) if data.source == "dates" else (1, 9999)
    index = {token: i for i, token in enumerate(vocab.tokens)}
    known: dict[str, tuple[int, ...]] = {}  # prefix_class -> allowed ids
    refuses = data.refusals > 0 and data.source == "dates"  # "": the model's refusal

    def allowed(prefix: tuple[int, ...]) -> tuple[int, ...]:
        text = "".join(vocab.tokens[i] for i in prefix)
        name = prefix_class(text, *years)
        if name not in known:
            following = [index[character] for character in next_date_characters(text, *years)]
            whole = is_iso_date(text, *years) or (not text and refuses)  # "": a refusal
            known[name] = tuple(following + [vocab.end_id] if whole else following)
        return known[name]

    return allowed


def loaders(recipe: Seq2seqRecipe, splits: PairSplits, vocabulary: PairVocabulary,
            rank: int = 0, world_size: int = 1) -> tuple[DataLoader, DataLoader]:
    """Shuffled training batches of similar length (`train.max_tokens` > 0: of at most that
    many padded source + target tokens, else of `train.batch_size` pairs), each padded to its
    own longest pair; validation batches sorted by length in a fixed order, numbered (each
    batch's "index" (B,) gives its pairs' places in `splits.val_*`). Validation characters
    never seen in training are `<unk>`."""
    collator = PairCollator(vocabulary.start_id, vocabulary.end_id, recipe.model.reads_reversed)
    train = SequencePairs(vocabulary.source, splits.train_sources, splits.train_targets,
                          vocabulary.target)
    if recipe.data.unknown_rate:
        add_unknowns(train, vocabulary, recipe.data.unknown_rate, recipe.data.seed)
    held_out = vocabulary.held_out()
    validation = SequencePairs(held_out.source, splits.val_sources, splits.val_targets,
                               held_out.target, numbered=True)
    config = recipe.train
    if config.max_tokens:
        # the target as the batch holds it: with its start (target_in) or end (target_out)
        targets = [length + 1 for length in train.target_lengths]
        train_loader = token_loader(train, train.source_lengths, targets, collator,
                                    config.max_tokens, config.seed, rank, world_size)
    else:
        train_loader = bucketed_loader(train, train.source_lengths, collator, config.batch_size,
                                       config.seed, rank=rank, world_size=world_size)
    return train_loader, sorted_loader(validation, validation.source_lengths, collator,
                                       recipe.data.eval_batch_size)


def add_unknowns(pairs: SequencePairs, vocabulary: PairVocabulary, rate: float,
                 seed: int) -> None:
    """`data.unknown_rate`: about `rate` of the training sources get one `<unk>`: in place of
    a space or comma, or before or after the text, where it changes nothing the target says."""
    if vocabulary.kind != "characters":
        raise AttnkitError("data.unknown_rate needs data.tokenizer characters")
    vocab = vocabulary.source
    unknown = vocab.index[UNK]
    marks = {vocab.index[mark] for mark in " ," if mark in vocab.index}
    rng = random.Random(seed + 1013)
    for row in pairs.sources:
        if rng.random() >= rate:
            continue
        spots = [i for i, token in enumerate(row) if token in marks]
        roll = rng.random()
        if spots and roll < 0.5:
            row[rng.choice(spots)] = unknown
        else:
            row.insert(0 if roll < 0.75 else len(row), unknown)
    pairs.source_lengths = [len(row) for row in pairs.sources]
