"""The image-to-sequence data a recipe describes: images (N, S, S) uint8 and target strings,
then token ids, the vocabulary and the maximum length, and the batches the model reads.

MOSES molecules are rendered once into the render cache (see `molecule_render`), which also
gives each target in the recipe's atom order and where its atoms were drawn; batches of such
data carry the supervision targets (`atom_targets`). User images (a `file,target` CSV) are
loaded into memory with `load_image`'s checks and have no atom positions.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from attnkit.data.atom_targets import NonAtomTarget, cell_tokens, token_positions
from attnkit.data.image_text import canonical_molecule_rows, load_row_images, read_image_table
from attnkit.data.loaders import bucketed_loader, sorted_loader
from attnkit.data.molecule_render import RenderedMolecules, render_cache
from attnkit.data.moses import load_moses
from attnkit.data.smiles_tokenizer import (
    SPECIALS,
    TokenVocabulary,
    is_atom_token,
    length_covering,
    tokenize,
)
from attnkit.errors import AttnkitError
from attnkit.files import write_text_atomically
from attnkit.models.img2seq import Img2Seq
from attnkit.pipelines.img2seq.recipe import DataConfig, Img2SeqRecipe

UNK_ID = SPECIALS.index("<unk>")
IGNORED_CELL = -100  # cross-entropy's ignore index: no cell target for this image


@dataclass
class ImageTextSplits:
    """Training and validation images (N, S, S) uint8 with their target strings, and the
    number of rows dropped before training, by reason."""

    train_images: np.ndarray
    train_targets: list[str]
    val_images: np.ndarray
    val_targets: list[str]
    skipped: dict[str, int] = field(default_factory=dict)
    train_atoms: np.ndarray | None = None  # (N, M, 2) atom positions of rendered molecules
    val_atoms: np.ndarray | None = None


def build_splits(recipe: Img2SeqRecipe, data_dir: str | None = None) -> ImageTextSplits:
    if recipe.data.source == "moses":
        return moses_splits(recipe, data_dir)
    if recipe.data.source == "mix":
        return mix_splits(recipe, data_dir)
    return file_splits(recipe)


def mix_molecules(data: DataConfig, split: str, data_dir: str | None) -> list[str]:
    """The recipe's `mix` (training) or `val_mix` molecules (`data.molecule_sources`), kept as
    a list in the render cache: building a mix takes minutes."""
    from attnkit.data.molecule_sources import molecule_mix

    counts = (data.mix if split == "train" else data.val_mix).counts()
    key = hashlib.sha256(json.dumps([split, counts, data.seed]).encode()).hexdigest()[:16]
    path = Path(data.cache_dir).expanduser() / f"mix-{split}-{key}.txt"
    if path.is_file():
        return path.read_text(encoding="utf-8").split("\n")[:-1]
    smiles = molecule_mix(data_dir, counts, data.seed, split)
    write_text_atomically(path, "".join(text + "\n" for text in smiles))
    return smiles


def mix_drawings(recipe: Img2SeqRecipe, split: str, data_dir: str | None) -> RenderedMolecules:
    """The recipe's training (`mix`, drawn as `style` says) or validation molecules (`val_mix`,
    `val_style`), cropped to their ink: from the render cache, drawn first when not there."""
    from attnkit.data.drawing.styled import styled_cache

    data = recipe.data
    style = data.style if split == "train" else data.val_style
    return styled_cache(mix_molecules(data, split, data_dir), style, recipe.model.image_size,
                        Path(data.cache_dir).expanduser(), data.seed,
                        recipe.render.smiles_order == "spatial", data.render_workers,
                        f"draw {split}")


def mix_splits(recipe: Img2SeqRecipe, data_dir: str | None) -> ImageTextSplits:
    train, val = (mix_drawings(recipe, split, data_dir) for split in ("train", "val"))
    return ImageTextSplits(train.images, train.smiles, val.images, val.smiles,
                           train_atoms=train.atoms, val_atoms=val.atoms)


def moses_selection(data: DataConfig, data_dir: str | None) -> tuple[list[str], list[str]]:
    """The recipe's training and validation molecules: a seeded sample of the MOSES training
    file (validation is carved from it; the MOSES test files only report)."""
    smiles = load_moses("train", data_dir, download_if_missing=True)
    wanted = data.train_size + data.val_size
    if wanted > len(smiles):
        raise AttnkitError(f"data.train_size + data.val_size = {wanted} is more than the "
                           f"{len(smiles)} MOSES training molecules")
    chosen = np.random.default_rng(data.seed).choice(len(smiles), wanted, replace=False)
    return [smiles[i] for i in chosen[: data.train_size]], \
        [smiles[i] for i in chosen[data.train_size:]]


def moses_splits(recipe: Img2SeqRecipe, data_dir: str | None) -> ImageTextSplits:
    """The recipe's MOSES molecules, rendered (training images augmented)."""
    data = recipe.data
    train, val = moses_selection(data, data_dir)
    cache = Path(data.cache_dir).expanduser()
    rendered_train = render_cache(train, recipe.render, cache, augment=True, seed=data.seed,
                                  workers=data.render_workers, label="render train")
    rendered_val = render_cache(val, recipe.render, cache, augment=False,
                                workers=data.render_workers, label="render val")
    return ImageTextSplits(rendered_train.images, rendered_train.smiles, rendered_val.images,
                           rendered_val.smiles, train_atoms=rendered_train.atoms,
                           val_atoms=rendered_val.atoms)


def file_splits(recipe: Img2SeqRecipe) -> ImageTextSplits:
    """A user's `file,target` CSV (and `val_csv`, or a held-out fraction), images loaded."""
    data, size = recipe.data, recipe.model.image_size
    if not data.csv:
        raise AttnkitError("data.source is 'files' but no CSV was given (--csv FILE)")
    rows, skipped = checked_rows(data.csv, recipe)
    if data.val_csv:
        val_rows, val_skipped = checked_rows(data.val_csv, recipe)
        skipped += val_skipped
    else:
        order = np.random.default_rng(data.seed).permutation(len(rows))
        held_out = max(1, round(data.val_fraction * len(rows)))
        if held_out >= len(rows):
            raise AttnkitError(f"{data.csv} has {len(rows)} usable rows: too few to hold out "
                               "validation rows; add rows or pass --val-csv")
        val_rows = [rows[i] for i in order[:held_out]]
        rows = [rows[i] for i in order[held_out:]]
    crop = data.crop_to_ink
    return ImageTextSplits(load_row_images(rows, size, data.csv, crop), [r.target for r in rows],
                           load_row_images(val_rows, size, data.val_csv or data.csv, crop),
                           [r.target for r in val_rows], {"invalid_smiles": skipped})


def checked_rows(csv_path: str, recipe: Img2SeqRecipe) -> tuple[list, int]:
    rows = read_image_table(csv_path, recipe.data.image_dir)
    if recipe.data.tokenizer != "smiles":
        return rows, 0
    kept, skipped = canonical_molecule_rows(rows, csv_path, recipe.data.invalid_smiles)
    if skipped:
        print(f"skipped {skipped} of {len(rows)} rows of {csv_path}: targets RDKit cannot parse")
    return kept, skipped


@dataclass
class EncodedTargets:
    vocab: TokenVocabulary
    max_length: int  # tokens including the end token
    train_keep: np.ndarray  # indices of training rows short enough to train on
    train_ids: list[list[int]]
    val_ids: list[list[int]]


def encode_targets(splits: ImageTextSplits, recipe: Img2SeqRecipe) -> EncodedTargets:
    """The vocabulary: with `vocab_min_count` 1, every token of training and validation;
    above 1, the training tokens seen at least that often (training targets with another are
    skipped, validation ones read it as `<unk>`, which no output matches). The max length
    covers `length_coverage` of the training targets."""
    kind, data = recipe.data.tokenizer, recipe.data
    train_tokens = [tokenize(text, kind) for text in splits.train_targets]
    val_tokens = [tokenize(text, kind) for text in splits.val_targets]
    if data.vocab_min_count == 1:
        vocab = TokenVocabulary.build(train_tokens + val_tokens)
    else:
        counts = Counter(token for tokens in train_tokens for token in tokens)
        vocab = TokenVocabulary(sorted(t for t, n in counts.items() if n >= data.vocab_min_count))
    max_length = data.max_length or length_covering(
        [len(tokens) + 1 for tokens in train_tokens], data.length_coverage)
    known = [all(token in vocab.index for token in tokens) for tokens in train_tokens]
    keep = np.array([i for i, tokens in enumerate(train_tokens)
                     if known[i] and len(tokens) < max_length], dtype=np.int64)
    splits.skipped["rare_tokens"] = len(train_tokens) - sum(known)
    splits.skipped["longer_than_max_length"] = sum(known) - len(keep)
    return EncodedTargets(vocab, max_length, keep,
                          [vocab.encode(train_tokens[i]) for i in keep],
                          [[vocab.index.get(token, UNK_ID) for token in tokens]
                           for tokens in val_tokens])


class ImageTokens(Dataset):
    """(image (S, S) uint8, token ids, atom positions (M, 2) or None) triples; `rows` picks
    images (and atoms) of a (memory-mapped) array."""

    def __init__(self, images: np.ndarray, token_ids: list[list[int]],
                 rows: np.ndarray | None = None, atoms: np.ndarray | None = None) -> None:
        self.images, self.token_ids, self.atoms = images, token_ids, atoms
        self.rows = np.arange(len(token_ids)) if rows is None else rows
        if len(self.rows) != len(token_ids):
            raise ValueError("one row of images per target is needed")

    def __len__(self) -> int:
        return len(self.token_ids)

    def __getitem__(self, index: int) -> tuple[np.ndarray, list[int], np.ndarray | None]:
        row = self.rows[index]
        atoms = None if self.atoms is None else self.atoms[row]
        return np.asarray(self.images[row]), self.token_ids[index], atoms

    @property
    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.token_ids]


@dataclass(frozen=True)
class AtomSupervision:
    """What the collator needs to turn atom positions into targets: which token ids are atoms
    (V,) bool, the model's grid side G, the image side S and the non-atom rule."""

    is_atom: np.ndarray
    grid_size: int
    image_size: int
    non_atom: NonAtomTarget = "none"


class ImageTokenCollator:
    """Triples -> {"images" (B, S, S) uint8, "target_in" (B, T) `<` + tokens,
    "target_out" (B, T) tokens + `>`}, right-padded with 0; with `supervision` and atom
    positions also "atom_positions" (B, T, 2) pixels per target token (NaN = no target) and
    "cell_tokens" (B, P) (see `atom_targets`)."""

    def __init__(self, start_id: int, end_id: int,
                 supervision: AtomSupervision | None = None) -> None:
        self.start_id, self.end_id, self.supervision = start_id, end_id, supervision

    def __call__(self, items: list[tuple[np.ndarray, list[int], np.ndarray | None]]) -> \
            dict[str, Tensor]:
        B, T = len(items), max(len(ids) for _, ids, _ in items) + 1
        target_in = torch.zeros(B, T, dtype=torch.long)
        target_out = torch.zeros(B, T, dtype=torch.long)
        for b, (_, ids, _) in enumerate(items):
            target_in[b, : len(ids) + 1] = torch.tensor([self.start_id, *ids])
            target_out[b, : len(ids) + 1] = torch.tensor([*ids, self.end_id])
        batch = {"images": torch.from_numpy(np.stack([image for image, _, _ in items])),
                 "target_in": target_in, "target_out": target_out}
        if self.supervision is not None and all(atoms is not None for _, _, atoms in items):
            batch.update(self.atom_targets(items, T))
        return batch

    def atom_targets(self, items: list, T: int) -> dict[str, Tensor]:
        rule = self.supervision
        positions = np.full((len(items), T, 2), np.nan, dtype=np.float32)
        cells = np.zeros((len(items), rule.grid_size ** 2), dtype=np.int64)
        for b, (_, ids, atoms) in enumerate(items):
            if np.isnan(atoms).all():  # a drawing whose renderer did not say: no targets
                cells[b] = IGNORED_CELL
                continue
            positions[b, : len(ids)] = token_positions(ids, atoms, rule.is_atom, rule.non_atom)
            cells[b] = cell_tokens(ids, atoms, rule.is_atom, rule.grid_size, rule.image_size)
        return {"atom_positions": torch.from_numpy(positions),
                "cell_tokens": torch.from_numpy(cells)}


def atom_supervision(vocab: TokenVocabulary, recipe: Img2SeqRecipe) -> AtomSupervision | None:
    """The collator's supervision rule for a molecule recipe that asks for supervision."""
    signals = recipe.supervision
    if recipe.data.tokenizer != "smiles" or signals.attention_weight + signals.cell_weight == 0:
        return None
    is_atom = np.array([is_atom_token(token) for token in vocab.tokens], dtype=bool)
    return AtomSupervision(is_atom, recipe.model.grid_size, recipe.model.image_size,
                           signals.non_atom)


def image_lengths(model: Img2Seq, images: Tensor) -> Tensor:
    """The "source lengths" search asks for: every image has the model's P grid positions."""
    return torch.full((images.shape[0],), model.positions, dtype=torch.long,
                      device=images.device)


def loaders(splits: ImageTextSplits, encoded: EncodedTargets, recipe: Img2SeqRecipe,
            rank: int = 0, world_size: int = 1) -> tuple[DataLoader, DataLoader]:
    """Training batches bucketed by target length (fewer decoder steps); validation batches
    in a fixed length-sorted order."""
    collator = ImageTokenCollator(encoded.vocab.start_id, encoded.vocab.end_id,
                                  atom_supervision(encoded.vocab, recipe))
    train = ImageTokens(splits.train_images, encoded.train_ids, encoded.train_keep,
                        splits.train_atoms)
    validation = ImageTokens(splits.val_images, encoded.val_ids, atoms=splits.val_atoms)
    return (bucketed_loader(train, train.lengths, collator, recipe.train.batch_size,
                            recipe.train.seed, rank=rank, world_size=world_size),
            sorted_loader(validation, validation.lengths, collator, recipe.data.eval_batch_size))
