"""Data for the classifier: IMDB or a user's labelled file, encoded, split and batched.

A batch is ``{"tokens": (B, S) int64 right-padded with 0, "lengths": (B,) int64,
"labels": (B,) int64}``; S is the batch's own longest text. With bigrams it also holds
"bigrams" (B, S); with n-grams "ngrams" (N,) (each text's n-gram table positions, concatenated)
and "ngram_offsets" (B,) (where each text's run starts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from attnkit.data.bigrams import BigramTable, split_like
from attnkit.data.imdb import LABEL_NAMES, load_imdb_corpus
from attnkit.data.loaders import sorted_loader
from attnkit.data.ngrams import NgramTable
from attnkit.data.text_files import read_labelled_texts
from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.data.token_corpus import EncodedTexts, TokenCorpus, encode_corpus
from attnkit.data.word_vocab import OOV_ID, PAD_ID, WordVocabulary
from attnkit.errors import AttnkitError
from attnkit.pipelines.classify.recipe import ClassifyDataConfig

Batch = dict[str, Tensor]


Item = tuple[np.ndarray, int, np.ndarray | None, np.ndarray | None]


class EncodedDataset(Dataset):
    """Token-id sequences (1-D int64 arrays), their class ids and, optionally, the bigram
    ids of each position (same lengths) and each text's n-gram features (``NgramTable``)."""

    def __init__(self, sequences: Sequence[np.ndarray], labels: Sequence[int],
                 bigram_sequences: Sequence[np.ndarray] | None = None,
                 ngram_features: Sequence[np.ndarray] | None = None) -> None:
        if len(sequences) != len(labels):
            raise AttnkitError(f"{len(sequences)} texts but {len(labels)} labels")
        # An empty text (e.g. only punctuation) is one <oov>, so every length is >= 1.
        self.sequences = [ids if len(ids) else np.ones(1, dtype=np.int64) for ids in sequences]
        self.bigram_sequences = None
        if bigram_sequences is not None:
            self.bigram_sequences = [ids if len(ids) else np.ones(1, dtype=np.int64)
                                     for ids in bigram_sequences]
        self.ngram_features = None if ngram_features is None else list(ngram_features)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.lengths = [len(ids) for ids in self.sequences]

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> Item:
        bigrams = None if self.bigram_sequences is None else self.bigram_sequences[index]
        ngrams = None if self.ngram_features is None else self.ngram_features[index]
        return self.sequences[index], int(self.labels[index]), bigrams, ngrams

    def take(self, indices: Sequence[int]) -> EncodedDataset:
        """The items at ``indices``, in that order."""

        def pick(rows: list | None) -> list | None:
            return None if rows is None else [rows[i] for i in indices]

        return EncodedDataset(pick(self.sequences), self.labels[list(indices)],
                              pick(self.bigram_sequences), pick(self.ngram_features))


def _pad(rows: Sequence[np.ndarray], width: int) -> Tensor:
    padded = np.full((len(rows), width), PAD_ID, dtype=np.int64)
    for row, ids in enumerate(rows):
        padded[row, : len(ids)] = ids
    return torch.from_numpy(padded)


def collate(items: Sequence[Item]) -> Batch:
    """[(ids, label, bigram ids | None, n-gram features | None), ...] -> batch dict (see
    the module docstring), with "bigrams" and "ngrams" when the items have them."""
    lengths = np.array([len(item[0]) for item in items], dtype=np.int64)
    width = int(lengths.max())
    batch = {"tokens": _pad([item[0] for item in items], width),
             "lengths": torch.from_numpy(lengths),
             "labels": torch.tensor([item[1] for item in items], dtype=torch.long)}
    if items[0][2] is not None:
        batch["bigrams"] = _pad([item[2] for item in items], width)
    if items[0][3] is not None:
        batch["ngrams"], batch["ngram_offsets"] = ngram_bag([item[3] for item in items])
    return batch


def ngram_bag(rows: Sequence[np.ndarray]) -> tuple[Tensor, Tensor]:
    """Texts' n-gram features -> ngrams (N,) concatenated and offsets (B,) where each starts,
    the input of ``nn.functional.embedding_bag``."""
    sizes = np.array([len(row) for row in rows], dtype=np.int64)
    return (torch.from_numpy(np.concatenate(rows)),
            torch.from_numpy(np.concatenate([[0], np.cumsum(sizes)[:-1]])))


def run_model(model: nn.Module, batch: Batch) -> tuple[Tensor, Tensor]:
    """Either kind of classifier on a batch dict -> (logits, attention weights); both take
    (tokens, lengths, bigrams, ngrams, ngram_offsets), the parts a batch lacks as None."""
    return model(batch["tokens"], batch["lengths"], batch.get("bigrams"), batch.get("ngrams"),
                 batch.get("ngram_offsets"))


def eval_loader(dataset: EncodedDataset, batch_size: int) -> DataLoader:
    """Length-sorted batches in a fixed order: little padding, deterministic metrics."""
    return sorted_loader(dataset, dataset.lengths, collate, batch_size)


@dataclass
class PreparedData:
    """Everything training needs; ``test`` is None when there is no test split."""

    train: EncodedDataset
    validation: EncodedDataset | None
    test: EncodedDataset | None
    vocabulary: WordVocabulary
    tokenizer: TextTokenizer
    class_names: list[str]
    bigrams: BigramTable | None = None
    ngrams: NgramTable | None = None


def split_validation(
    texts: EncodedTexts, fraction: float, seed: int
) -> tuple[EncodedTexts, EncodedTexts | None]:
    """Hold out ``fraction`` of ``texts`` (a seeded random choice) for validation."""
    if fraction <= 0:
        return texts, None
    count = len(texts)
    held_out = max(1, round(fraction * count))
    if held_out >= count:
        raise AttnkitError(f"{count} training texts are too few to hold out "
                           f"data.validation_fraction={fraction} of them")
    order = np.random.default_rng(seed).permutation(count)
    return texts.subset(np.sort(order[held_out:])), texts.subset(np.sort(order[:held_out]))


def _datasets(corpus: TokenCorpus, config: ClassifyDataConfig, seed: int,
              tokenizer: TextTokenizer, class_names: list[str]) -> PreparedData:
    train, validation = corpus.splits["train"], corpus.splits.get("validation")
    if validation is None:
        train, validation = split_validation(train, config.validation_fraction, seed)
        if validation is not None:  # words ranked on what is left for training
            corpus = corpus.ranked_on(train, {"train": train, "validation": validation} | {
                name: texts for name, texts in corpus.splits.items() if name != "train"})
            train, validation = corpus.splits["train"], corpus.splits["validation"]

    bigrams = None
    if config.bigram_vocab_size:
        bigrams = BigramTable.build(train, corpus.words, config.bigram_vocab_size)
    ngrams = train_features = None
    if config.ngram_order and validation is None:
        raise AttnkitError("data.ngram_order needs a validation split to fit the blend of the "
                           "two models on (data.validation_fraction > 0 or a validation file)")
    if config.ngram_order:
        ngrams, train_features = NgramTable.build_with_features(
            model_ids(train, config.vocab_size), train.offsets, config.ngram_order,
            config.vocab_size, config.ngram_min_count)

    def dataset(texts: EncodedTexts | None,
                ngram_features: list[np.ndarray] | None = None) -> EncodedDataset | None:
        if texts is None:
            return None
        bigram_sequences = None
        if bigrams is not None:
            flat = bigrams.corpus_ids(texts, corpus.words)
            bigram_sequences = split_like(flat, texts, config.max_length)
        if ngrams is not None and ngram_features is None:
            ngram_features = ngrams.features(model_ids(texts, config.vocab_size), texts.offsets)
        return EncodedDataset(texts.sequences(config.vocab_size, config.max_length), texts.labels,
                              bigram_sequences, ngram_features)

    return PreparedData(dataset(train, train_features), dataset(validation),
                        dataset(corpus.splits.get("test")), corpus.vocabulary(config.vocab_size),
                        tokenizer, class_names, bigrams, ngrams)


def model_ids(texts: EncodedTexts, vocab_size: int) -> np.ndarray:
    """All ids of ``texts`` (no max_length cut) in a ``vocab_size`` vocabulary."""
    return np.where(texts.ids < vocab_size, texts.ids, OOV_ID).astype(np.int64)


def prepare_imdb(config: ClassifyDataConfig, data_dir: Path, seed: int,
                 per_class_limit: int | None = None) -> PreparedData:
    """IMDB train (minus a validation share) and test, tokenised as the recipe says."""
    tokenizer = config.tokenizer()
    corpus = load_imdb_corpus(data_dir, tokenizer, per_class_limit=per_class_limit,
                              download_if_missing=True)
    return _datasets(corpus, config, seed, tokenizer, list(LABEL_NAMES))


def class_order(labels: Sequence[str]) -> list[str]:
    """Distinct labels in natural order ("2" before "10"; "neg" before "pos")."""
    def key(label: str) -> tuple:
        return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", label))
    return sorted(set(labels), key=key)


def prepare_files(config: ClassifyDataConfig, train_file: Path, validation_file: Path | None,
                  text_column: str, label_column: str, seed: int) -> PreparedData:
    """A user's labelled file (and optional validation file); classes are the labels found."""
    train = read_labelled_texts(train_file, text_column, label_column)
    class_names = class_order(train.labels)
    if len(class_names) < 2:
        raise AttnkitError(f"{train_file}: label column {label_column!r} has only one class "
                           f"({class_names[0]!r}); a classifier needs at least two")
    texts, labels = {"train": train.texts}, {"train": class_ids(train.labels, class_names,
                                                                train_file)}
    if validation_file is not None:
        validation = read_labelled_texts(validation_file, text_column, label_column)
        texts["validation"] = validation.texts
        labels["validation"] = class_ids(validation.labels, class_names, validation_file)
    tokenizer = config.tokenizer()
    corpus = encode_corpus(texts, labels, tokenizer)
    return _datasets(corpus, config, seed, tokenizer, class_names)


def class_ids(labels: Sequence[str], class_names: Sequence[str], where: Path) -> list[int]:
    """Class ids of ``labels``; a label the model does not know is an error naming it."""
    index = {name: position for position, name in enumerate(class_names)}
    unknown = sorted(set(labels) - set(index))
    if unknown:
        raise AttnkitError(f"{where}: labels {unknown[:5]} are not among the model's classes "
                           f"{list(class_names)}")
    return [index[label] for label in labels]
