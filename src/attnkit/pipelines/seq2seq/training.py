"""Training a seq2seq model with the torch engine: loss and held-out metrics."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.seq_files import PairSplits
from attnkit.decoding import search
from attnkit.engine.sequence_metrics import character_accuracy, exact_match
from attnkit.engine.trainer import Trainer
from attnkit.models.seq2seq import build_seq2seq
from attnkit.pipelines.seq2seq.data import loaders
from attnkit.pipelines.seq2seq.recipe import DecodeConfig, Seq2seqRecipe, checkpoint_meta

Batch = dict[str, Tensor]


class Seq2seqTraining:
    """The trainer's task: teacher-forced cross-entropy (padding ignored) and, held out,
    the loss per target token, exact match and character accuracy of searched outputs."""

    def __init__(self, vocab: CharVocabulary, decode: DecodeConfig, max_length: int) -> None:
        self.vocab, self.decode, self.max_length = vocab, decode, max_length

    def loss(self, model: nn.Module, batch: Batch) -> tuple[Tensor, int]:
        logits = model(batch["source"], batch["source_lengths"], batch["target_in"])
        loss = nn.functional.cross_entropy(logits.flatten(0, 1).float(),
                                           batch["target_out"].flatten(), ignore_index=0)
        return loss, batch["source"].shape[0]

    def evaluate(self, model: nn.Module, loader: Iterable[Batch]) -> dict[str, float]:
        total_loss, tokens = 0.0, 0
        predictions: list[str] = []
        references: list[str] = []
        for batch in loader:
            logits = model(batch["source"], batch["source_lengths"], batch["target_in"])
            count = int((batch["target_out"] != 0).sum())
            total_loss += float(nn.functional.cross_entropy(
                logits.flatten(0, 1).float(), batch["target_out"].flatten(), ignore_index=0,
                reduction="sum"))
            tokens += count
            found = search(model, batch["source"], batch["source_lengths"], self.vocab.start_id,
                           self.vocab.end_id, self.max_length, self.decode)
            predictions += [self.vocab.decode(h.tokens) for h in found]
            references += [self.vocab.decode(row) for row in batch["target_out"].tolist()]
        return {"loss": total_loss / max(tokens, 1),
                "exact_match": exact_match(predictions, references),
                "char_accuracy": character_accuracy(predictions, references)}


def train_torch(recipe: Seq2seqRecipe, splits: PairSplits, vocab: CharVocabulary,
                run_dir: Path, resume: bool = False) -> list[dict[str, Any]]:
    """Train the recipe's model on `splits` into `run_dir`; returns the per-epoch history."""
    torch.manual_seed(recipe.train.seed)
    meta = checkpoint_meta(recipe, vocab, splits)
    model = build_seq2seq(len(vocab), recipe.model)
    task = Seq2seqTraining(vocab, recipe.decode,
                           meta["max_target_length"] + recipe.decode.extra_length)
    trainer = Trainer(model, task, recipe.train, run_dir, meta)
    context = trainer.context
    return trainer.fit(*loaders(recipe, splits, vocab, context.rank, context.world_size),
                       resume=resume)
