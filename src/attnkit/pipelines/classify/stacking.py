"""Stage two of a stacked classifier (``models/stacked_classifier.py``), after the attention
model has trained: NB log-count ratios from the training split, the n-gram weights trained on
it (the epoch with the lowest validation loss kept), then the blend fitted on validation.
Nothing here looks at a test split."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import Tensor

from attnkit.data.ngrams import log_count_ratios
from attnkit.engine.classification_loss import classification_loss
from attnkit.engine.monitor import MetricMonitor
from attnkit.errors import AttnkitError
from attnkit.models.classifier_kinds import KindedClassifier
from attnkit.models.stacked_classifier import NgramLogits, StackedClassifier
from attnkit.pipelines.classify.data import (
    EncodedDataset,
    PreparedData,
    eval_loader,
    ngram_bag,
    run_model,
)
from attnkit.pipelines.classify.recipe import NgramBranchConfig
from attnkit.progress import progress_bar


def stack_ngram_branch(attention: KindedClassifier, data: PreparedData,
                       config: NgramBranchConfig, seed: int,
                       eval_batch_size: int = 256) -> StackedClassifier:
    """The trained ``attention`` model (either kind of classifier) stacked with a freshly trained
    n-gram branch."""
    if data.ngrams is None or data.train.ngram_features is None:
        raise AttnkitError("stacking needs n-gram features: set data.ngram_order")
    if data.validation is None:
        raise AttnkitError("stacking needs a validation split to fit the blend on")
    device = next(attention.parameters()).device
    model = StackedClassifier(attention, len(data.ngrams)).to(device)
    branch = model.ngrams
    branch.keys.copy_(torch.from_numpy(data.ngrams.keys))
    ratios = log_count_ratios(data.train.ngram_features, data.train.labels,
                              attention.config.num_classes, len(data.ngrams))
    branch.ratios.copy_(torch.from_numpy(ratios))
    train_branch(branch, data.train, data.validation, config, seed)
    fit_blend(model, eval_loader(data.validation, eval_batch_size))
    return model.eval()


def _bag(dataset: EncodedDataset, indices: np.ndarray,
         device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """The n-grams (N,), offsets (B,) and labels (B,) of the texts at ``indices``."""
    ngrams, offsets = ngram_bag([dataset.ngram_features[i] for i in indices])
    return (ngrams.to(device), offsets.to(device),
            torch.from_numpy(dataset.labels[indices]).to(device))


def _squeezed(logits: Tensor) -> Tensor:
    return logits.squeeze(1) if logits.shape[1] == 1 else logits


@torch.no_grad()
def branch_loss(branch: NgramLogits, dataset: EncodedDataset, batch_size: int) -> float:
    device = branch.weight.device
    total = 0.0
    for start in range(0, len(dataset), batch_size):
        ngrams, offsets, labels = _bag(dataset, np.arange(start, min(start + batch_size,
                                                                     len(dataset))), device)
        total += float(classification_loss(_squeezed(branch(ngrams, offsets)), labels, "sum"))
    return total / len(dataset)


def train_branch(branch: NgramLogits, train: EncodedDataset, validation: EncodedDataset,
                 config: NgramBranchConfig, seed: int) -> None:
    """Adam on the branch alone; keeps the epoch with the lowest validation loss."""
    device = branch.weight.device
    optimizer = torch.optim.Adam(branch.parameters(), lr=config.lr)
    generator = np.random.default_rng(seed)
    monitor, best_state = MetricMonitor("val_loss", "min"), None
    for epoch in range(config.epochs):
        branch.train()
        order = generator.permutation(len(train))
        starts = range(0, len(order), config.batch_size)
        for start in progress_bar(starts, desc=f"n-gram branch, epoch {epoch + 1}",
                                  unit="batch"):
            ngrams, offsets, labels = _bag(train, order[start:start + config.batch_size],
                                           device)
            loss = classification_loss(_squeezed(branch(ngrams, offsets)), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if monitor.update(branch_loss(branch.eval(), validation, config.batch_size)):
            best_state = copy.deepcopy(branch.state_dict())
    branch.load_state_dict(best_state)


def fit_blend(model: StackedClassifier, validation: torch.utils.data.DataLoader) -> None:
    """The blend weights and bias that minimise the validation loss, the two models fixed."""
    model.eval()
    attention_logits, ngram_logits, labels = [], [], []
    device = model.blend.device
    with torch.no_grad():
        for batch in validation:
            batch = {key: value.to(device) for key, value in batch.items()}
            attention_logits.append(run_model(model.attention, batch)[0])
            ngram_logits.append(model.ngrams(batch["ngrams"], batch["ngram_offsets"]))
            labels.append(batch["labels"])
    first, second, truth = (torch.cat(part) for part in (attention_logits, ngram_logits, labels))
    blend = [model.blend, model.blend_bias]
    optimizer = torch.optim.LBFGS(blend, lr=0.5, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = classification_loss(model.blended(first, second), truth)
        loss.backward()
        return loss

    optimizer.step(closure)
