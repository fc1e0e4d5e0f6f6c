"""Running a trained image-to-sequence model: images in, texts with confidence and attention out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import torch
from torch import Tensor

from attnkit.data.atom_targets import attended_points
from attnkit.data.chem import canonical_smiles, parse_molecule
from attnkit.data.images import (
    MAX_ASPECT,
    Placement,
    fit_on_white,
    load_image,
    load_placed_image,
    to_grayscale,
)
from attnkit.data.smiles_tokenizer import TokenVocabulary, is_atom_token
from attnkit.decoding import Hypothesis, beam_search_passing, search, search_n_best
from attnkit.engine.device import resolve_device
from attnkit.errors import AttnkitError
from attnkit.models.img2seq import TRAINING_ONLY_PREFIX, Img2Seq
from attnkit.pipelines.img2seq.data import image_lengths
from attnkit.pipelines.img2seq.recipe import PIPELINE, DecodeConfig, Img2SeqRecipe
from attnkit.recipe import recipe_from_dict, recipe_to_dict
from attnkit.run.checkpoint import Checkpoint, build_checked
from attnkit.run.meta import is_count, is_mapping, is_strings, load_run_checkpoint
from attnkit.runtime.onnx_graphs import OnnxStepDecoder, is_onnx_checkpoint

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

BLANK_LEVEL = 200  # no pixel darker than this: nothing is drawn
# what `predict` reads: a file path, a PIL image or a uint8 array (see `ImageReader.load_given`)
ImageInput = Union[str, Path, np.ndarray, "PILImage"]


@dataclass
class AtomReading:
    """An atom token of the output and where the model read it: (x, y) in pixels of the image
    it was given (the canvas when the image is not known)."""

    token: str
    x: float
    y: float


@dataclass
class Reading:
    """One image's output: text as the model wrote it; its tokens (one per attention row);
    confidence = exp(score), the probability the model gives the whole output (end token
    included), 0 when the output ran to the length limit without ending (noise, not a
    drawing); attention (T, P) per output token over the grid; points (T, 2): where each token
    looked, in pixels of the model's canvas. Molecule runs also give `canonical` (RDKit's
    canonical SMILES, None when the output does not parse) and `atoms`. score: the
    log-probability of the output (end token included when it ended, `finished`)."""

    text: str
    tokens: list[str]
    confidence: float
    attention: np.ndarray | None
    points: np.ndarray | None = None
    canonical: str | None = None
    atoms: list[AtomReading] = field(default_factory=list)
    score: float | None = None
    finished: bool = True

    @property
    def valid(self) -> bool:
        return self.canonical is not None


class ImageReader:
    """A trained model with its vocabulary and recipe, ready to read images."""

    def __init__(self, model: Img2Seq, vocab: TokenVocabulary, recipe: Img2SeqRecipe,
                 meta: dict[str, Any], device: torch.device) -> None:
        self.model, self.vocab, self.recipe, self.device = model.eval(), vocab, recipe, device
        self.max_length = int(meta["max_length"])
        self.molecules = bool(meta.get("molecules", recipe.data.tokenizer == "smiles"))

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> ImageReader:
        checkpoint = inference_checkpoint(load_run_checkpoint(path, PIPELINE, "an img2seq one", {
            "recipe": is_mapping, "vocab": is_strings, "max_length": is_count}))
        meta = checkpoint.meta
        recipe = recipe_from_dict(Img2SeqRecipe, meta["recipe"])
        vocab = TokenVocabulary.from_list(meta["vocab"])
        target = resolve_device(device)
        if is_onnx_checkpoint(checkpoint):  # an exported .onnx: ONNX Runtime runs it
            model = OnnxStepDecoder.from_checkpoint(checkpoint, device)
        else:
            model = build_checked(lambda: Img2Seq(len(vocab), recipe.model), checkpoint,
                                  target)
        return cls(model, vocab, recipe, meta, target)

    @property
    def image_size(self) -> int:
        return self.recipe.model.image_size

    def load(self, paths: Sequence[str | Path]) -> np.ndarray:
        """User images as the model reads them: uint8 (N, S, S)."""
        return np.stack([load_image(path, self.image_size) for path in paths])

    def load_placed(self, path: str | Path) -> tuple[np.ndarray, Placement]:
        """One user image as the model reads it (S, S), and where it lies on that canvas; a
        blank image (nothing drawn) is an AttnkitError."""
        image, placement = load_placed_image(path, self.image_size)
        return check_drawn(image, str(path)), placement

    def load_given(self, image: ImageInput, where: str) -> tuple[np.ndarray, Placement]:
        """A file, a PIL image or a uint8 array (H, W) gray or (H, W, 3|4) RGB(A), as the model
        reads it (S, S), and where it lies on that canvas; files as `load_placed` reads them."""
        from PIL import Image

        if isinstance(image, (str, Path)):
            return self.load_placed(image)
        if isinstance(image, np.ndarray):
            if image.dtype != np.uint8 or not (image.ndim == 2 or (
                    image.ndim == 3 and image.shape[2] in (3, 4))):
                raise AttnkitError(f"{where}: expected a uint8 array (H, W), (H, W, 3) or "
                                   f"(H, W, 4), got {image.dtype} {image.shape}")
            image = Image.fromarray(image)
        if not isinstance(image, Image.Image):
            raise AttnkitError(f"{where}: expected a file path, a PIL image or a uint8 array, "
                               f"got {type(image).__name__}")
        width, height = image.size
        if min(width, height) < 1 or max(width, height) > MAX_ASPECT * min(width, height):
            raise AttnkitError(f"{where} is {width} x {height} pixels: empty, or more than "
                               f"{MAX_ASPECT} times longer than wide; crop it first")
        canvas = fit_on_white(to_grayscale(image), self.image_size)
        return check_drawn(canvas, where), Placement.fitting(width, height, self.image_size)

    def is_valid(self, ids: list[int]) -> bool:
        return parse_molecule(self.vocab.decode(ids)) is not None

    def predict(self, images: Sequence[ImageInput], beam_width: int | None = None,
                prefer_valid: bool | None = None) -> list[Reading]:
        """A `Reading` per image, in order: its `text`, `confidence` and `attention` (T, P)
        over the model's grid; molecule runs add `canonical` SMILES and `atoms`, placed in
        pixels of the image given, as `attnkit predict` reports them. Images are files, PIL
        images or uint8 arrays (`load_given`); one that is unreadable, or blank, is an
        AttnkitError. `beam_width` and `prefer_valid` override the recipe's search."""
        if isinstance(images, (str, Path, np.ndarray)):
            raise AttnkitError("predict takes a list of images: predict([image]) for one")
        loaded = [self.load_given(image, f"image {number}")
                  for number, image in enumerate(images, start=1)]
        if not loaded:
            return []
        readings = self.read(np.stack([canvas for canvas, _ in loaded]), beam_width,
                             prefer_valid)
        return [place_atoms(reading, placement)
                for reading, (_, placement) in zip(readings, loaded, strict=True)]

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
            readings += [self.reading(hypothesis) for hypothesis in found]
        return readings

    def read_n_best(self, images: np.ndarray, n: int, beam_width: int | None = None,
                    batch_size: int = 250) -> list[list[Reading]]:
        """images (N, S, S) uint8 -> the `n` best readings of each, best first as the beam ranks
        them (score / length**length_penalty), by the model alone (`prefer_valid` plays no
        part). The beam (`beam_width`, else the recipe's) must be at least `n` wide."""
        decode = self.recipe.decode
        if beam_width is not None:
            decode = replace(decode, beam_width=beam_width)
        lists = []
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(np.array(images[start: start + batch_size])).to(self.device)
            with torch.no_grad():
                found = search_n_best(self.model, batch, image_lengths(self.model, batch),
                                      self.vocab.start_id, self.vocab.end_id, self.max_length,
                                      decode, n)
            lists += [[self.reading(hypothesis) for hypothesis in hypotheses]
                      for hypotheses in found]
        return lists

    def reading(self, hypothesis: Hypothesis) -> Reading:
        tokens = [self.vocab.tokens[i] for i in hypothesis.tokens]
        text = self.vocab.decode(hypothesis.tokens)
        confidence = float(np.exp(hypothesis.score)) if hypothesis.finished else 0.0
        reading = Reading(text, tokens, confidence, hypothesis.attention,
                          score=hypothesis.score, finished=hypothesis.finished)
        if hypothesis.attention is not None and len(tokens):
            reading.points = attended_points(hypothesis.attention,
                                             self.recipe.model.grid_size, self.image_size)
        if self.molecules:
            reading.canonical = canonical_smiles(text)
            if reading.points is not None:
                reading.atoms = [AtomReading(token, float(x), float(y))
                                 for token, (x, y) in zip(tokens, reading.points, strict=True)
                                 if is_atom_token(token)]
        return reading


def check_drawn(image: np.ndarray, where: str) -> np.ndarray:
    """The image (S, S), unless nothing is drawn on it (an AttnkitError)."""
    if int(image.min()) > BLANK_LEVEL:
        raise AttnkitError(f"{where}: the image is blank, there is no drawing to read")
    return image


def place_atoms(reading: Reading, placement: Placement) -> Reading:
    """The reading with its atoms' positions in pixels of the user's image."""
    atoms = []
    for atom in reading.atoms:
        x, y = placement.to_image(np.array([atom.x, atom.y]))
        atoms.append(AtomReading(atom.token, round(float(x), 1), round(float(y), 1)))
    return replace(reading, atoms=atoms)


def prediction_record(file: str, reading: Reading, placement: Placement,
                      molecules: bool) -> dict[str, Any]:
    """What `predict` reports for one image; atom positions in pixels of that image."""
    confidence = round(reading.confidence, 4)
    if not molecules:
        return {"file": file, "output": reading.text, "confidence": confidence}
    atoms = [{"token": atom.token, "x": atom.x, "y": atom.y}
             for atom in place_atoms(reading, placement).atoms]
    return {"file": file, "smiles": reading.text, "canonical_smiles": reading.canonical,
            "valid": reading.valid, "confidence": confidence, "atoms": atoms}


def inference_recipe(recipe: Img2SeqRecipe) -> Img2SeqRecipe:
    """The recipe of the model that reads: the training-only cell head left out."""
    return replace(recipe, model=replace(recipe.model, cell_head=False),
                   supervision=replace(recipe.supervision, cell_weight=0.0))


def inference_state(model_state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Model weights without the training-only cell head's."""
    return {key: value for key, value in model_state.items()
            if not key.startswith(TRAINING_ONLY_PREFIX)}


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


def inference_checkpoint(checkpoint: Checkpoint) -> Checkpoint:
    """The checkpoint as a reading model needs it: no cell head in its recipe or weights."""
    recipe = inference_recipe(recipe_from_dict(Img2SeqRecipe, checkpoint.meta["recipe"]))
    header = {**checkpoint.header, "meta": {**checkpoint.meta, "recipe": recipe_to_dict(recipe)}}
    return replace(checkpoint, header=header, model_state=inference_state(
        checkpoint.model_state), optimizer_state=None)
