"""How far training got inside one epoch.

When the time limit stops a run inside an epoch, its checkpoint keeps this (as JSON, under
`trainer.position`), so that `--resume` trains the epoch's remaining batches and nothing else,
and the epoch's training loss is still the mean over all of its batches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from attnkit.errors import AttnkitError


@dataclass
class EpochProgress:
    """epoch: counted from 0; batches: trained so far of `total`; loss_sum: the sum of
    loss x items over them; items: the examples in them."""

    epoch: int
    total: int
    batches: int = 0
    loss_sum: float = 0.0
    items: int = 0

    def add(self, loss: float, items: int) -> None:
        self.batches += 1
        self.loss_sum += loss * items
        self.items += items

    @property
    def finished(self) -> bool:
        return self.batches >= self.total

    @property
    def mean_loss(self) -> float:
        return self.loss_sum / max(self.items, 1)

    @property
    def epochs_trained(self) -> float:
        """1-based epoch number of a finished epoch (3), or how far into the run a cut one got
        (2.37: two epochs and 37 % of the third)."""
        if self.finished:
            return self.epoch + 1
        return round(self.epoch + self.batches / self.total, 4)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Any, total: int) -> EpochProgress:
        """The progress a checkpoint recorded; `total`: the batches per epoch now, which must
        be those of the run that wrote it."""
        try:
            progress = cls(**values)
        except TypeError:
            raise AttnkitError(f"the checkpoint's position inside its epoch is unreadable: "
                               f"{values!r}") from None
        if progress.total != total:
            raise AttnkitError(
                f"the run stopped inside epoch {progress.epoch + 1}, after batch "
                f"{progress.batches} of {progress.total}, but an epoch now has {total} batches "
                "(train.batch_size or the data changed), so it cannot continue from there")
        return progress
