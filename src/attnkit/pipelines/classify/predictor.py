"""A trained text classifier as a Python object: load a run, classify texts, show attention.

    classifier = attnkit.load("runs/imdb")  # TextClassifier.from_checkpoint("runs/imdb")
    [prediction] = classifier.predict(["This movie was a delight."])
    prediction.label, prediction.probability, prediction.weights, prediction.to_record()
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from attnkit.data.bigrams import BigramTable
from attnkit.data.bucketing import token_budget_batches
from attnkit.data.ngrams import NgramTable
from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.data.word_vocab import OOV_ID, WordVocabulary
from attnkit.engine.device import move
from attnkit.errors import AttnkitError
from attnkit.models.classifier_kinds import (
    ClassifierModelConfig,
    KindedClassifier,
    build_classifier,
)
from attnkit.models.stacked_classifier import StackedClassifier
from attnkit.models.transformer_classifier import TransformerClassifier
from attnkit.pipelines.classify.data import EncodedDataset, collate, run_model
from attnkit.pipelines.classify.recipe import PIPELINE
from attnkit.pipelines.classify.results import Prediction
from attnkit.pipelines.prediction import HeadView, check_input_list
from attnkit.progress import progress_bar
from attnkit.recipe import recipe_from_dict
from attnkit.run.meta import is_count, is_mapping, is_strings, load_run_checkpoint
from attnkit.runtime.runtimes import Runtime, runtime_for
from attnkit.viz.highlight import highlight_html, highlight_terminal

# what both kinds of classifier are called with (`data.run_model`), the ONNX graph too
MODEL_INPUTS = ("tokens", "lengths", "bigrams", "ngrams", "ngram_offsets")
# Texts per batch unless told. On a CPU small batches of similar length waste less on padding
# and stay in cache: 32 read 676 IMDB training reviews/s, 256 513 (2 cores, shipped imdb).
TORCH_BATCH_SIZE = {"cpu": 32, "cuda": 256}
TOKENS_PER_ROW = 192  # a batch's padded tokens: at most this many per row of a full batch


class EncodedText(NamedTuple):
    """One text as the model reads it: ids of its last max_length tokens (S,), their bigram
    ids (S,) | None, the n-gram features of the whole text | None."""

    ids: np.ndarray
    bigrams: np.ndarray | None
    ngrams: np.ndarray | None


class Classified(NamedTuple):
    """A batch's answer: probabilities (B, C), attention weights (B, S), lengths (B,)."""

    probabilities: np.ndarray
    weights: np.ndarray
    lengths: np.ndarray


class TextClassifier:
    """Tokenises raw text exactly as in training, classifies it, and explains it."""

    def __init__(self, model: Any, vocabulary: WordVocabulary, tokenizer: TextTokenizer,
                 class_names: Sequence[str], max_length: int, runtime: Runtime,
                 bigrams: BigramTable | None = None, ngrams: NgramTable | None = None) -> None:
        self.model = model.eval()
        self.vocabulary, self.tokenizer, self.bigrams = vocabulary, tokenizer, bigrams
        self.ngrams, self.runtime = ngrams, runtime
        self.class_names, self.max_length = list(class_names), max_length

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto") -> TextClassifier:
        """A run folder (its best checkpoint), a checkpoint file or an export of this
        pipeline, run by the runtime it needs (`runtime.runtimes.runtime_for`)."""
        checkpoint = load_run_checkpoint(path, PIPELINE, "a classifier", {
            "recipe": is_mapping, "vocab": is_strings, "tokenizer": is_mapping,
            "classes": is_strings, "max_length": is_count})
        meta = checkpoint.meta
        config = classifier_config(meta, path)
        try:  # before any model is built: a serve start fails here, in one line
            tokenizer = TextTokenizer.from_dict(meta["tokenizer"])
        except AttnkitError as error:
            raise AttnkitError(f"{path}: {error}") from None
        if len(meta["classes"]) != config.num_classes:
            raise AttnkitError(f"{path} names {len(meta['classes'])} classes for a model of "
                               f"{config.num_classes}")
        stacking = meta.get("ngrams")
        if stacking is not None and not (is_mapping(stacking) and all(
                is_count(stacking.get(key), 2**62) for key in ("table_size", "order", "base"))):
            raise AttnkitError(f"{path} has an invalid n-gram description: {stacking!r:.60}")

        def build() -> KindedClassifier | StackedClassifier:
            attention = build_classifier(config, meta["max_length"])
            return attention if stacking is None else \
                StackedClassifier(attention, stacking["table_size"])

        runtime = runtime_for(checkpoint, device)
        model = runtime.module(checkpoint, build, MODEL_INPUTS, ("logits", "weights"))
        ngrams = None
        if stacking is not None:
            ngrams = NgramTable(checkpoint.model_state["ngrams.keys"].cpu().numpy(),
                                stacking["order"], stacking["base"])
        bigrams = BigramTable(meta["bigrams"]) if meta.get("bigrams") is not None else None
        return cls(model, WordVocabulary.from_list(meta["vocab"]),
                   tokenizer, meta["classes"],
                   meta["max_length"], runtime, bigrams, ngrams)

    def describe(self) -> dict[str, Any]:
        return {"classes": list(self.class_names), "heads": self.has_heads}

    @property
    def has_heads(self) -> bool:
        """Whether every layer's and head's self-attention can be shown (a Transformer run
        by torch)."""
        return isinstance(self.self_attending(), TransformerClassifier)

    def self_attending(self) -> Any:
        """The model whose self-attention `self_attention` reads (the attention half of a
        stacked classifier)."""
        return self.model.attention if isinstance(self.model, StackedClassifier) else self.model

    def encode(self, text: str, where: str = "text") -> EncodedText:
        """Ids (and bigram ids) of the last ``max_length`` tokens; empty or all-unknown text
        is an error."""
        if not isinstance(text, str):
            raise AttnkitError(f"{where}: expected a text, got {type(text).__name__}")
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
                progress: bool = False, where: Sequence[str] | None = None,
                n_best: int | None = None) -> list[Prediction]:
        """One `Prediction` per text, in order: its ``label``, ``probability`` (and all class
        ``probabilities``) and attention ``weights`` over the tokens the model read; ``where``
        names each text in error messages; ``n_best``: the record lists that many classes.
        An empty or all-unknown text is an AttnkitError."""
        results = self.predict_each(texts, batch_size, progress, where, n_best)
        for result in results:
            if isinstance(result, AttnkitError):
                raise result
        return results  # type: ignore[return-value]

    def predict_each(self, texts: Sequence[str], batch_size: int | None = None,
                     progress: bool = False, where: Sequence[str] | None = None,
                     n_best: int | None = None) -> list[Prediction | AttnkitError]:
        """As `predict`, with the AttnkitError of a text the model cannot read in its place."""
        check_input_list(texts, "texts", "text")
        if n_best is not None and not 1 <= n_best <= len(self.class_names):
            raise AttnkitError(f"n_best {n_best}: this classifier has {len(self.class_names)} "
                               f"classes ({', '.join(self.class_names)})")
        names = where or [f"text {i + 1}" for i in range(len(texts))]
        encoded: list[EncodedText | AttnkitError] = []
        for text, name in zip(texts, names, strict=True):
            try:
                encoded.append(self.encode(text, name))
            except AttnkitError as error:
                encoded.append(error)
        readable = [item for item in encoded if not isinstance(item, AttnkitError)]
        found = iter(self.predict_encoded(self.dataset(readable), batch_size, progress))
        return [item if isinstance(item, AttnkitError) else self.described(next(found), text,
                                                                           n_best or 0)
                for item, text in zip(encoded, texts, strict=True)]

    def described(self, prediction: Prediction, text: str, n_best: int) -> Prediction:
        """The prediction with its text, the tokens its weights belong to (as written in the
        text) and their spans."""
        count = len(prediction.weights)
        spans = self.tokenizer.token_spans(text)[-count:] if count else []
        tokens = [text[start:end] for start, end in spans]  # as the user wrote them
        return Prediction(prediction.label, prediction.probability, prediction.probabilities,
                          prediction.weights, prediction.classes, text, tokens, spans, n_best)

    @property
    def batch_size(self) -> int:
        """The batch `predict` uses unless told: the one that runs fastest on the model's
        runtime (ONNX Runtime's own, else `TORCH_BATCH_SIZE` by device)."""
        return self.runtime.batch_size or TORCH_BATCH_SIZE.get(self.runtime.device.type,
                                                               TORCH_BATCH_SIZE["cuda"])

    def predict_encoded(self, dataset: EncodedDataset, batch_size: int | None = None,
                        progress: bool = False) -> list[Prediction]:
        """Predictions for an encoded dataset (``dataset``), in its order. Batches hold texts
        of similar length: at most `batch_size` of them and `TOKENS_PER_ROW` * `batch_size`
        padded tokens (`data.bucketing.token_budget_batches`); the runtime's `parallel_calls`
        batches run at once."""
        size = batch_size or self.batch_size
        chunks = token_budget_batches(dataset.lengths, size, size * TOKENS_PER_ROW)
        workers = self.runtime.parallel_calls
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
        batch = move(collate([dataset[i] for i in chosen]), self.runtime.device)
        logits, weights = run_model(self.model, batch)
        return Classified(class_probabilities(logits).cpu().numpy(),
                          weights.float().cpu().numpy(), batch["lengths"].cpu().numpy())

    def _prediction(self, probabilities: np.ndarray, weights: np.ndarray) -> Prediction:
        best = int(np.argmax(probabilities))
        return Prediction(self.class_names[best], float(probabilities[best]),
                          probabilities.tolist(), weights.tolist(), self.class_names)

    @torch.inference_mode()
    def self_attention(self, text: str) -> tuple[np.ndarray, list[str]]:
        """A Transformer classifier's self-attention over `text`: weights (layers, heads, S, S)
        over the S tokens it reads (the last ones of a long text), and those tokens as the text
        writes them. A BiLSTM, or an ONNX export, has none to show: an AttnkitError."""
        model = self.self_attending()
        if not isinstance(model, TransformerClassifier):
            raise AttnkitError("self-attention heads need a Transformer classifier "
                               "(model.kind: transformer) run by torch, not an ONNX export")
        encoded = self.encode(text)
        batch = move(collate([self.dataset([encoded])[0]]), self.runtime.device)
        weights = model.self_attention(batch["tokens"], batch["lengths"], batch.get("bigrams"))
        spans = self.tokenizer.token_spans(text)[-len(encoded.ids):]
        return weights[0].float().cpu().numpy(), [text[start:end] for start, end in spans]

    def head_view(self, text: str) -> HeadView:
        """`self_attention(text)` as the record `attnkit serve` shows: each token of the
        text over every token, in each layer and head, beside the label."""
        weights, tokens = self.self_attention(text)
        [prediction] = self.predict([text])
        return HeadView("self-attention", prediction.label, tokens, tokens, weights)

    def render_terminal(self, prediction: Prediction, color: bool) -> str:
        return highlight_terminal(prediction.text or "", prediction.spans, prediction.weights,
                                  color)

    def render_html(self, prediction: Prediction) -> str:
        title = f"{prediction.label} ({prediction.probability:.3f})"
        caption = "Class probabilities: " + ", ".join(
            f"{name} {probability:.3f}" for name, probability
            in zip(self.class_names, prediction.probabilities, strict=True)) + \
            ". Tokens shaded by attention weight (hover for the weight)."
        if note := prediction.near_even_note():
            caption += f" Note: {note}."
        return highlight_html(prediction.text or "", prediction.spans, prediction.weights,
                              title, caption)


def classifier_config(meta: dict, path: str | Path) -> ClassifierModelConfig:
    """The model as built: the recipe's model section (checkpoints written before it held the
    built model kept it as `meta["model"]`, which wins where present; sections without `kind`
    are BiLSTMs)."""
    described = meta.get("model", meta["recipe"].get("model"))
    if not is_mapping(described):
        raise AttnkitError(f"{path} has no valid model description in its classifier meta")
    return recipe_from_dict(ClassifierModelConfig, described, "model.")


def class_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """logits (B,) | (B, C) -> probabilities (B, C): a sigmoid for two classes, else a
    softmax."""
    if logits.dim() == 1:
        positive = torch.sigmoid(logits.float())
        return torch.stack([1 - positive, positive], dim=1)
    return torch.softmax(logits.float(), dim=1)
