"""The seq2seq recipe, shared by the torch and NumPy engines, and the meta both engines store
(`checkpoint_meta`), so that either engine's checkpoint rebuilds the same model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from attnkit.data.pair_vocabulary import PairVocabulary, TokenizerKind
from attnkit.data.seq_files import PairSplits
from attnkit.data.subwords import SubwordConfig
from attnkit.decoding.search import SearchConfig
from attnkit.engine.train_config import TrainConfig
from attnkit.models.seq2seq_kinds import Seq2seqModelConfig
from attnkit.recipe import check_counts
from attnkit.run.meta import pipeline_meta

PIPELINE = "seq2seq"


@dataclass(frozen=True)
class DataConfig:
    """`source: dates` generates pairs (sizes, seed, years); `source: file` reads `file`
    (TSV or fixed width) and holds out `val_fraction` of it, or reads `val_file` when given;
    `source: multi30k` reads Multi30k task 1 from the data folder (`--data-dir`,
    $ATTNKIT_DATA), `source_language` -> `target_language`: train, val and test_2016_flickr,
    with `limit` > 0 the first `limit` training and validation pairs only (quick trials;
    `attnkit eval` reads whole splits).

    `tokenizer`: `characters` (the training pairs' characters, one vocabulary for both sides)
    or `subwords` (SentencePiece models learnt on the training pairs only, as `subwords` says;
    joint by default, so that the Transformer can tie its embeddings). Checkpoints keep either.
    `target_language` (an ISO code such as "de") also picks Moses' rules for `bleu_lc_tok`;
    without it that metric is left out.

    `refusals` (generated dates; other sources ignore it): the share of generated pairs that
    are texts which are not dates, with the empty target, so that the model learns to refuse
    them (`data.dates.not_a_date`); the date grammar then allows the empty output.
    `unknown_rate`: the share of training sources given one `<unk>` where a space or comma
    was, or before or after the text, so that the model learns to read past a character it
    never saw; a model trained with it reads unseen characters as `<unk>` instead of refusing
    the input."""

    source: Literal["dates", "file", "multi30k"] = "dates"
    train_size: int = 45000
    val_size: int = 5000
    test_size: int = 5000
    first_year: int = 1900
    last_year: int = 2099
    seed: int = 0
    file: str | None = None
    val_file: str | None = None
    file_format: Literal["auto", "tsv", "fixed"] = "auto"
    val_fraction: float = 0.1
    eval_batch_size: int = 1000
    tokenizer: TokenizerKind = "characters"
    subwords: SubwordConfig = field(default_factory=SubwordConfig)
    source_language: str | None = None
    target_language: str | None = None
    limit: int = 0
    refusals: float = 0.0
    unknown_rate: float = 0.0

    def __post_init__(self) -> None:
        check_counts(self, ("train_size", "val_size", "eval_batch_size"))
        check_counts(self, ("test_size",), low=0)
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        for name in ("refusals", "unknown_rate"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if self.limit < 0:
            raise ValueError(f"limit must be >= 0 (0 = every pair), got {self.limit}")
        if self.source == "multi30k" and not (self.source_language and self.target_language):
            raise ValueError("source multi30k needs source_language and target_language "
                             "(en, de or fr)")


@dataclass(frozen=True)
class DecodeConfig(SearchConfig):
    """Search at evaluation and translation: `beam_width` 1 is greedy search. `grammar`
    "iso_date" searches only among `YYYY-MM-DD` calendar dates (in the data's year range for
    generated dates), so every output is a valid date; "none" searches every output."""

    extra_length: int = 10  # outputs may be this much longer than the longest training target
    grammar: Literal["none", "iso_date"] = "none"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.extra_length <= 1000:
            raise ValueError(f"extra_length must be from 0 to 1000, got {self.extra_length}")


@dataclass(frozen=True)
class Seq2seqTrainConfig(TrainConfig):
    """`TrainConfig` and two settings of sequence training: `label_smoothing` (of the training
    loss only: held-out losses are plain cross-entropy) and `max_tokens`: with > 0, batches of
    at most that many padded source + target tokens (`data.token_batches`) instead of
    `batch_size` pairs of similar length. `monitor: auto` is `val_bleu` for translation
    recipes and `val_exact_match` otherwise (`resolve_monitor`)."""

    label_smoothing: float = 0.0
    max_tokens: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.max_tokens < 0:
            raise ValueError(f"max_tokens must be >= 0 (0: batches of batch_size pairs), got "
                             f"{self.max_tokens}")


def default_train() -> Seq2seqTrainConfig:
    return Seq2seqTrainConfig(epochs=3, batch_size=128, lr=1e-3, grad_clip=5.0,
                              monitor="val_exact_match", monitor_mode="max")


@dataclass(frozen=True)
class Seq2seqRecipe:
    data: DataConfig = field(default_factory=DataConfig)
    model: Seq2seqModelConfig = field(default_factory=Seq2seqModelConfig)
    train: Seq2seqTrainConfig = field(default_factory=default_train)
    decode: DecodeConfig = field(default_factory=DecodeConfig)

    @property
    def translates(self) -> bool:
        """Whether outputs are sentences scored by BLEU and chrF (Multi30k, or subwords),
        rather than strings scored by exact match and character accuracy (dates)."""
        return self.data.source == "multi30k" or self.data.tokenizer == "subwords"


def resolve_monitor(recipe: Seq2seqRecipe) -> Seq2seqRecipe:
    """The recipe with `train.monitor: auto` made the metric it stands for: validation BLEU
    for translation recipes (`translates`), else validation exact match, both maximised."""
    if recipe.train.monitor != "auto":
        return recipe
    metric = "val_bleu" if recipe.translates else "val_exact_match"
    return replace(recipe, train=replace(recipe.train, monitor=metric, monitor_mode="max"))


def checkpoint_meta(recipe: Seq2seqRecipe, vocabulary: PairVocabulary,
                    splits: PairSplits) -> dict[str, Any]:
    """What a checkpoint needs to rebuild the model and check inputs against training: the
    recipe, the vocabularies and the longest training source and target, in tokens."""
    source = vocabulary.source.encode
    target = vocabulary.target.encode
    return pipeline_meta(PIPELINE, recipe, **vocabulary.to_meta(),
                         max_source_length=max(len(source(text))
                                               for text in splits.train_sources),
                         max_target_length=max(len(target(text))
                                               for text in splits.train_targets))
