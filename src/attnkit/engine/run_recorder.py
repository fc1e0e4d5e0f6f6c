"""What a training run records in its folder, epoch by epoch, for either engine.

After each epoch: `last.safetensors`; `best.safetensors` when the epoch is kept (the rule of
`engine.monitor`);
`metrics.jsonl` (the whole history, rewritten, so it always matches the last checkpoint);
`recipe.yaml`, the recipe of the last checkpoint (`meta["recipe"]`: a resumed run that changed
`train.epochs` says so); the epoch's line on the terminal. At the end: `curves.png`. The run
folder is held (made and locked) for the whole run by `pipelines.arguments.run_folder`, or made
by the first of these writes; a run that fails before its first epoch ends leaves nothing
behind. A checkpoint's header is {"meta", "epoch", "metrics", "history", "trainer": {...,
"best", "bad_epochs", "kept"}} (`MetricMonitor.state`); the engine's
`write_checkpoint(path, header)` adds its weights (and optimiser and RNG state) and writes it.
With `train.keep_last` K > 0, each whole epoch n also writes `epoch-<n>.safetensors` and only
the last K of those stay (`engine.checkpoint_averaging` averages them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from attnkit.engine.monitor import MetricMonitor
from attnkit.engine.run_log import format_record, write_curves, write_metrics
from attnkit.recipe import write_recipe


class RunRecorder:
    """config: the recipe's `TrainConfig` (monitor, monitor_mode, early_stopping_patience).
    writes: False on all but the main process of a distributed run (they only keep count)."""

    def __init__(self, run_dir: Path, meta: dict[str, Any], config: Any,
                 write_checkpoint: Callable[[Path, dict[str, Any]], None],
                 writes: bool = True) -> None:
        self.run_dir, self.meta, self.writes = Path(run_dir), meta, writes
        self.write_checkpoint = write_checkpoint
        self.monitor = MetricMonitor(config.monitor, config.monitor_mode,
                                     config.early_stopping_patience)
        self.history: list[dict[str, float]] = []
        self.keep_last = config.keep_last

    def end_epoch(self, record: dict[str, float], trainer_state: dict[str, Any]) -> bool:
        """Record one epoch (`trainer_state`: what the engine needs to resume, JSON);
        -> True when early stopping says to stop."""
        improved = self.monitor.observe(record)
        self.history.append(record)
        self.write(len(self.history), {**trainer_state, **self.monitor.state()}, improved,
                   whole_epoch=True)
        return self.monitor.exhausted

    def cut(self, record: dict[str, float], trainer_state: dict[str, Any]) -> None:
        """Record an epoch the time limit cut short (`trainer_state` says where): `last`, and
        `best` when it is the best so far. Its header keeps the monitor as it was before this
        record, so that a resumed run drops the record and goes on as if never cut."""
        before = self.monitor.state()
        improved = self.monitor.observe(record)
        self.history.append(record)
        self.write(len(self.history) - 1, {**trainer_state, **before}, improved)

    def write(self, epochs: int, trainer: dict[str, Any], improved: bool,
              whole_epoch: bool = False) -> None:
        """The checkpoints, the log and the recipe after `epochs` whole epochs (`whole_epoch`:
        and no part of the next)."""
        if not self.writes:
            return
        header = {"meta": self.meta, "epoch": epochs, "metrics": self.history[-1],
                  "history": self.history, "trainer": trainer}
        self.write_checkpoint(self.run_dir / "last.safetensors", header)
        if improved:
            self.write_checkpoint(self.run_dir / "best.safetensors", header)
        if whole_epoch and self.keep_last:
            self.write_checkpoint(self.run_dir / f"epoch-{epochs}.safetensors", header)
            for stale in epoch_checkpoints(self.run_dir)[:-self.keep_last]:
                stale.unlink()
        write_metrics(self.history, self.run_dir / "metrics.jsonl")
        if "recipe" in self.meta:
            write_recipe(self.meta["recipe"], self.run_dir / "recipe.yaml")
        tqdm.write(format_record(self.history[-1]))

    def resume(self, header: dict[str, Any]) -> None:
        """Continue from a checkpoint header this recorder's kind wrote; the record of an epoch
        the time limit cut is dropped (that epoch is finished again)."""
        self.history = list(header["history"])
        if header["trainer"].get("position") is not None:
            self.history.pop()
        self.monitor.restore(header["trainer"])

    def finish(self) -> None:
        if self.writes:
            write_curves(self.history, self.run_dir / "curves.png")


EPOCH_FILE = re.compile(r"epoch-(\d+)\.safetensors")


def epoch_checkpoints(run_dir: Path) -> list[Path]:
    """The run's `epoch-<n>.safetensors` files (train.keep_last), oldest epoch first."""
    found = [(int(match[1]), path) for path in Path(run_dir).glob("epoch-*.safetensors")
             if (match := EPOCH_FILE.fullmatch(path.name))]
    return [path for _, path in sorted(found)]
