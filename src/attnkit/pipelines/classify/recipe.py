"""The text-classification recipe (``configs/imdb.yaml``, ``configs/imdb_plus.yaml``,
``configs/imdb_transformer.yaml``).

``model.vocab_size`` and ``model.num_classes`` are filled in from the data when training
(the vocabulary actually built, the classes actually found); the recipe sets the vocabulary
size it asks for in ``data.vocab_size``. ``model.kind`` picks the BiLSTM (the default) or the
Transformer (``models.classifier_kinds``), which reads at most ``data.max_length`` tokens.
``checkpoint_meta`` is what a run's checkpoints store.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from attnkit.data.bigrams import BigramTable
from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.data.word_vocab import WordVocabulary
from attnkit.engine.train_config import TrainConfig
from attnkit.models.classifier_kinds import ClassifierModelConfig
from attnkit.run.meta import pipeline_meta

PIPELINE = "classify"


@dataclass(frozen=True)
class ClassifyDataConfig:
    """vocab_size: entries including ``<pad>`` and ``<oov>`` (Keras ``num_words``).
    max_length: longer texts keep their last max_length tokens (Keras ``pad_sequences``).
    validation_fraction: share of the training data held out for model selection (used when
    no validation file is given). bucket_size_multiplier: batches are drawn from shuffled
    chunks of batch_size * this many texts sorted by length (less padding, some randomness).
    bigram_vocab_size: entries of the word-pair table (padding and "other" included) whose
    embeddings are added to the word embeddings; 0 turns bigrams off.
    ngram_order: > 0 stacks a linear NB-weighted bag of 1..ngram_order-grams with the
    attention model (``models/stacked_classifier.py``); 0 turns it off. ngram_min_count: the
    n-grams kept are those found in at least this many training texts.
    """

    vocab_size: int = 10000
    max_length: int = 500
    lowercase: bool = True
    strip_html_breaks: bool = False
    validation_fraction: float = 0.1
    bucket_size_multiplier: int = 20
    eval_batch_size: int = 256
    bigram_vocab_size: int = 0
    ngram_order: int = 0
    ngram_min_count: int = 2

    def __post_init__(self) -> None:
        if self.vocab_size < 3 or self.max_length < 1 or self.eval_batch_size < 1:
            raise ValueError("vocab_size must be >= 3, max_length and eval_batch_size >= 1")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1), "
                             f"got {self.validation_fraction}")
        if self.bucket_size_multiplier < 1:
            raise ValueError("bucket_size_multiplier must be >= 1")
        if self.bigram_vocab_size != 0 and self.bigram_vocab_size < 3:
            raise ValueError("bigram_vocab_size must be 0 (off) or at least 3")
        if not 0 <= self.ngram_order <= 3 or self.ngram_min_count < 1:
            raise ValueError("ngram_order must be 0 (off) to 3 and ngram_min_count >= 1")

    def tokenizer(self) -> TextTokenizer:
        return TextTokenizer(lowercase=self.lowercase, strip_html_breaks=self.strip_html_breaks)


def default_train() -> TrainConfig:
    return TrainConfig(epochs=3, batch_size=256, lr=1e-3, grad_clip=0.0,
                       monitor="val_accuracy", monitor_mode="max")


@dataclass(frozen=True)
class NgramBranchConfig:
    """Training of the n-gram branch (used when data.ngram_order > 0), after the attention
    model: Adam at ``lr`` for ``epochs`` over the training split in shuffled batches, keeping
    the epoch with the lowest validation loss."""

    epochs: int = 2
    lr: float = 0.02
    batch_size: int = 256

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.lr <= 0 or self.batch_size < 1:
            raise ValueError("ngram_branch needs epochs >= 1, lr > 0 and batch_size >= 1")


@dataclass(frozen=True)
class ClassifyRecipe:
    data: ClassifyDataConfig = field(default_factory=ClassifyDataConfig)
    model: ClassifierModelConfig = field(default_factory=ClassifierModelConfig)
    train: TrainConfig = field(default_factory=default_train)
    ngram_branch: NgramBranchConfig = field(default_factory=NgramBranchConfig)


def checkpoint_meta(recipe: Any, model_config: ClassifierModelConfig,
                    vocabulary: WordVocabulary, tokenizer: TextTokenizer,
                    class_names: list[str], max_length: int, source: dict[str, Any],
                    bigrams: BigramTable | None = None) -> dict[str, Any]:
    """What a checkpoint needs to rebuild the classifier and its preprocessing alone. The
    recipe is stored with the model as built (`model_config`: vocabulary size and classes
    from the data), so the run's `recipe.yaml` says what was trained. (Checkpoints written
    before this also hold it as `meta["model"]`, which `classifier_config` still reads.)"""
    return pipeline_meta(PIPELINE, dataclasses.replace(recipe, model=model_config),
                         vocab=vocabulary.to_list(), tokenizer=tokenizer.to_dict(),
                         classes=class_names, max_length=max_length, source=source,
                         bigrams=bigrams.pairs if bigrams is not None else None)
