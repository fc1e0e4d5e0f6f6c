"""A predictor's typed results as the JSON answers of `POST /api/{model}/predict`.

Every answer has `output` (the model's answer as text), `score` (the probability the model
gives that output: the label's probability, or exp of a sequence's log-probability) and
`attention` (lists of weights, rows summing to 1; null for a model without attention), in the
order of the inputs. Each pipeline adds what its view needs to draw the attention.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from attnkit.data.images import Placement
from attnkit.errors import AttnkitError

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from attnkit.pipelines.classify.predictor import TextClassifier
    from attnkit.pipelines.img2seq.predictor import ImageReader, Reading
    from attnkit.pipelines.seq2seq.predictor import Translator

DIGITS = 5  # attention weights are shown, not recomputed: 5 decimals keep answers small


def weights_list(weights: np.ndarray | None) -> list | None:
    return None if weights is None else np.round(np.asarray(weights, np.float64), DIGITS).tolist()


def translation_answers(translator: Translator, texts: Sequence[str]) -> list[dict[str, Any]]:
    """`input_tokens` (the source characters, the columns of `attention`) and `output_tokens`
    (its rows); `log_probability` of the output, its end included."""
    for number, text in enumerate(texts, start=1):
        try:
            translator.check(text.strip())
        except AttnkitError as error:
            raise AttnkitError(f"text {number}: {error}") from None
    answers = []
    for translation in translator.predict(texts):
        answers.append({
            "output": translation.output, "score": round(math.exp(translation.score), DIGITS),
            "log_probability": round(translation.score, DIGITS),
            "attention": weights_list(translation.attention),
            "input_tokens": list(translation.source),
            "output_tokens": translation.output_tokens})
    return answers


def classification_answers(classifier: TextClassifier,
                           texts: Sequence[str]) -> list[dict[str, Any]]:
    """`label`, `probabilities` ([{label, probability}] in the model's class order), and one
    attention weight per token the model read: `tokens` and their character `spans` in the
    input (a long text is read from its end, so the first tokens may have no weight)."""
    answers = []
    for text, prediction in zip(texts, classifier.predict(texts), strict=True):
        spans = [list(span) for span in classifier.spans(text, prediction)]
        answers.append({
            "output": prediction.label, "label": prediction.label,
            "score": round(prediction.probability, DIGITS),
            "probabilities": [{"label": name, "probability": round(probability, DIGITS)}
                              for name, probability in zip(classifier.class_names,
                                                           prediction.probabilities,
                                                           strict=True)],
            "attention": weights_list(prediction.weights),
            "tokens": [text[start:end] for start, end in spans], "spans": spans})
    return answers


def reading_answers(reader: ImageReader, images: Sequence[PILImage]) -> list[dict[str, Any]]:
    """`output_tokens` (the rows of `attention`); `attention` (T, P) over the model's grid of
    `grid` x `grid` cells, row by row; `points` (T, 2): where each token looked; `canvas`: the
    model's square canvas (`size` pixels, the unit of `points`) and where the image lies on it
    (scaled by `scale`, its corner at `left`, `top`). Molecule models add `smiles`,
    `canonical_smiles` (null when RDKit cannot parse it), `valid`, `confidence` and `atoms`:
    each atom token and where the model read it, in pixels of the image sent."""
    answers = []
    for image, reading in zip(images, reader.predict(images), strict=True):
        placement = Placement.fitting(*image.size, reader.image_size)
        answers.append(reading_answer(reader, reading, placement))
    return answers


def reading_answer(reader: ImageReader, reading: Reading,
                   placement: Placement) -> dict[str, Any]:
    answer = {
        "output": reading.text, "score": round(reading.confidence, DIGITS),
        "attention": weights_list(reading.attention), "output_tokens": reading.tokens,
        "points": None if reading.points is None else np.round(reading.points, 1).tolist(),
        "grid": reader.recipe.model.grid_size,
        "canvas": {"size": reader.image_size, "scale": placement.scale,
                   "left": placement.left, "top": placement.top,
                   "width": placement.width, "height": placement.height}}
    if reader.molecules:
        answer.update({
            "smiles": reading.text, "canonical_smiles": reading.canonical,
            "valid": reading.valid, "confidence": round(reading.confidence, DIGITS),
            "atoms": [{"token": atom.token, "x": atom.x, "y": atom.y}
                      for atom in reading.atoms]})
    return answer
