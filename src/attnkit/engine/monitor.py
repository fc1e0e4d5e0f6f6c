"""The monitored metric of a run: the epoch kept as best, why, and the epochs since the metric
last improved.

It decides when `best.safetensors` is written and when early stopping ends a run, for the torch
`Trainer` and the NumPy engine alike, and which epoch a pipeline keeps when it trains a part on
its own (the n-gram branch of a stacked classifier).

The rule: an epoch whose metric is strictly better is kept. An epoch that ties the best value is
kept when its validation loss (`TIE_BREAK`, when logged and not itself the metric) is lower, or,
without one or at an equal loss, because it is later: more training at the same score. Only a
strictly better value resets early stopping's count; a tie that is kept does not.
"""

from __future__ import annotations

from typing import Any, Literal

from attnkit.errors import AttnkitError

TIE_BREAK = "val_loss"


class MetricMonitor:
    """metric: a key of the epoch records (e.g. "val_loss"); mode: "min" or "max";
    patience: epochs without improvement that exhaust it (0 = never)."""

    def __init__(self, metric: str, mode: Literal["min", "max"], patience: int = 0,
                 best: float | None = None, bad_epochs: int = 0) -> None:
        self.metric, self.mode, self.patience = metric, mode, patience
        self.best, self.bad_epochs = best, bad_epochs
        self.kept: dict[str, Any] = {}  # {"epoch", "tie_break", "why"} of the kept epoch

    def observe(self, record: dict[str, Any]) -> bool:
        """Take the epoch's `record`; -> whether it becomes the kept (best) epoch."""
        if self.metric not in record:
            raise AttnkitError(f"train.monitor {self.metric!r} is not a logged metric; "
                               f"logged: {', '.join(k for k in record if k != 'epoch')}")
        tie_break = record.get(TIE_BREAK) if self.metric != TIE_BREAK else None
        return self.update(record[self.metric], tie_break, record.get("epoch"))

    def update(self, value: float, tie_break: float | None = None,
               epoch: float | None = None) -> bool:
        """Take one value (and the epoch's validation loss); -> whether it is kept (the first
        always is)."""
        better = self.best is None or (value < self.best if self.mode == "min"
                                       else value > self.best)
        if better:
            word = "lowest" if self.mode == "min" else "highest"
            why = f"{word} {self.metric} {value:.4g}"
        else:
            self.bad_epochs += 1
            if value != self.best:
                return False
            earlier, earlier_loss = self.kept.get("epoch"), self.kept.get("tie_break")
            why = f"{self.metric} {value:.4g} tied with epoch {earlier}; "
            if tie_break is not None and earlier_loss is not None and tie_break != earlier_loss:
                if tie_break > earlier_loss:
                    return False
                why += f"lower {TIE_BREAK} ({tie_break:.4g} < {earlier_loss:.4g})"
            else:
                why += "the later epoch"
        if better:
            self.best, self.bad_epochs = value, 0
        self.kept = {"epoch": epoch, "tie_break": tie_break, "why": why}
        return True

    @property
    def exhausted(self) -> bool:
        """Whether patience has run out (early stopping)."""
        return bool(self.patience) and self.bad_epochs >= self.patience

    def state(self) -> dict[str, Any]:
        """What a checkpoint keeps to resume it: {"best", "bad_epochs", "kept"}."""
        return {"best": self.best, "bad_epochs": self.bad_epochs, "kept": dict(self.kept)}

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from `state()` (a checkpoint written before "kept" existed has none)."""
        self.best, self.bad_epochs = state["best"], state["bad_epochs"]
        self.kept = dict(state.get("kept") or {})


def kept_summary(header: dict[str, Any]) -> str:
    """'epoch 4 (highest val_accuracy 0.91)' from a best checkpoint's header; a checkpoint of
    an epoch the time limit cut (its header keeps the monitor as before it, to resume) says
    'epoch 0.87 (cut by the time limit; the best so far)'."""
    trainer = header.get("trainer", {})
    if trainer.get("position") is not None:
        return f"epoch {header.get('metrics', {}).get('epoch')} (cut by the time limit; the " \
            "best so far)"
    kept = trainer.get("kept") or {}
    epoch = kept.get("epoch", header.get("epoch"))
    return f"epoch {epoch} ({kept['why']})" if kept.get("why") else f"epoch {epoch}"
