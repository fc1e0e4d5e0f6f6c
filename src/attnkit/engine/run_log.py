"""What a run folder records each epoch: `metrics.jsonl` and a picture of the curves."""

from __future__ import annotations

import json
from pathlib import Path

from attnkit.files import write_text_atomically


def write_metrics(history: list[dict[str, float]], path: Path) -> None:
    """Rewrite the whole log atomically, so it always matches the last checkpoint."""
    write_text_atomically(path, "".join(json.dumps(record) + "\n" for record in history))


def read_metrics(path: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_curves(history: list[dict[str, float]], path: Path) -> None:
    from attnkit.viz.curves import plot_curves

    plot_curves(history, path)


def format_record(record: dict[str, float]) -> str:
    """One epoch as one line: `epoch 3 | train_loss 0.1 | val_exact_match 0.99 | ...` (a cut
    epoch shows how far it got: `epoch 2.37`)."""
    epoch = record["epoch"]
    parts = [f"epoch {epoch:.2f}" if epoch != int(epoch) else f"epoch {int(epoch)}"]
    parts += [f"{k} {v:.4g}" for k, v in record.items() if k != "epoch"]
    return " | ".join(parts)
