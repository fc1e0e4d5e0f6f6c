"""The image-to-sequence recipe: data, rendering, model, training, search and a time budget."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from attnkit.data.atom_targets import NON_ATOM_TARGETS, NonAtomTarget
from attnkit.data.drawing.styled import StyleMix
from attnkit.data.molecule_render import RenderConfig
from attnkit.data.smiles_tokenizer import TokenVocabulary
from attnkit.decoding.search import SearchConfig
from attnkit.engine.train_config import TrainConfig
from attnkit.models.img2seq_kinds import Img2SeqModelConfig
from attnkit.recipe import check_counts
from attnkit.run.meta import pipeline_meta

PIPELINE = "img2seq"


@dataclass(frozen=True)
class MixConfig:
    """How many molecules of each source a `source: mix` split draws
    (`data.molecule_sources`): MOSES, HIV (split by hash: training never sees a validation or
    test molecule) and RDKit variants of MOSES molecules."""

    moses: int = 60_000
    hiv: int = 20_000
    stereo: int = 10_000
    charged: int = 10_000
    salts: int = 5_000
    elements: int = 8_000
    small: int = 10_000
    large: int = 10_000

    def __post_init__(self) -> None:
        if min(self.counts().values()) < 0 or sum(self.counts().values()) < 1:
            raise ValueError("molecule counts must be >= 0, and not all 0")

    def counts(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def default_val_mix() -> MixConfig:
    return MixConfig(moses=300, hiv=300, stereo=70, charged=70, salts=40, elements=60,
                     small=80, large=80)


def default_val_style() -> StyleMix:
    """Validation drawn by toolkits training never uses (CDK and Open Babel)."""
    return StyleMix(("cdk", "openbabel"), (0.5, 0.5), 0.5)


@dataclass(frozen=True)
class DataConfig:
    """`source: moses` samples `train_size` + `val_size` molecules (seed `seed`) from the MOSES
    training file and renders them; `source: files` reads a `file,target` CSV (`csv`, images
    under `image_dir`, default the CSV's folder) and holds out `val_fraction`, or reads
    `val_csv`. `max_length` 0 means: cover `length_coverage` of the training targets (tokens,
    plus the end token); longer training targets are skipped with a count.
    `invalid_smiles`: what to do with user targets RDKit cannot parse (molecule tokenizer only).
    `source: mix` draws `mix` molecules for training and `val_mix` for validation
    (`MixConfig`), drawn by the toolkits of `style` and `val_style`
    (`data.drawing.styled.StyleMix`); tokens seen fewer than `vocab_min_count` times in
    training are left out of the vocabulary, with the molecules that need them.
    `crop_to_ink`: training drawings and every image read are cropped to their ink before
    they are fitted to the canvas (`data.drawing.ink`)."""

    source: Literal["moses", "files", "mix"] = "moses"
    train_size: int = 100_000
    val_size: int = 1000
    seed: int = 0
    csv: str | None = None
    val_csv: str | None = None
    image_dir: str | None = None
    val_fraction: float = 0.1
    tokenizer: Literal["smiles", "characters"] = "smiles"
    invalid_smiles: Literal["skip", "reject"] = "skip"
    max_length: int = 0
    length_coverage: float = 0.999
    cache_dir: str = "~/.cache/attnkit/molecule-renders"
    mix: MixConfig = field(default_factory=MixConfig)
    val_mix: MixConfig = field(default_factory=default_val_mix)
    style: StyleMix = field(default_factory=StyleMix)
    val_style: StyleMix = field(default_factory=default_val_style)
    vocab_min_count: int = 1
    crop_to_ink: bool = False
    render_workers: int = 2
    eval_batch_size: int = 250

    def __post_init__(self) -> None:
        check_counts(self, ("train_size", "val_size", "eval_batch_size"))
        if not 0 < self.val_fraction < 1 or not 0 < self.length_coverage <= 1:
            raise ValueError("val_fraction must be in (0, 1) and length_coverage in (0, 1]")
        if self.max_length < 0 or self.vocab_min_count < 1:
            raise ValueError("max_length must be 0 (automatic) or positive, vocab_min_count "
                             ">= 1")


@dataclass(frozen=True)
class DecodeConfig(SearchConfig):
    """`beam_width` 1 is greedy search. `prefer_valid`: with a beam, when the best hypothesis
    is a SMILES RDKit cannot parse, search again without it, up to `valid_retries` times, and
    keep the best one that parses (molecule runs only). `grammar`: search only among
    well-formed SMILES (`data.smiles_grammar`: brackets, rings and valences), molecule runs
    only. `confidence_scale` > 0: each reading's calibrated confidence, sigmoid(scale x
    log-probability + shift) (`img2seq.calibration`, fitted on validation), and readings below
    `flag_below` are flagged. `rotations`: read each image in these views (degrees
    counter-clockwise, multiples of 90; 0 the image as given) and keep the most probable
    reading that parses (`search.search_views`); a greedy search asked for (`--beam 1`) and the n
    best of one beam read the image as given only."""

    prefer_valid: bool = False
    valid_retries: int = 3
    grammar: bool = False
    confidence_scale: float = 0.0
    confidence_shift: float = 0.0
    flag_below: float = 0.5
    rotations: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "rotations", tuple(self.rotations))
        if not self.rotations or len(set(self.rotations)) != len(self.rotations) or \
                any(degrees not in (0, 90, 180, 270) for degrees in self.rotations):
            raise ValueError(f"rotations must be different angles among 0, 90, 180 and 270, "
                             f"got {list(self.rotations)}")
        if self.valid_retries < 0:
            raise ValueError("valid_retries must be >= 0")
        if self.confidence_scale < 0 or not 0 <= self.flag_below <= 1:
            raise ValueError("confidence_scale must be >= 0 and flag_below in [0, 1]")


@dataclass(frozen=True)
class SupervisionConfig:
    """Training signals beside the next token, for rendered molecules (whose atom positions are
    known; a user's CSV has none, and trains without them). Each weight multiplies its loss;
    0 turns it off.

    - `attention_weight`: each step's attention against a Gaussian of `attention_sigma` grid
      cells on the atom it writes; `non_atom`: what bonds, branches and ring digits are pulled
      toward (`none`, the `previous` atom or the `next` one).
    - `cell_weight`: the cell head's cross-entropy (which atom is drawn in each grid cell, or
      none); needs `model.cell_head: true`.
    """

    attention_weight: float = 0.0
    attention_sigma: float = 0.6
    non_atom: NonAtomTarget = "none"
    cell_weight: float = 0.0

    def __post_init__(self) -> None:
        if min(self.attention_weight, self.cell_weight) < 0 or self.attention_sigma <= 0:
            raise ValueError("supervision weights must be >= 0 and attention_sigma > 0")
        if self.non_atom not in NON_ATOM_TARGETS:
            raise ValueError(f"non_atom must be one of {', '.join(NON_ATOM_TARGETS)}")


def default_train() -> TrainConfig:
    return TrainConfig(epochs=10, batch_size=64, lr=1e-3, grad_clip=5.0,
                       monitor="val_exact_match", monitor_mode="max")


@dataclass(frozen=True)
class Img2SeqRecipe:
    data: DataConfig = field(default_factory=DataConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    model: Img2SeqModelConfig = field(default_factory=Img2SeqModelConfig)
    train: TrainConfig = field(default_factory=default_train)
    decode: DecodeConfig = field(default_factory=DecodeConfig)
    supervision: SupervisionConfig = field(default_factory=SupervisionConfig)

    def __post_init__(self) -> None:
        if self.render.image_size != self.model.image_size:
            raise ValueError(f"render.image_size ({self.render.image_size}) and "
                             f"model.image_size ({self.model.image_size}) must be equal")
        if self.supervision.cell_weight > 0 and not self.model.cell_head:
            raise ValueError("supervision.cell_weight needs model.cell_head: true")


def checkpoint_meta(recipe: Img2SeqRecipe, vocab: TokenVocabulary, max_length: int,
                    skipped: dict[str, int]) -> dict[str, Any]:
    """What a checkpoint needs to rebuild the model and decode: recipe, vocabulary, max length
    (tokens including the end token) and the counts of training rows skipped and why."""
    return pipeline_meta(PIPELINE, recipe, vocab=vocab.to_list(), max_length=max_length,
                         molecules=recipe.data.tokenizer == "smiles", skipped=skipped)
