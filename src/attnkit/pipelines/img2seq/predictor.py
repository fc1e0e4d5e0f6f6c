"""Running a trained image-to-sequence model: images in, texts with confidence and attention out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from attnkit.data.chem import parse_molecule
from attnkit.data.images import load_image
from attnkit.data.smiles_tokenizer import TokenVocabulary
from attnkit.decoding import Hypothesis, beam_search_passing, search
from attnkit.engine.checkpoint import load_model_state
from attnkit.engine.device import resolve_device
from attnkit.models.img2seq import Img2Seq
from attnkit.pipelines.img2seq.data import image_lengths
from attnkit.pipelines.img2seq.recipe import PIPELINE, DecodeConfig, Img2SeqRecipe
from attnkit.pipelines.run_checkpoint import load_run_checkpoint
from attnkit.recipe import recipe_from_dict


@dataclass
class Reading:
    """One image's output: text; its tokens (one per attention row); confidence = exp(score),
    the probability the model gives the whole output (end token included); attention (T, P)
    per output token over the grid."""

    text: str
    tokens: list[str]
    confidence: float
    attention: np.ndarray | None


class ImageReader:
    """A trained model with its vocabulary and recipe, ready to read images."""

    def __init__(self, model: Img2Seq, vocab: TokenVocabulary, recipe: Img2SeqRecipe,
                 meta: dict[str, Any], device: torch.device) -> None:
        self.model, self.vocab, self.recipe, self.device = model.eval(), vocab, recipe, device
        self.max_length = int(meta["max_length"])
        self.molecules = bool(meta.get("molecules", recipe.data.tokenizer == "smiles"))

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> ImageReader:
        checkpoint = load_run_checkpoint(path, PIPELINE, "an img2seq one",
                                         ("recipe", "vocab", "max_length"))
        meta = checkpoint.meta
        recipe = recipe_from_dict(Img2SeqRecipe, meta["recipe"])
        vocab = TokenVocabulary.from_list(meta["vocab"])
        model = Img2Seq(len(vocab), recipe.model)
        load_model_state(model, checkpoint)
        target = resolve_device(device)
        return cls(model.to(target), vocab, recipe, meta, target)

    @property
    def image_size(self) -> int:
        return self.recipe.model.image_size

    def load(self, paths: Sequence[str | Path]) -> np.ndarray:
        """User images as the model reads them: uint8 (N, S, S)."""
        return np.stack([load_image(path, self.image_size) for path in paths])

    def is_valid(self, ids: list[int]) -> bool:
        return parse_molecule(self.vocab.decode(ids)) is not None

    def read(self, images: np.ndarray, beam_width: int | None = None,
             prefer_valid: bool | None = None, batch_size: int = 250) -> list[Reading]:
        """images (N, S, S) uint8 -> N readings, searched in batches."""
        decode = self.recipe.decode
        if beam_width is not None:
            decode = replace(decode, beam_width=beam_width)
        if prefer_valid is not None:
            decode = replace(decode, prefer_valid=prefer_valid)
        validity = self.is_valid if self.molecules else None
        readings = []
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(np.array(images[start: start + batch_size]))  # copy: memmap
            with torch.no_grad():
                found = search_images(self.model, batch.to(self.device), decode,
                                      self.vocab.start_id, self.vocab.end_id, self.max_length,
                                      validity)
            for hypothesis in found:
                tokens = [self.vocab.tokens[i] for i in hypothesis.tokens]
                readings.append(Reading(self.vocab.decode(hypothesis.tokens), tokens,
                                        float(np.exp(hypothesis.score)), hypothesis.attention))
        return readings


def search_images(model: Img2Seq, images: Tensor, decode: DecodeConfig, start_id: int,
                  end_id: int, max_length: int,
                  is_valid: Callable[[list[int]], bool] | None = None) -> list[Hypothesis]:
    """images (B, S, S) -> B hypotheses; `is_valid` (token ids -> bool) enables prefer_valid."""
    lengths = image_lengths(model, images)
    if decode.beam_width > 1 and decode.prefer_valid and is_valid is not None:
        return beam_search_passing(model, images, lengths, start_id, end_id, max_length,
                                   decode.beam_width, decode.length_penalty, is_valid,
                                   decode.valid_retries)
    return search(model, images, lengths, start_id, end_id, max_length, decode)
