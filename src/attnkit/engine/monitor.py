"""The monitored metric of a run: its best value so far and the epochs since it last improved.

It decides when `best.safetensors` is written and when early stopping ends a run, for the torch
`Trainer` and the NumPy engine alike, and which epoch a pipeline keeps when it trains a part on
its own (the n-gram branch of a stacked classifier).
"""

from __future__ import annotations

from typing import Any, Literal

from attnkit.errors import AttnkitError


class MetricMonitor:
    """metric: a key of the epoch records (e.g. "val_loss"); mode: "min" or "max";
    patience: epochs without improvement that exhaust it (0 = never)."""

    def __init__(self, metric: str, mode: Literal["min", "max"], patience: int = 0,
                 best: float | None = None, bad_epochs: int = 0) -> None:
        self.metric, self.mode, self.patience = metric, mode, patience
        self.best, self.bad_epochs = best, bad_epochs

    def observe(self, record: dict[str, Any]) -> bool:
        """Take the epoch's `record`; -> whether the metric improved on the best so far."""
        if self.metric not in record:
            raise AttnkitError(f"train.monitor {self.metric!r} is not a logged metric; "
                               f"logged: {', '.join(k for k in record if k != 'epoch')}")
        return self.update(record[self.metric])

    def update(self, value: float) -> bool:
        """Take one value; -> whether it improved on the best so far (the first always does)."""
        better = self.best is None or (value < self.best if self.mode == "min"
                                       else value > self.best)
        if better:
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
        return better

    @property
    def exhausted(self) -> bool:
        """Whether patience has run out (early stopping)."""
        return bool(self.patience) and self.bad_epochs >= self.patience

    def state(self) -> dict[str, Any]:
        """What a checkpoint keeps to resume it: {"best", "bad_epochs"}."""
        return {"best": self.best, "bad_epochs": self.bad_epochs}
