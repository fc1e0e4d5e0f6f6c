"""The seq2seq recipe, shared by the torch and NumPy engines, and the meta both engines store
(`checkpoint_meta`), so that either engine's checkpoint rebuilds the same model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.seq_files import PairSplits
from attnkit.decoding.search import SearchConfig
from attnkit.engine.train_config import TrainConfig
from attnkit.models.seq2seq import Seq2seqConfig
from attnkit.recipe import check_counts
from attnkit.run.meta import pipeline_meta

PIPELINE = "seq2seq"


@dataclass(frozen=True)
class DataConfig:
    """`source: dates` generates pairs (sizes, seed, years); `source: file` reads `file`
    (TSV or fixed width) and holds out `val_fraction` of it, or reads `val_file` when given."""

    source: Literal["dates", "file"] = "dates"
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

    def __post_init__(self) -> None:
        check_counts(self, ("train_size", "val_size", "eval_batch_size"))
        check_counts(self, ("test_size",), low=0)
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")


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


def default_train() -> TrainConfig:
    return TrainConfig(epochs=3, batch_size=128, lr=1e-3, grad_clip=5.0,
                       monitor="val_exact_match", monitor_mode="max")


@dataclass(frozen=True)
class Seq2seqRecipe:
    data: DataConfig = field(default_factory=DataConfig)
    model: Seq2seqConfig = field(default_factory=Seq2seqConfig)
    train: TrainConfig = field(default_factory=default_train)
    decode: DecodeConfig = field(default_factory=DecodeConfig)


def checkpoint_meta(recipe: Seq2seqRecipe, vocab: CharVocabulary,
                    splits: PairSplits) -> dict[str, Any]:
    """What a checkpoint needs to rebuild the model and check inputs against training."""
    return pipeline_meta(PIPELINE, recipe, vocab=vocab.to_list(),
                         max_source_length=max(map(len, splits.train_sources)),
                         max_target_length=max(map(len, splits.train_targets)))
