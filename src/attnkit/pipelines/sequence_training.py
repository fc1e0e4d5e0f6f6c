"""The trainer's task for every pipeline whose outputs are token sequences (seq2seq, img2seq),
and the one held-out evaluation of such a model, whichever engine trained it.

A batch holds the model's inputs under `sources` (("source", "source_lengths") for seq2seq,
("images",) for img2seq), then "target_in" (B, T) starting with the start token and
"target_out" (B, T) ending with the end token, right-padded with 0. The model scores
`model(*sources, target_in) -> logits (B, T, V)`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from torch import Tensor

from attnkit.engine.sequence_loss import padded_cross_entropy, target_tokens

Batch = dict[str, Tensor]


class SequenceTraining:
    """Teacher-forced cross-entropy over the target tokens (padding ignored); held out, the loss
    per target token and the `scores` of the outputs the model finds by itself.

    outputs(model, batch) -> token ids per row (the pipeline's search); decode(ids) -> text
    (stops at the end token); scores(predictions, references) -> {metric: value};
    references(batch) -> the texts a held-out batch's outputs are scored against (default:
    its decoded `target_out`; e.g. the raw texts, which subword decoding only normalises);
    label_smoothing: of the training loss (held-out losses are plain cross-entropy).
    """

    def __init__(self, sources: Sequence[str], outputs: Callable[[Any, Batch], list[list[int]]],
                 decode: Callable[[Sequence[int]], str],
                 scores: Callable[[list[str], list[str]], dict[str, float]],
                 references: Callable[[Batch], list[str]] | None = None,
                 label_smoothing: float = 0.0) -> None:
        self.sources, self.outputs = tuple(sources), outputs
        self.decode, self.scores = decode, scores
        self.references = references or self.decoded_targets
        self.label_smoothing = label_smoothing

    def logits(self, model: Any, batch: Batch) -> Tensor:
        return model(*(batch[key] for key in self.sources), batch["target_in"])

    def loss(self, model: Any, batch: Batch) -> tuple[Tensor, int]:
        loss = padded_cross_entropy(self.logits(model, batch), batch["target_out"],
                                    label_smoothing=self.label_smoothing)
        return loss, batch[self.sources[0]].shape[0]

    def held_out_counts(self, model: Any, batch: Batch) -> Counter[str]:
        """Sums over one held-out batch that `held_out_metrics` turns into metrics."""
        return loss_counts(self.logits(model, batch), batch["target_out"])

    def held_out_metrics(self, counts: Counter[str]) -> dict[str, float]:
        return {"loss": counts["loss"] / max(counts["tokens"], 1)}

    def evaluate(self, model: Any, loader: Iterable[Batch]) -> dict[str, float]:
        counts: Counter[str] = Counter()
        predictions: list[str] = []
        references: list[str] = []
        for batch in loader:
            counts.update(self.held_out_counts(model, batch))
            predictions += [self.decode(ids) for ids in self.outputs(model, batch)]
            references += self.references(batch)
        return {**self.held_out_metrics(counts), **self.scores(predictions, references)}

    def decoded_targets(self, batch: Batch) -> list[str]:
        return [self.decode(row) for row in batch["target_out"].tolist()]


def loss_counts(logits: Tensor, targets: Tensor) -> Counter[str]:
    """logits (B, T, V), targets (B, T) -> the summed loss and the number of target tokens."""
    return Counter(loss=float(padded_cross_entropy(logits, targets, "sum")),
                   tokens=target_tokens(targets))
