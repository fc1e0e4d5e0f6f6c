"""A small model-agnostic trainer for the NumPy seq2seq models.

A batch is a dict of NumPy arrays: "source" (B, S), "source_lengths" (B,), "target_in" (B, T),
"target_out" (B, T), right-padded with 0 (the same dict the torch engine gets, as arrays).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Protocol

import numpy as np

from attnkit.errors import AttnkitError
from attnkit.numpy_ref.layers import TimeSoftmaxWithLoss
from attnkit.numpy_ref.optimizers import clip_grads_by_global_norm

Batch = dict[str, np.ndarray]


class TrainableModel(Protocol):
    params: list[np.ndarray]
    grads: list[np.ndarray]

    def forward(self, source: np.ndarray, source_lengths: np.ndarray,
                target_in: np.ndarray) -> np.ndarray: ...
    def backward(self, dlogits: np.ndarray) -> None: ...
    def generate(self, source: np.ndarray, source_lengths: np.ndarray, start_id: int,
                 max_length: int,
                 end_id: int | None = None) -> np.ndarray: ...


class Optimizer(Protocol):
    lr: float

    def update(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None: ...


def no_progress(batches: Iterable[Batch]) -> Iterable[Batch]:
    return batches


class Trainer:
    """Teacher-forced training with a masked mean cross-entropy and global-norm clipping.

    `progress` wraps each epoch's batch iterable (pass e.g. a tqdm partial for a progress bar);
    `learning_rate(step)`, when given, sets the optimiser's lr before each update (schedules).
    """

    def __init__(self, model: TrainableModel, optimizer: Optimizer, grad_clip: float = 0.0,
                 pad_id: int = 0,
                 progress: Callable[[Iterable[Batch]], Iterable[Batch]] = no_progress,
                 learning_rate: Callable[[int], float] | None = None) -> None:
        self.model, self.optimizer, self.grad_clip = model, optimizer, grad_clip
        self.loss_layer = TimeSoftmaxWithLoss(pad_id)
        self.progress, self.learning_rate = progress, learning_rate
        self.step = 0

    def train_step(self, batch: Batch) -> float:
        """One update; -> the batch's mean token loss."""
        loss = self.compute_gradients(batch)
        self.apply_gradients()
        return loss

    def compute_gradients(self, batch: Batch) -> float:
        """Forward and backward: the model's grads become those of the batch's mean token
        loss. -> that loss."""
        logits = self.model.forward(batch["source"], batch["source_lengths"], batch["target_in"])
        loss = self.loss_layer.forward(logits, batch["target_out"])
        if not np.isfinite(loss):
            raise AttnkitError(f"training diverged: loss is {loss}; try a lower train.lr or "
                               "train.grad_clip")
        self.model.backward(self.loss_layer.backward())
        return loss

    def apply_gradients(self) -> None:
        """Clip the model's grads, set the step's learning rate and update the parameters."""
        if self.grad_clip > 0:
            clip_grads_by_global_norm(self.model.grads, self.grad_clip)
        if self.learning_rate is not None:
            self.optimizer.lr = self.learning_rate(self.step)
        self.optimizer.update(self.model.params, self.model.grads)
        self.step += 1

    def train_epoch(self, batches: Iterable[Batch]) -> float:
        """-> mean training loss over the epoch's batches, weighted by examples."""
        total, count = 0.0, 0
        for batch in self.progress(batches):
            size = len(batch["source"])
            total += self.train_step(batch) * size
            count += size
        return total / max(count, 1)

    def fit(self, epochs: int, train_batches: Callable[[int], Iterable[Batch]],
            evaluate: Callable[[TrainableModel], dict[str, float]] | None = None,
            on_epoch_end: Callable[[dict[str, float]], bool | None] | None = None,
            ) -> list[dict[str, float]]:
        """train_batches(epoch) gives that epoch's batches (epoch counts from 0). -> per-epoch
        records {"epoch" (from 1), "train_loss", "train_seconds", "val_<name>"...};
        on_epoch_end(record) is called after each epoch and stops training by returning True."""
        history = []
        for epoch in range(epochs):
            started = time.perf_counter()
            record = {"epoch": epoch + 1, "train_loss": self.train_epoch(train_batches(epoch))}
            record["train_seconds"] = time.perf_counter() - started
            if evaluate is not None:
                record.update({f"val_{k}": v for k, v in evaluate(self.model).items()})
            history.append(record)
            if on_epoch_end is not None and on_epoch_end(record):
                break
        return history
