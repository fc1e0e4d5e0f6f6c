"""Training the attention classifier: the trainer's task (loss, held-out metrics) and the run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from attnkit.engine.classification_metrics import classification_scores, confusion_matrix
from attnkit.engine.seeding import seed_everything
from attnkit.engine.trainer import Trainer
from attnkit.models.classifier import AttentionClassifier
from attnkit.tasks.classify_data import PreparedData, eval_loader, train_loader
from attnkit.tasks.classify_inference import checkpoint_meta
from attnkit.tasks.classify_recipe import ClassifyRecipe

Batch = dict[str, Tensor]


def classification_loss(logits: Tensor, labels: Tensor, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on one logit (B,), or cross-entropy on (B, C) logits."""
    if logits.dim() == 1:
        return nn.functional.binary_cross_entropy_with_logits(
            logits.float(), labels.float(), reduction=reduction)
    return nn.functional.cross_entropy(logits.float(), labels, reduction=reduction)


def predicted_classes(logits: Tensor) -> Tensor:
    """logits (B,) | (B, C) -> class ids (B,)."""
    if logits.dim() == 1:
        return (logits > 0).long()
    return logits.argmax(dim=1)


class ClassificationTraining:
    """The trainer's task: mean (binary) cross-entropy; held out, loss, accuracy, P/R/F1."""

    def __init__(self, num_classes: int) -> None:
        self.num_classes = num_classes

    def loss(self, model: nn.Module, batch: Batch) -> tuple[Tensor, int]:
        logits, _ = model(batch["tokens"], batch["lengths"], batch.get("bigrams"))
        return classification_loss(logits, batch["labels"]), len(batch["labels"])

    def evaluate(self, model: nn.Module, loader: Iterable[Batch]) -> dict[str, float]:
        total_loss, labels, predictions = 0.0, [], []
        for batch in loader:
            logits, _ = model(batch["tokens"], batch["lengths"], batch.get("bigrams"))
            total_loss += float(classification_loss(logits, batch["labels"], reduction="sum"))
            labels.append(batch["labels"].cpu().numpy())
            predictions.append(predicted_classes(logits).cpu().numpy())
        truth, guessed = np.concatenate(labels), np.concatenate(predictions)
        scores = classification_scores(confusion_matrix(truth, guessed, self.num_classes))
        return {"loss": total_loss / max(len(truth), 1), **scores}


def train_classifier(recipe: ClassifyRecipe, data: PreparedData, run_dir: Path,
                     source: dict[str, Any], resume: bool = False,
                     task: ClassificationTraining | None = None,
                     validation: Iterable[Batch] | None = None) -> list[dict[str, float]]:
    """Train the recipe's model on ``data`` into ``run_dir``; returns the per-epoch history.

    ``task`` replaces the default training task and ``validation`` the loader of
    ``data.validation`` (the benchmark adds test-set reporting).
    """
    seed_everything(recipe.train.seed)
    model_config = replace(recipe.model, vocab_size=len(data.vocabulary),
                           num_classes=len(data.class_names),
                           bigram_vocab_size=len(data.bigrams) if data.bigrams else 0)
    model = AttentionClassifier(model_config)
    meta = checkpoint_meta(recipe, model_config, data.vocabulary, data.tokenizer,
                           data.class_names, recipe.data.max_length, source, data.bigrams)
    task = task or ClassificationTraining(len(data.class_names))
    trainer = Trainer(model, task, recipe.train, run_dir, meta)
    training = train_loader(data.train, recipe.train.batch_size, recipe.train.seed,
                            recipe.data.bucket_size_multiplier)
    if validation is None and data.validation is not None:
        validation = eval_loader(data.validation, recipe.data.eval_batch_size)
    torch.manual_seed(recipe.train.seed)
    return trainer.fit(training, validation, resume=resume)
