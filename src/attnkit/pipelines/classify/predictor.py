"""A trained text classifier as a Python object: load a run, classify texts, show attention.

    classifier = attnkit.load("runs/imdb")  # TextClassifier.from_checkpoint("runs/imdb")
    [prediction] = classifier.predict(["This movie was a delight."])
    prediction.label, prediction.probability, prediction.weights
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from attnkit.data.bigrams import BigramTable
from attnkit.data.bucketing import token_budget_batches
from attnkit.data.ngrams import NgramTable
from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.data.word_vocab import OOV_ID, WordVocabulary
from attnkit.engine.device import move, resolve_device
from attnkit.errors import AttnkitError
from attnkit.models.classifier import AttentionClassifier, ClassifierConfig
from attnkit.models.stacked_classifier import StackedClassifier
from attnkit.pipelines.classify.data import EncodedDataset, collate, run_model
from attnkit.pipelines.classify.recipe import PIPELINE
from attnkit.progress import progress_bar
from attnkit.recipe import recipe_from_dict
from attnkit.run.checkpoint import build_checked
from attnkit.run.meta import (
    is_count,
    is_mapping,
    is_strings,
    load_run_checkpoint,
)
from attnkit.runtime.onnx_graphs import OnnxModule, is_onnx_checkpoint
from attnkit.viz.highlight import highlight_html, highlight_terminal

# what both kinds of classifier are called with (`data.run_model`), the ONNX graph too
MODEL_INPUTS = ("tokens", "lengths", "bigrams", "ngrams", "ngram_offsets")


class EncodedText(NamedTuple):
    """One text as the model reads it: ids of its last max_length tokens (S,), their bigram
    ids (S,) | None, the n-gram features of the whole text | None."""

    ids: np.ndarray
    bigrams: np.ndarray | None
    ngrams: np.ndarray | None


@dataclass(frozen=True)
class Prediction:
    """label and its probability, all class probabilities, and one attention weight per
    token the model saw (the last ``len(weights)`` tokens of the text)."""

    label: str
    probability: float
    probabilities: list[float]
    weights: list[float]

# Texts per batch unless told. On a CPU small batches of similar length waste less on padding
# and stay in cache: 32 read 676 IMDB training reviews/s, 256 513 (2 cores, shipped imdb).
TORCH_BATCH_SIZE = {"cpu": 32, "cuda": 256}
TOKENS_PER_ROW = 192  # a batch's padded tokens: at most this many per row of a full batch


class Classified(NamedTuple):
    """A batch's answer: probabilities (B, C), attention weights (B, S), lengths (B,)."""

    probabilities: np.ndarray
    weights: np.ndarray
    lengths: np.ndarray


class TextClassifier:
    """Tokenises raw text exactly as in training, classifies it, and explains it."""

    def __init__(self, model: AttentionClassifier | StackedClassifier, vocabulary: WordVocabulary,
                 tokenizer: TextTokenizer, class_names: Sequence[str], max_length: int,
                 bigrams: BigramTable | None = None, ngrams: NgramTable | None = None) -> None:
        self.model = model.eval()
        self.vocabulary, self.tokenizer, self.bigrams = vocabulary, tokenizer, bigrams
        self.ngrams = ngrams
        self.class_names, self.max_length = list(class_names), max_length

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto") -> TextClassifier:
        """A run folder (its best checkpoint) or a checkpoint file of this pipeline."""
        checkpoint = load_run_checkpoint(path, PIPELINE, "a classifier", {
            "recipe": is_mapping, "vocab": is_strings, "tokenizer": is_mapping,
            "classes": is_strings, "max_length": is_count})
        meta = checkpoint.meta
        config = classifier_config(meta, path)
        if len(meta["classes"]) != config.num_classes:
            raise AttnkitError(f"{path} names {len(meta['classes'])} classes for a model of "
                               f"{config.num_classes}")
        stacking = meta.get("ngrams")
        if stacking is not None and not (is_mapping(stacking) and all(
                is_count(stacking.get(key), 2**62) for key in ("table_size", "order", "base"))):
            raise AttnkitError(f"{path} has an invalid n-gram description: {stacking!r:.60}")

        def build() -> AttentionClassifier | StackedClassifier:
            attention = AttentionClassifier(config)
            return attention if stacking is None else \
                StackedClassifier(attention, stacking["table_size"])

        if is_onnx_checkpoint(checkpoint):  # an exported .onnx: ONNX Runtime runs it
            model = OnnxModule.from_checkpoint(checkpoint, device, MODEL_INPUTS,
                                               ("logits", "weights"))
        else:
            model = build_checked(build, checkpoint, resolve_device(device))
        ngrams = None
        if stacking is not None:
            ngrams = NgramTable(checkpoint.model_state["ngrams.keys"].cpu().numpy(),
                                stacking["order"], stacking["base"])
        bigrams = BigramTable(meta["bigrams"]) if meta.get("bigrams") is not None else None
        return cls(model, WordVocabulary.from_list(meta["vocab"]),
                   TextTokenizer.from_dict(meta["tokenizer"]), meta["classes"],
                   meta["max_length"], bigrams, ngrams)

    def encode(self, text: str, where: str = "text") -> EncodedText:
        """Ids (and bigram ids) of the last ``max_length`` tokens; empty or all-unknown text
        is an error."""
        words = self.tokenizer.tokenize(text)
        if not words:
            raise AttnkitError(f"{where}: empty text (no words after tokenizing), "
                               "nothing to classify")
        encoded = self._encode_words(words)
        if (encoded.ids == OOV_ID).all():
            raise AttnkitError(f"{where}: none of the {len(encoded.ids)} words the model reads "
                               f"is in its {len(self.vocabulary)}-entry vocabulary; nothing to "
                               "go on")
        return encoded

    def encode_lenient(self, text: str) -> EncodedText:
        """Like ``encode`` without the checks (for evaluation data)."""
        return self._encode_words(self.tokenizer.tokenize(text))

    def _encode_words(self, words: list[str]) -> EncodedText:
        all_ids = np.asarray(self.vocabulary.encode(words), dtype=np.int64)
        ids = all_ids[-self.max_length:]
        bigram_ids = None
        if self.bigrams is not None:
            bigram_ids = np.asarray(self.bigrams.encode(words)[-self.max_length:], dtype=np.int64)
        ngrams = None if self.ngrams is None else self.ngrams.text_features(all_ids)
        return EncodedText(ids, bigram_ids, ngrams)

    def dataset(self, encoded: Sequence[EncodedText],
                labels: Sequence[int] | None = None) -> EncodedDataset:
        """Encoded texts (and their class ids, else 0s) as a dataset ``predict_encoded`` reads."""
        labels = [0] * len(encoded) if labels is None else labels

        def column(name: str) -> list | None:
            values = [getattr(text, name) for text in encoded]
            return None if not values or values[0] is None else values

        return EncodedDataset(column("ids") or [], labels, column("bigrams"), column("ngrams"))

    def predict(self, texts: Sequence[str], batch_size: int | None = None,
                progress: bool = False, where: Sequence[str] | None = None) -> list[Prediction]:
        """One `Prediction` per text, in order: its ``label``, ``probability`` (and all class
        ``probabilities``) and attention ``weights`` over the tokens the model read; ``where``
        names each text in error messages. An empty or all-unknown text is an AttnkitError."""
        if isinstance(texts, str):
            raise AttnkitError("predict takes a list of texts: predict([text]) for one")
        names = where or [f"text {i + 1}" for i in range(len(texts))]
        encoded = [self.encode(text, name) for text, name in zip(texts, names, strict=True)]
        return self.predict_encoded(self.dataset(encoded), batch_size, progress)

    @property
    def batch_size(self) -> int:
        """The batch `predict` uses unless told: the one that runs fastest on the model's
        runtime (`TORCH_BATCH_SIZE` by device; ONNX Runtime `OnnxModule.batch_size`)."""
        if isinstance(self.model, OnnxModule):
            return self.model.batch_size
        device = next(self.model.parameters()).device.type
        return TORCH_BATCH_SIZE.get(device, TORCH_BATCH_SIZE["cuda"])

    def predict_encoded(self, dataset: EncodedDataset, batch_size: int | None = None,
                        progress: bool = False) -> list[Prediction]:
        """Predictions for an encoded dataset (``dataset``), in its order. Batches hold texts
        of similar length: at most `batch_size` of them and `TOKENS_PER_ROW` * `batch_size`
        padded tokens (`data.bucketing.token_budget_batches`); an ONNX model runs
        `OnnxModule.workers` batches at once."""
        size = batch_size or self.batch_size
        chunks = token_budget_batches(dataset.lengths, size, size * TOKENS_PER_ROW)
        workers = self.model.workers if isinstance(self.model, OnnxModule) else 1
        results: list[Prediction | None] = [None] * len(dataset)
        with ThreadPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
            answers = (pool.map if pool else map)(
                lambda chosen: self._classify(dataset, chosen), chunks)
            for chosen, answer in zip(chunks, progress_bar(
                    answers, shown=progress, total=len(chunks), desc="classifying",
                    unit="batch"), strict=True):
                for row, index in enumerate(chosen):
                    results[index] = self._prediction(
                        answer.probabilities[row], answer.weights[row, :answer.lengths[row]])
        return results  # type: ignore[return-value]

    @torch.inference_mode()
    def _classify(self, dataset: EncodedDataset, chosen: Sequence[int]) -> Classified:
        """The texts `chosen` of `dataset`, as one batch."""
        device = next(self.model.parameters(), torch.empty(0)).device  # none: ONNX, CPU
        batch = move(collate([dataset[i] for i in chosen]), device)
        logits, weights = run_model(self.model, batch)
        return Classified(self._probabilities(logits).cpu().numpy(),
                          weights.float().cpu().numpy(), batch["lengths"].cpu().numpy())

    def _probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        return class_probabilities(logits)

    def _prediction(self, probabilities: np.ndarray, weights: np.ndarray) -> Prediction:
        best = int(np.argmax(probabilities))
        return Prediction(self.class_names[best], float(probabilities[best]),
                          probabilities.tolist(), weights.tolist())

    def spans(self, text: str, prediction: Prediction) -> list[tuple[int, int]]:
        """Character spans in ``text`` of the tokens the weights belong to."""
        return self.tokenizer.token_spans(text)[-len(prediction.weights):]

    def render_terminal(self, text: str, prediction: Prediction, color: bool) -> str:
        spans = self.spans(text, prediction)
        return highlight_terminal(text, spans, prediction.weights, color)

    def render_html(self, text: str, prediction: Prediction) -> str:
        title = f"{prediction.label} ({prediction.probability:.3f})"
        caption = "Class probabilities: " + ", ".join(
            f"{name} {probability:.3f}" for name, probability
            in zip(self.class_names, prediction.probabilities, strict=True)) + \
            ". Tokens shaded by attention weight (hover for the weight)."
        return highlight_html(text, self.spans(text, prediction), prediction.weights,
                              title, caption)

    def top_tokens(self, text: str, prediction: Prediction, count: int = 5) -> list[tuple]:
        """The ``count`` most attended (token, weight) pairs."""
        words = self.tokenizer.tokenize(text)[-len(prediction.weights):]
        ranked = np.argsort(prediction.weights)[::-1][:count]
        return [(words[i], round(prediction.weights[i], 4)) for i in ranked]


def classifier_config(meta: dict, path: str | Path) -> ClassifierConfig:
    """The model as built: the recipe's model section (checkpoints written before it held the
    built model kept it as `meta["model"]`, which wins where present)."""
    described = meta.get("model", meta["recipe"].get("model"))
    if not is_mapping(described):
        raise AttnkitError(f"{path} has no valid model description in its classifier meta")
    return recipe_from_dict(ClassifierConfig, described, "model.")


def class_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """logits (B,) | (B, C) -> probabilities (B, C): a sigmoid for two classes, else a
    softmax."""
    if logits.dim() == 1:
        positive = torch.sigmoid(logits.float())
        return torch.stack([1 - positive, positive], dim=1)
    return torch.softmax(logits.float(), dim=1)
