"""A model-agnostic trainer: the pipeline supplies the loss and the metrics, the trainer the loop.

Each epoch trains with a progress bar, evaluates, and hands its record to the `RunRecorder`
(`metrics.jsonl`, `last.safetensors`, and `best.safetensors` when the monitored metric
improves). Data order depends only on (seed, epoch) and the random state is saved with each
checkpoint, so a resumed run ends exactly where an uninterrupted one would.

`train.time_limit_minutes` stops training at the first batch that ends past the limit, says so,
and, when that is inside an epoch, records how far it got (`EpochProgress`) with the random
state of that moment and of the epoch's start. `--resume` then trains the epoch's remaining
batches, with a fresh time budget: the same steps, losses and weights as an uninterrupted run.
The cut epoch is evaluated and logged as a fractional epoch (2.37), and kept as
`best.safetensors` when it is the best so far, so a run stopped by its budget keeps its last
progress; a resumed run drops that record and continues as if it had never been cut.
Training time is read from the trainer's `clock` (`time.perf_counter` unless a test passes
another), between batches only: evaluation and checkpoint writing are not counted.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from attnkit.engine.device import move, resolve_device
from attnkit.engine.distributed import (
    DistributedContext,
    average_across_ranks,
    init_distributed,
    wrap_model,
)
from attnkit.engine.epoch_progress import EpochProgress
from attnkit.engine.run_recorder import RunRecorder
from attnkit.engine.seeding import capture_rng, restore_rng
from attnkit.engine.train_config import TrainConfig
from attnkit.errors import AttnkitError
from attnkit.progress import progress_bar
from attnkit.run.checkpoint import load_checkpoint, load_model_state, save_checkpoint

Batch = dict[str, Tensor]
RandomState = tuple[dict[str, Tensor], dict[str, Any]]  # capture_rng's (tensors, JSON values)
EPOCH_RNG_PREFIX = "epoch_rng."  # the random state as the cut epoch began


class TrainingObjective(Protocol):
    def loss(self, model: nn.Module, batch: Batch) -> tuple[Tensor, int]:
        """Mean loss over the batch and the number of examples in it. Must call model(...)."""

    def evaluate(self, model: nn.Module, loader: Iterable[Batch]) -> dict[str, float]:
        """Held-out metrics; called under no_grad with the model in eval mode."""


class Trainer:
    """clock: seconds from an arbitrary origin, read to measure training time (the time limit,
    `train_seconds`, items per second); tests pass a scripted one."""

    def __init__(self, model: nn.Module, objective: TrainingObjective, config: TrainConfig,
                 run_dir: Path, meta: dict[str, Any],
                 context: DistributedContext | None = None, *,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.context = context or init_distributed()
        if config.threads:
            torch.set_num_threads(config.threads)
        self.device = resolve_device(config.device)
        if self.device.type == "cuda" and self.context.is_distributed:
            self.device = torch.device("cuda", self.context.local_rank)
        self.model = model.to(self.device)
        self.wrapped = wrap_model(self.model, self.context, self.device)
        self.objective, self.config = objective, config
        self.run_dir, self.meta = Path(run_dir), meta
        optimizer_class = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
        self.optimizer = optimizer_class(self.model.parameters(), lr=config.lr,
                                         weight_decay=config.weight_decay)
        self.autocast_dtype = self._autocast_dtype()
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.autocast_dtype == torch.float16)
        self.step = 0
        self.train_seconds = 0.0  # the run's, resumes included
        self.budget_seconds = 0.0  # this session's, which train.time_limit_minutes bounds
        self.epoch_rng: RandomState | None = None  # as the current epoch began
        self.cut_rng: RandomState | None = None  # as the time limit stopped the epoch
        self.resumed_rng: tuple[RandomState, RandomState] | None = None  # (cut, epoch start)
        self.recorder = RunRecorder(self.run_dir, meta, config, self._write_checkpoint,
                                    writes=self.context.is_main)

    @property
    def history(self) -> list[dict[str, float]]:
        return self.recorder.history

    def fit(self, train_loader: Iterable[Batch], val_loader: Iterable[Batch] | None = None,
            resume: bool = False) -> list[dict[str, float]]:
        """Train to `config.epochs` (from `run_dir/last.safetensors` with `resume`); -> the
        history. `train_loader` must have a length (batches per epoch)."""
        total = len(train_loader)
        progress = self._resume(total) if resume else EpochProgress(0, total)
        self.total_steps = self.config.epochs * total
        for epoch in range(progress.epoch, self.config.epochs):
            if epoch != progress.epoch:
                progress = EpochProgress(epoch, total)
            started = self.clock()
            record: dict[str, float] = self._train_epoch(train_loader, progress)
            record["train_seconds"] = self.clock() - started
            if not progress.finished:
                self._stop_inside_epoch(progress, record, val_loader)
                break
            if val_loader is not None:
                record.update({f"val_{k}": v for k, v in self._evaluate(val_loader).items()})
            trainer_state = {"step": self.step, "train_seconds": self.train_seconds}
            if self.recorder.end_epoch(record, trainer_state):
                break
            if self._out_of_time():
                if epoch + 1 < self.config.epochs:
                    self._announce_stop(f"at the end of epoch {epoch + 1}")
                break
        self.recorder.finish()
        return self.history

    def _train_epoch(self, loader: Iterable[Batch], progress: EpochProgress) -> dict[str, float]:
        """Train `progress.epoch` from where `progress` stands until it ends or time is up."""
        self.wrapped.train()
        start_epoch(loader, progress.epoch)
        batches = self._batches_from(loader, progress)
        done_before, started = progress.items, self.clock()
        bar = progress_bar(batches, shown=self.context.is_main, total=progress.total,
                           initial=progress.batches,
                           desc=f"epoch {progress.epoch + 1}/{self.config.epochs}")
        last = started
        for batch in bar:
            loss, items = self._train_step(move(batch, self.device))
            now = self.clock()  # loading included: the limit is on training wall time
            self.train_seconds += now - last
            self.budget_seconds += now - last
            last = now
            progress.add(loss, items)
            rate = (progress.items - done_before) / max(now - started, 1e-9)
            bar.set_postfix(loss=f"{progress.mean_loss:.4f}", items_per_s=f"{rate:.0f}")
            if self._out_of_time():
                break
        bar.close()
        mean = average_across_ranks(progress.mean_loss, self.context, self.device)
        return {"epoch": progress.epochs_trained, "train_loss": mean,
                "train_items_per_second": (progress.items - done_before)
                / max(self.clock() - started, 1e-9)}

    def _batches_from(self, loader: Iterable[Batch], progress: EpochProgress) -> Iterator[Batch]:
        """The epoch's batches from where `progress` stands. A resumed epoch takes up the random
        state of its start, draws its batches as the cut run did and passes over those already
        trained, then takes up the random state of the cut: what an uninterrupted run had."""
        if self.resumed_rng is None:
            self.epoch_rng = capture_rng(EPOCH_RNG_PREFIX)
            return iter(loader)
        cut, self.epoch_rng = self.resumed_rng
        self.resumed_rng = None
        restore_rng(*self.epoch_rng, prefix=EPOCH_RNG_PREFIX)
        batches = iter(loader)
        for _ in range(progress.batches):
            next(batches)
        restore_rng(*cut)
        return batches

    def _stop_inside_epoch(self, progress: EpochProgress, record: dict[str, float],
                           val_loader: Iterable[Batch] | None) -> None:
        """The time limit cut the epoch: evaluate, record where it stopped, say so."""
        self.cut_rng = capture_rng()  # before evaluating: what the next batch would have seen
        if val_loader is not None:
            record.update({f"val_{k}": v for k, v in self._evaluate(val_loader).items()})
        trainer_state = {"step": self.step, "train_seconds": self.train_seconds,
                         "position": progress.to_dict()}
        self.recorder.cut(record, trainer_state)
        self.cut_rng = None
        self._announce_stop(f"in epoch {progress.epoch + 1}, after batch {progress.batches} "
                            f"of {progress.total}")

    def _announce_stop(self, where: str) -> None:
        if self.context.is_main:
            tqdm.write(f"stopped early: the time limit of {self.config.time_limit_minutes:g} "
                       f"min of training was reached {where}; resuming the run (--resume "
                       f"{self.run_dir}) continues from there with a fresh time budget")

    def _train_step(self, batch: Batch) -> tuple[float, int]:
        self._set_learning_rate()
        self.optimizer.zero_grad(set_to_none=True)
        with self._autocast():
            loss, items = self.objective.loss(self.wrapped, batch)
        if not torch.isfinite(loss):
            raise AttnkitError(f"training diverged: loss is {loss.item()} at step {self.step}; "
                               "try a lower train.lr or train.grad_clip")
        self.scaler.scale(loss).backward()
        if self.config.grad_clip > 0:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.step += 1
        return loss.item(), items

    def _evaluate(self, loader: Iterable[Batch]) -> dict[str, float]:
        self.model.eval()
        with torch.no_grad(), self._autocast():
            return self.objective.evaluate(self.model, (move(b, self.device) for b in loader))

    def _out_of_time(self) -> bool:
        """Whether this session's time budget is spent; under DDP all ranks stop at the same
        batch."""
        limit = self.config.time_limit_minutes * 60
        if not limit:
            return False
        spent = average_across_ranks(float(self.budget_seconds >= limit), self.context,
                                     self.device)
        return spent > 0

    def _set_learning_rate(self) -> None:
        self.optimizer.param_groups[0]["lr"] = self.config.lr * learning_rate_factor(
            self.step, self.total_steps, self.config.schedule, self.config.warmup_steps)

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda", dtype=self.autocast_dtype)

    def _autocast_dtype(self) -> torch.dtype | None:
        if not (self.config.amp and self.device.type == "cuda"):
            return None
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16

    def _write_checkpoint(self, path: Path, header: dict[str, Any]) -> None:
        rng_tensors, rng = self.cut_rng or capture_rng()
        header = {**header, "rng": rng}
        if self.cut_rng is not None and self.epoch_rng is not None:
            epoch_tensors, header["epoch_rng"] = self.epoch_rng
            rng_tensors = {**rng_tensors, **epoch_tensors}
        save_checkpoint(path, self.model.state_dict(), header, self.optimizer.state_dict(),
                        rng_tensors)

    def _resume(self, total: int) -> EpochProgress:
        """Load `last.safetensors`; -> where to go on: the next epoch, or inside the cut one
        (`total`: batches per epoch)."""
        path = self.run_dir / "last.safetensors"
        checkpoint = load_checkpoint(path)
        load_model_state(self.model, checkpoint)
        if checkpoint.optimizer_state is not None:
            try:
                self.optimizer.load_state_dict(checkpoint.optimizer_state)
            except (ValueError, KeyError, IndexError, TypeError) as error:
                raise AttnkitError(f"cannot resume {path}: its optimiser state does not fit "
                                   f"the model ({error})") from None
        header, tensors = checkpoint.header, checkpoint.extra_tensors
        trainer = header["trainer"]
        self.step, self.train_seconds = trainer["step"], trainer.get("train_seconds", 0.0)
        self.recorder.resume(header)
        if trainer.get("position") is None:
            restore_rng(tensors, header["rng"])
            return EpochProgress(header["epoch"], total)
        progress = EpochProgress.from_dict(trainer["position"], total)
        epoch_tensors = {k: v for k, v in tensors.items() if k.startswith(EPOCH_RNG_PREFIX)}
        self.resumed_rng = ((tensors, header["rng"]), (epoch_tensors, header["epoch_rng"]))
        return progress


def learning_rate_factor(step: int, total: int, schedule: str, warmup: int) -> float:
    """Multiplier of the base learning rate: warm-up, then constant, cosine or linear decay, or
    inverse_sqrt: sqrt(warmup / (step + 1)), the Transformer's ("noam") decay, which with the
    linear warm-up is min(s / warmup, sqrt(warmup / s)) at s = step + 1, peaking at 1."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    if schedule == "inverse_sqrt":
        return math.sqrt(warmup / (step + 1))
    if schedule == "none" or total <= warmup:
        return 1.0
    progress = min((step - warmup) / max(total - warmup, 1), 1.0)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return 1.0 - progress


def start_epoch(loader: Any, epoch: int) -> None:
    """Tell the loader's sampler the epoch (`BucketBatchSampler.set_epoch`), if it keeps one,
    so that the data order depends on the seed and the epoch only."""
    for name in ("batch_sampler", "sampler"):
        sampler = getattr(loader, name, None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
