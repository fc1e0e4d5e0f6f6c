"""Training a seq2seq model with the torch engine: loaders, loss, held-out metrics."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader

from attnkit.data.bucketing import BucketBatchSampler
from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.seq_batches import PairCollator, SequencePairs
from attnkit.data.seq_files import PairSplits
from attnkit.decoding import search
from attnkit.engine.distributed import init_distributed
from attnkit.engine.sequence_metrics import character_accuracy, exact_match
from attnkit.engine.trainer import Trainer
from attnkit.models.seq2seq import build_seq2seq
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


def train_loader(dataset: SequencePairs, collator: PairCollator, batch_size: int,
                 seed: int) -> DataLoader:
    """Shuffled batches of similar source length, each padded to its own longest source."""
    context = init_distributed()
    sampler = BucketBatchSampler(dataset.source_lengths, batch_size, shuffle=True, seed=seed,
                                 num_replicas=context.world_size, rank=context.rank)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collator)


def eval_loader(dataset: SequencePairs, collator: PairCollator, batch_size: int) -> DataLoader:
    """Length-sorted batches in a fixed order (little padding, deterministic metrics)."""
    order = sorted(range(len(dataset)), key=dataset.source_lengths.__getitem__)
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return DataLoader(dataset, batch_sampler=batches, collate_fn=collator)


def train_torch(recipe: Seq2seqRecipe, splits: PairSplits, vocab: CharVocabulary,
                run_dir: Path, resume: bool = False) -> list[dict[str, Any]]:
    """Train the recipe's model on `splits` into `run_dir`; returns the per-epoch history."""
    torch.manual_seed(recipe.train.seed)
    meta = checkpoint_meta(recipe, vocab, splits)
    collator = PairCollator(vocab.start_id, vocab.end_id, recipe.model.reverse_source)
    train_data = SequencePairs(vocab, splits.train_sources, splits.train_targets)
    val_data = SequencePairs(vocab, splits.val_sources, splits.val_targets)
    model = build_seq2seq(len(vocab), recipe.model)
    task = Seq2seqTraining(vocab, recipe.decode,
                           meta["max_target_length"] + recipe.decode.extra_length)
    trainer = Trainer(model, task, recipe.train, run_dir, meta)
    return trainer.fit(train_loader(train_data, collator, recipe.train.batch_size,
                                    recipe.train.seed),
                       eval_loader(val_data, collator, recipe.data.eval_batch_size),
                       resume=resume)
