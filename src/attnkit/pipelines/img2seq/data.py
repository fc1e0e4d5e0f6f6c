"""The image-to-sequence data a recipe describes: images (N, S, S) uint8 and target strings,
then token ids, the vocabulary and the maximum length, and the batches the model reads.

MOSES molecules are rendered once into the render cache (see `molecule_render`); user images
(a `file,target` CSV) are loaded into memory with `load_image`'s checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from attnkit.data.image_text import canonical_molecule_rows, load_row_images, read_image_table
from attnkit.data.loaders import bucketed_loader, sorted_loader
from attnkit.data.molecule_render import render_cache
from attnkit.data.moses import load_moses
from attnkit.data.smiles_tokenizer import TokenVocabulary, length_covering, tokenize
from attnkit.errors import AttnkitError
from attnkit.models.img2seq import Img2Seq
from attnkit.pipelines.img2seq.recipe import Img2SeqRecipe


@dataclass
class ImageTextSplits:
    """Training and validation images (N, S, S) uint8 with their target strings, and the
    number of rows dropped before training, by reason."""

    train_images: np.ndarray
    train_targets: list[str]
    val_images: np.ndarray
    val_targets: list[str]
    skipped: dict[str, int] = field(default_factory=dict)


def build_splits(recipe: Img2SeqRecipe, data_dir: str | None = None) -> ImageTextSplits:
    if recipe.data.source == "moses":
        return moses_splits(recipe, data_dir)
    return file_splits(recipe)


def moses_splits(recipe: Img2SeqRecipe, data_dir: str | None) -> ImageTextSplits:
    """A seeded sample of the MOSES training file, rendered (training images augmented)."""
    data = recipe.data
    smiles = load_moses("train", data_dir, download_if_missing=True)
    wanted = data.train_size + data.val_size
    if wanted > len(smiles):
        raise AttnkitError(f"data.train_size + data.val_size = {wanted} is more than the "
                           f"{len(smiles)} MOSES training molecules")
    chosen = np.random.default_rng(data.seed).choice(len(smiles), wanted, replace=False)
    train = [smiles[i] for i in chosen[: data.train_size]]
    val = [smiles[i] for i in chosen[data.train_size:]]
    cache = Path(data.cache_dir).expanduser()
    return ImageTextSplits(
        render_cache(train, recipe.render, cache, augment=True, seed=data.seed,
                     workers=data.render_workers, label="render train"),
        train,
        render_cache(val, recipe.render, cache, augment=False, workers=data.render_workers,
                     label="render val"),
        val)


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
    return ImageTextSplits(load_row_images(rows, size, data.csv), [r.target for r in rows],
                           load_row_images(val_rows, size, data.val_csv or data.csv),
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
    """Vocabulary of train + validation tokens; max length from the training lengths."""
    kind = recipe.data.tokenizer
    train_tokens = [tokenize(text, kind) for text in splits.train_targets]
    val_tokens = [tokenize(text, kind) for text in splits.val_targets]
    vocab = TokenVocabulary.build(train_tokens + val_tokens)
    max_length = recipe.data.max_length or length_covering(
        [len(tokens) + 1 for tokens in train_tokens], recipe.data.length_coverage)
    keep = np.array([i for i, tokens in enumerate(train_tokens) if len(tokens) < max_length],
                    dtype=np.int64)
    splits.skipped["longer_than_max_length"] = len(train_tokens) - len(keep)
    return EncodedTargets(vocab, max_length, keep,
                          [vocab.encode(train_tokens[i]) for i in keep],
                          [vocab.encode(tokens) for tokens in val_tokens])


class ImageTokens(Dataset):
    """(image (S, S) uint8, token ids) pairs; `rows` picks images of a (memory-mapped) array."""

    def __init__(self, images: np.ndarray, token_ids: list[list[int]],
                 rows: np.ndarray | None = None) -> None:
        self.images, self.token_ids = images, token_ids
        self.rows = np.arange(len(token_ids)) if rows is None else rows
        if len(self.rows) != len(token_ids):
            raise ValueError("one row of images per target is needed")

    def __len__(self) -> int:
        return len(self.token_ids)

    def __getitem__(self, index: int) -> tuple[np.ndarray, list[int]]:
        return np.asarray(self.images[self.rows[index]]), self.token_ids[index]

    @property
    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.token_ids]


class ImageTokenCollator:
    """Pairs -> {"images" (B, S, S) uint8, "target_in" (B, T) `<` + tokens,
    "target_out" (B, T) tokens + `>`}, right-padded with 0."""

    def __init__(self, start_id: int, end_id: int) -> None:
        self.start_id, self.end_id = start_id, end_id

    def __call__(self, pairs: list[tuple[np.ndarray, list[int]]]) -> dict[str, Tensor]:
        T = max(len(ids) for _, ids in pairs) + 1
        target_in = torch.zeros(len(pairs), T, dtype=torch.long)
        target_out = torch.zeros(len(pairs), T, dtype=torch.long)
        for b, (_, ids) in enumerate(pairs):
            target_in[b, : len(ids) + 1] = torch.tensor([self.start_id, *ids])
            target_out[b, : len(ids) + 1] = torch.tensor([*ids, self.end_id])
        images = torch.from_numpy(np.stack([image for image, _ in pairs]))
        return {"images": images, "target_in": target_in, "target_out": target_out}


def image_lengths(model: Img2Seq, images: Tensor) -> Tensor:
    """The "source lengths" search asks for: every image has the model's P grid positions."""
    return torch.full((images.shape[0],), model.positions, dtype=torch.long,
                      device=images.device)


def loaders(splits: ImageTextSplits, encoded: EncodedTargets, recipe: Img2SeqRecipe,
            rank: int = 0, world_size: int = 1) -> tuple[DataLoader, DataLoader]:
    """Training batches bucketed by target length (fewer decoder steps); validation batches
    in a fixed length-sorted order."""
    collator = ImageTokenCollator(encoded.vocab.start_id, encoded.vocab.end_id)
    train = ImageTokens(splits.train_images, encoded.train_ids, encoded.train_keep)
    validation = ImageTokens(splits.val_images, encoded.val_ids)
    return (bucketed_loader(train, train.lengths, collator, recipe.train.batch_size,
                            recipe.train.seed, rank=rank, world_size=world_size),
            sorted_loader(validation, validation.lengths, collator, recipe.data.eval_batch_size))
