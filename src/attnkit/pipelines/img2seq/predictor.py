"""Running a trained image-to-sequence model: images in, texts with confidence and attention out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import torch
from torch import Tensor

from attnkit.data.atom_targets import attended_points
from attnkit.data.chem import canonical_smiles, parse_molecule
from attnkit.data.images import Placement, read_image
from attnkit.data.smiles_tokenizer import TokenVocabulary, is_atom_token
from attnkit.decoding import (
    Hypothesis,
    normalised_score,
)
from attnkit.errors import AttnkitError
from attnkit.models.img2seq import TRAINING_ONLY_PREFIX
from attnkit.models.img2seq_kinds import ImageToSequence, build_img2seq
from attnkit.pipelines.img2seq.calibration import confidence as calibrated_confidence
from attnkit.pipelines.img2seq.recipe import PIPELINE, Img2SeqRecipe
from attnkit.pipelines.img2seq.results import AtomReading, Reading
from attnkit.pipelines.img2seq.search import output_grammar, search_views
from attnkit.pipelines.prediction import check_input_list, with_beam_width
from attnkit.recipe import recipe_from_dict, recipe_to_dict
from attnkit.run.checkpoint import Checkpoint
from attnkit.run.meta import is_count, is_mapping, is_strings, load_run_checkpoint
from attnkit.runtime.runtimes import runtime_for

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

BLANK_LEVEL = 200  # no pixel darker than this: nothing is drawn
# what `predict` reads: a file path, a PIL image or a uint8 array (`data.images.read_image`)
ImageInput = Union[str, Path, np.ndarray, "PILImage"]


class ImageReader:
    """A trained model with its vocabulary and recipe, ready to read images."""

    def __init__(self, model: ImageToSequence, vocab: TokenVocabulary, recipe: Img2SeqRecipe,
                 meta: dict[str, Any], device: torch.device) -> None:
        self.model, self.vocab, self.recipe, self.device = model.eval(), vocab, recipe, device
        self.max_length = int(meta["max_length"])
        self.molecules = bool(meta.get("molecules", recipe.data.tokenizer == "smiles"))
        self.grammar = output_grammar(vocab, recipe)

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> ImageReader:
        checkpoint = inference_checkpoint(load_run_checkpoint(path, PIPELINE, "an img2seq one", {
            "recipe": is_mapping, "vocab": is_strings, "max_length": is_count}))
        meta = checkpoint.meta
        recipe = recipe_from_dict(Img2SeqRecipe, meta["recipe"])
        vocab = TokenVocabulary.from_list(meta["vocab"])
        runtime = runtime_for(checkpoint, device)
        model = runtime.step_decoder(checkpoint, lambda: build_img2seq(
            len(vocab), recipe.model, int(meta["max_length"])))
        return cls(model, vocab, recipe, meta, runtime.device)

    @property
    def image_size(self) -> int:
        return self.recipe.model.image_size

    def describe(self) -> dict[str, Any]:
        return {"molecules": self.molecules, "grid_size": self.recipe.model.grid_size,
                "image_size": self.image_size}

    def is_valid(self, ids: list[int]) -> bool:
        return parse_molecule(self.vocab.decode(ids)) is not None

    def predict(self, images: Sequence[ImageInput], beam_width: int | None = None,
                prefer_valid: bool | None = None, n_best: int | None = None,
                names: Sequence[str] | None = None, batch_size: int = 250,
                fallback: str | None = None) -> list[Reading]:
        """A `Reading` per image, in order: its `text`, `confidence` and `attention` (T, P)
        over the model's grid; molecule runs add `canonical` SMILES and `atoms`, placed in
        pixels of the image given. Images are files, PIL images or uint8 arrays
        (`data.images.read_image`, the one way images come in); one that is unreadable, or
        blank, is an AttnkitError. `beam_width` and `prefer_valid` override the recipe's
        search (`beam_width=1`, greedy, also reads only the image as given, not the recipe's
        `decode.rotations`); `n_best` adds that many outputs of the same beam (of the image as
        given); `names` name
        the images in the records (default: the file name, else "image N"); `fallback="osra"`
        has OSRA read the images the model flags as unsure (`img2seq.osra`)."""
        results = self.predict_each(images, beam_width, prefer_valid, n_best, names, batch_size,
                                    fallback)
        for result in results:
            if isinstance(result, AttnkitError):
                raise result
        return results  # type: ignore[return-value]

    def predict_each(self, images: Sequence[ImageInput], beam_width: int | None = None,
                     prefer_valid: bool | None = None, n_best: int | None = None,
                     names: Sequence[str] | None = None, batch_size: int = 250,
                     fallback: str | None = None) -> list[Reading | AttnkitError]:
        """As `predict`, with the AttnkitError of an image it cannot read in its place."""
        if fallback is not None:
            self.check_fallback(fallback)
        if isinstance(images, np.ndarray):
            raise AttnkitError("predict takes a list of images: predict([image]) for one, got "
                               "an array")
        check_input_list(images, "images", "image")
        with_beam_width(self.recipe.decode, beam_width)  # checked before any image is read
        names = list(names) if names is not None else [
            str(image) if isinstance(image, (str, Path)) else f"image {number}"
            for number, image in enumerate(images, start=1)]
        loaded: list[tuple[np.ndarray, Placement] | AttnkitError] = []
        for image, name in zip(images, names, strict=True):
            try:
                canvas, placement = read_image(image, self.image_size, name,
                                               self.recipe.data.crop_to_ink)
                loaded.append((check_drawn(canvas, name), placement))
            except AttnkitError as error:
                loaded.append(error)
        readable = [item for item in loaded if not isinstance(item, AttnkitError)]
        readings = iter(self.predict_encoded(np.stack([canvas for canvas, _ in readable]),
                                             beam_width, prefer_valid, n_best, batch_size)
                        if readable else [])
        results = [item if isinstance(item, AttnkitError) else
                   place_atoms(next(readings), item[1], name)
                   for item, name in zip(loaded, names, strict=True)]
        if fallback is not None:
            results = read_flagged_by_osra(results, images, names)
        return results

    def check_fallback(self, fallback: str) -> None:
        """An AttnkitError unless `fallback` is a known second reader that can serve this model
        (it must read molecules and flag its unsure readings) and is installed."""
        from attnkit.pipelines.img2seq.osra import FALLBACKS, check_osra

        if fallback not in FALLBACKS:
            raise AttnkitError(f"fallback must be one of {', '.join(FALLBACKS)}, got "
                               f"{fallback!r}")
        if not self.molecules or self.recipe.decode.confidence_scale <= 0:
            raise AttnkitError("--fallback osra needs a molecules model with a calibrated "
                               "confidence (such as the shipped molecules): it is what "
                               "decides which drawings OSRA reads")
        check_osra()

    def predict_encoded(self, images: np.ndarray, beam_width: int | None = None,
                        prefer_valid: bool | None = None, n_best: int | None = None,
                        batch_size: int = 250) -> list[Reading]:
        """images (N, S, S) uint8 on the model's canvas -> N readings, searched in batches."""
        decode = with_beam_width(self.recipe.decode, beam_width)
        if beam_width == 1 or n_best:  # greedy (the fast path), or one beam's n best: one
            decode = replace(decode, rotations=(0,))  # search, of the image as given
        if prefer_valid is not None:
            decode = replace(decode, prefer_valid=prefer_valid)
        validity = self.is_valid if self.molecules else None
        readings = []
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(np.array(images[start: start + batch_size]))  # copy: memmap
            with torch.no_grad():
                found = search_views(self.model, batch.to(self.device), decode,
                                     self.vocab.start_id, self.vocab.end_id, self.max_length,
                                     self.recipe.model.grid_size, validity, n_best, self.grammar)
            for best, others in found:
                reading = self.reading(best, decode.length_penalty)
                reading.n_best = [self.reading(other, decode.length_penalty)
                                  for other in others]
                readings.append(reading)
        return readings

    def reading(self, hypothesis: Hypothesis, length_penalty: float = 1.0) -> Reading:
        tokens = [self.vocab.tokens[i] for i in hypothesis.tokens]
        text = self.vocab.decode(hypothesis.tokens)
        confidence = float(np.exp(hypothesis.score)) if hypothesis.finished else 0.0
        decode = self.recipe.decode
        calibrated = calibrated_confidence(
            hypothesis.score if hypothesis.finished else None, decode.confidence_scale,
            decode.confidence_shift) if decode.confidence_scale > 0 else None
        reading = Reading(text, tokens, confidence, hypothesis.attention,
                          calibrated=calibrated, flagged=None if calibrated is None
                          else calibrated < decode.flag_below,
                          score=hypothesis.score, finished=hypothesis.finished,
                          grid_size=self.recipe.model.grid_size, canvas_size=self.image_size,
                          molecules=self.molecules,
                          normalized_score=normalised_score(hypothesis, length_penalty))
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


def read_flagged_by_osra(results: list[Reading | AttnkitError], images: Sequence[ImageInput],
                         names: Sequence[str]) -> list[Reading | AttnkitError]:
    """Each flagged reading replaced by OSRA's molecule where OSRA finds one; every reading
    then names who read it (`Reading.read_by`)."""
    from attnkit.data.images import own_size_picture
    from attnkit.pipelines.img2seq.osra import osra_readings

    flagged = [i for i, result in enumerate(results)
               if isinstance(result, Reading) and result.flagged]
    found = osra_readings([lambda i=i: own_size_picture(images[i], names[i]) for i in flagged])
    for i, smiles in zip(flagged, found, strict=True):
        if smiles is not None:
            results[i] = results[i].read_by_fallback("osra", smiles)  # type: ignore[union-attr]
    for result in results:
        if isinstance(result, Reading) and result.read_by is None:
            result.read_by = "attnkit"
    return results


def check_drawn(image: np.ndarray, where: str) -> np.ndarray:
    """The image (S, S), unless nothing is drawn on it (an AttnkitError)."""
    if int(image.min()) > BLANK_LEVEL:
        raise AttnkitError(f"{where}: the image is blank, there is no drawing to read")
    return image


def place_atoms(reading: Reading, placement: Placement, name: str | None) -> Reading:
    """The reading of the image `name`, with where it lies on the canvas, and its atoms'
    positions in pixels of that image."""
    atoms = []
    for atom in reading.atoms:
        x, y = placement.to_image(np.array([atom.x, atom.y]))
        atoms.append(AtomReading(atom.token, round(float(x), 1), round(float(y), 1)))
    return replace(reading, atoms=atoms, placement=placement, input=name)


def inference_recipe(recipe: Img2SeqRecipe) -> Img2SeqRecipe:
    """The recipe of the model that reads: the training-only cell head left out."""
    return replace(recipe, model=replace(recipe.model, cell_head=False),
                   supervision=replace(recipe.supervision, cell_weight=0.0))


def inference_state(model_state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Model weights without the training-only cell head's."""
    return {key: value for key, value in model_state.items()
            if not key.startswith(TRAINING_ONLY_PREFIX)}


def inference_checkpoint(checkpoint: Checkpoint) -> Checkpoint:
    """The checkpoint as a reading model needs it: no cell head in its recipe or weights."""
    recipe = inference_recipe(recipe_from_dict(Img2SeqRecipe, checkpoint.meta["recipe"]))
    header = {**checkpoint.header, "meta": {**checkpoint.meta, "recipe": recipe_to_dict(recipe)}}
    return replace(checkpoint, header=header, model_state=inference_state(
        checkpoint.model_state), optimizer_state=None)
