"""The `train:` section of every recipe: how long, how fast and on what a model trains.

Its own module, so that recipes and inference read it without importing the training loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from attnkit.engine.seeding import MAX_SEED

MAX_THREADS = 1024  # torch crashes (segmentation fault) on absurd thread counts such as 100,000


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 3
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: Literal["adam", "adamw"] = "adam"
    weight_decay: float = 0.0
    grad_clip: float = 5.0  # global norm; 0 turns clipping off
    schedule: Literal["none", "cosine", "linear", "inverse_sqrt"] = "none"
    warmup_steps: int = 0  # inverse_sqrt needs it: the peak step
    early_stopping_patience: int = 0  # epochs without improvement (a tie is none); 0 = off
    monitor: str = "val_loss"
    monitor_mode: Literal["min", "max"] = "min"
    seed: int = 0
    device: str = "auto"
    amp: bool = True  # mixed precision on CUDA only; CPU always trains in float32
    threads: int = 0  # torch CPU threads; 0 keeps torch's default
    time_limit_minutes: float = 0.0  # stop at this much training time (eval excluded); 0 = none
    keep_last: int = 0  # also keep epoch-<n>.safetensors of the last K epochs (to average)
    init_from: str = ""  # img2seq: start from this run, checkpoint or shipped model's weights

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or not self.lr > 0:
            raise ValueError("epochs, batch_size and lr must be positive")
        if not 0 <= self.threads <= MAX_THREADS:
            raise ValueError(f"threads must be from 0 (torch's default) to {MAX_THREADS}, "
                             f"got {self.threads}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be from 0 to {MAX_SEED}, got {self.seed}")
        finite = (self.lr, self.weight_decay, self.grad_clip, self.time_limit_minutes)
        if not all(math.isfinite(value) and value >= 0 for value in finite):
            raise ValueError("lr, weight_decay, grad_clip and time_limit_minutes must be finite "
                             "and >= 0 (0 = off for the last two)")
        if min(self.warmup_steps, self.early_stopping_patience, self.keep_last) < 0:
            raise ValueError("warmup_steps, early_stopping_patience and keep_last must be >= 0")
        if self.schedule == "inverse_sqrt" and self.warmup_steps < 1:
            raise ValueError("schedule inverse_sqrt decays from the end of the warm-up: set "
                             "train.warmup_steps (e.g. 4000)")
        if "test" in self.monitor.split("_"):
            raise ValueError(f"monitor {self.monitor!r} names a test metric: the test split only "
                             f"reports, epochs are chosen on train_ or val_ metrics")
