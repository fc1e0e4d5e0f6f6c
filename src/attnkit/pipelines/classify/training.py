"""Training the attention classifier (a BiLSTM or a Transformer, as `model.kind` says): the
trainer's task (loss, held-out metrics) and the run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from attnkit.data.loaders import bucketed_loader
from attnkit.engine.classification_loss import classification_loss, predicted_classes
from attnkit.engine.classification_metrics import classification_scores, confusion_matrix
from attnkit.engine.seeding import seed_everything
from attnkit.engine.trainer import Trainer
from attnkit.models.classifier_kinds import KindedClassifier, build_classifier
from attnkit.pipelines.classify.data import PreparedData, collate, eval_loader, run_model
from attnkit.pipelines.classify.recipe import ClassifyRecipe, checkpoint_meta
from attnkit.pipelines.classify.stacking import stack_ngram_branch
from attnkit.run.checkpoint import load_checkpoint, save_checkpoint, strip_prefix

Batch = dict[str, Tensor]


class ClassificationTraining:
    """The trainer's task: mean (binary) cross-entropy; held out, loss, accuracy, P/R/F1."""

    def __init__(self, num_classes: int) -> None:
        self.num_classes = num_classes

    def loss(self, model: nn.Module, batch: Batch) -> tuple[Tensor, int]:
        logits, _ = run_model(model, batch)
        return classification_loss(logits, batch["labels"]), len(batch["labels"])

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: Iterable[Batch]) -> dict[str, float]:
        total_loss, labels, predictions = 0.0, [], []
        for batch in loader:
            logits, _ = run_model(model, batch)
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
    model = build_classifier(model_config, recipe.data.max_length)
    meta = checkpoint_meta(recipe, model_config, data.vocabulary, data.tokenizer,
                           data.class_names, recipe.data.max_length, source, data.bigrams)
    task = task or ClassificationTraining(len(data.class_names))
    trainer = Trainer(model, task, recipe.train, run_dir, meta)
    training = bucketed_loader(data.train, data.train.lengths, collate, recipe.train.batch_size,
                               recipe.train.seed, recipe.data.bucket_size_multiplier,
                               trainer.context.rank, trainer.context.world_size)
    if validation is None and data.validation is not None:
        validation = eval_loader(data.validation, recipe.data.eval_batch_size)
    torch.manual_seed(recipe.train.seed)
    history = trainer.fit(training, validation, resume=resume)
    if data.ngrams is not None and trainer.context.is_main:  # one process writes checkpoints
        save_stacked(model, data, recipe, run_dir, meta, task)
    return history


def save_stacked(attention: KindedClassifier, data: PreparedData, recipe: ClassifyRecipe,
                 run_dir: Path, meta: dict[str, Any], task: ClassificationTraining) -> None:
    """Stack the best attention model with an n-gram branch and make that the run's best
    checkpoint (its header keeps the training history and adds the stacked validation
    metrics); ``last`` stays the attention model, which resuming continues."""
    best = load_checkpoint(run_dir / "best.safetensors")
    state = best.model_state
    if best.meta.get("ngrams") is not None:  # resumed without a new best: restack that one
        state = strip_prefix(state, "attention.")
    attention.load_state_dict(state)
    stacked = stack_ngram_branch(attention, data, recipe.ngram_branch, recipe.train.seed,
                                 recipe.data.eval_batch_size)
    metrics = task.evaluate(stacked, eval_loader(data.validation, recipe.data.eval_batch_size))
    header = {key: value for key, value in best.header.items()
              if key not in ("format_version", "optimizer", "rng")}
    header["meta"] = {**meta, "ngrams": {"order": data.ngrams.order, "base": data.ngrams.base,
                                         "table_size": len(data.ngrams)}}
    header["stacked_metrics"] = {f"val_{key}": value for key, value in metrics.items()}
    save_checkpoint(run_dir / "best.safetensors", stacked.state_dict(), header)
    print("stacked with the n-gram branch: "
          + ", ".join(f"val_{key} {value:.4f}" for key, value in metrics.items()
                      if key in ("loss", "accuracy")))
