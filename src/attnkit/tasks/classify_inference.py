"""A trained text classifier as a Python object: load a run, classify texts, show attention.

    classifier = TextClassifier.from_checkpoint("runs/imdb")
    [prediction] = classifier.predict(["This movie was a delight."])
    prediction.label, prediction.probability, prediction.weights
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from attnkit.data.bigrams import BigramTable
from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.data.word_vocab import OOV_ID, WordVocabulary
from attnkit.engine.checkpoint import load_checkpoint, load_model_state
from attnkit.engine.device import resolve_device
from attnkit.errors import AttnkitError
from attnkit.models.classifier import AttentionClassifier, ClassifierConfig
from attnkit.tasks.classify_data import EncodedDataset, collate
from attnkit.tasks.classify_recipe import TASK_NAME
from attnkit.viz.highlight import highlight_html, highlight_terminal

EncodedText = tuple[np.ndarray, np.ndarray | None]  # ids (S,), bigram ids (S,) | None


@dataclass(frozen=True)
class Prediction:
    """label and its probability, all class probabilities, and one attention weight per
    token the model saw (the last ``len(weights)`` tokens of the text)."""

    label: str
    probability: float
    probabilities: list[float]
    weights: list[float]


def checkpoint_meta(recipe: Any, model_config: ClassifierConfig, vocabulary: WordVocabulary,
                    tokenizer: TextTokenizer, class_names: list[str], max_length: int,
                    source: dict[str, Any], bigrams: BigramTable | None = None) -> dict[str, Any]:
    """What a checkpoint needs to rebuild the classifier and its preprocessing alone."""
    from attnkit.recipe import recipe_to_dict

    return {"task": TASK_NAME, "recipe": recipe_to_dict(recipe),
            "model": dataclasses.asdict(model_config), "vocab": vocabulary.to_list(),
            "tokenizer": tokenizer.to_dict(), "classes": class_names,
            "max_length": max_length, "source": source,
            "bigrams": bigrams.pairs if bigrams is not None else None}


class TextClassifier:
    """Tokenises raw text exactly as in training, classifies it, and explains it."""

    def __init__(self, model: AttentionClassifier, vocabulary: WordVocabulary,
                 tokenizer: TextTokenizer, class_names: Sequence[str], max_length: int,
                 bigrams: BigramTable | None = None) -> None:
        self.model = model.eval()
        self.vocabulary, self.tokenizer, self.bigrams = vocabulary, tokenizer, bigrams
        self.class_names, self.max_length = list(class_names), max_length

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto") -> TextClassifier:
        """A run folder (its best checkpoint) or a checkpoint file of this task."""
        checkpoint = load_checkpoint(path)
        meta = checkpoint.meta
        if meta.get("task") != TASK_NAME:
            raise AttnkitError(f"{path} holds a {meta.get('task')!r} model, not a classifier")
        model = AttentionClassifier(ClassifierConfig(**meta["model"]))
        load_model_state(model, checkpoint)
        model.to(resolve_device(device))
        bigrams = BigramTable(meta["bigrams"]) if meta.get("bigrams") is not None else None
        return cls(model, WordVocabulary.from_list(meta["vocab"]),
                   TextTokenizer.from_dict(meta["tokenizer"]), meta["classes"],
                   meta["max_length"], bigrams)

    def encode(self, text: str, where: str = "text") -> EncodedText:
        """Ids (and bigram ids) of the last ``max_length`` tokens; empty or all-unknown text
        is an error."""
        words = self.tokenizer.tokenize(text)
        if not words:
            raise AttnkitError(f"{where}: empty text (no words after tokenizing), "
                               "nothing to classify")
        ids, bigram_ids = self._encode_words(words)
        if (ids == OOV_ID).all():
            raise AttnkitError(f"{where}: none of the {len(ids)} words the model reads is in its "
                               f"{len(self.vocabulary)}-entry vocabulary; nothing to go on")
        return ids, bigram_ids

    def encode_lenient(self, text: str) -> EncodedText:
        """Like ``encode`` without the checks (for evaluation data)."""
        return self._encode_words(self.tokenizer.tokenize(text))

    def _encode_words(self, words: list[str]) -> EncodedText:
        ids = np.asarray(self.vocabulary.encode(words[-self.max_length:]), dtype=np.int64)
        if self.bigrams is None:
            return ids, None
        bigram_ids = self.bigrams.encode(words)[-self.max_length:]
        return ids, np.asarray(bigram_ids, dtype=np.int64)

    def predict(self, texts: Sequence[str], batch_size: int = 256, progress: bool = False,
                where: Sequence[str] | None = None) -> list[Prediction]:
        """One prediction per text, in order; ``where`` names each text in error messages."""
        names = where or [f"text {i + 1}" for i in range(len(texts))]
        encoded = [self.encode(text, name) for text, name in zip(texts, names, strict=True)]
        bigrams = None if self.bigrams is None else [pair[1] for pair in encoded]
        return self.predict_encoded([pair[0] for pair in encoded], batch_size, progress, bigrams)

    @torch.inference_mode()
    def predict_encoded(self, sequences: Sequence[np.ndarray], batch_size: int = 256,
                        progress: bool = False,
                        bigram_sequences: Sequence[np.ndarray] | None = None) -> list[Prediction]:
        """Predictions for id sequences (and their bigram ids when the model uses them);
        batches hold texts of similar length."""
        dataset = EncodedDataset(sequences, [0] * len(sequences), bigram_sequences)
        order = np.argsort(dataset.lengths, kind="stable")
        device = next(self.model.parameters()).device
        results: list[Prediction | None] = [None] * len(sequences)
        starts = range(0, len(order), batch_size)
        for start in tqdm(starts, desc="classifying", disable=not progress, unit="batch"):
            chosen = order[start:start + batch_size]
            batch = collate([dataset[i] for i in chosen])
            bigrams = batch["bigrams"].to(device) if "bigrams" in batch else None
            logits, weights = self.model(batch["tokens"].to(device), batch["lengths"].to(device),
                                         bigrams)
            probabilities = self._probabilities(logits).cpu().numpy()
            weights = weights.float().cpu().numpy()
            for row, index in enumerate(chosen):
                results[index] = self._prediction(probabilities[row],
                                                  weights[row, : dataset.lengths[index]])
        return results  # type: ignore[return-value]

    def _probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """logits (B,) | (B, C) -> probabilities (B, C)."""
        if logits.dim() == 1:
            positive = torch.sigmoid(logits.float())
            return torch.stack([1 - positive, positive], dim=1)
        return torch.softmax(logits.float(), dim=1)

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
        caption = "Tokens shaded by attention weight (hover for the weight)."
        return highlight_html(text, self.spans(text, prediction), prediction.weights,
                              title, caption)

    def top_tokens(self, text: str, prediction: Prediction, count: int = 5) -> list[tuple]:
        """The ``count`` most attended (token, weight) pairs."""
        words = self.tokenizer.tokenize(text)[-len(prediction.weights):]
        ranked = np.argsort(prediction.weights)[::-1][:count]
        return [(words[i], round(prediction.weights[i], 4)) for i in ranked]
