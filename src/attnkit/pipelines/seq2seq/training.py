"""Training a seq2seq model with the torch engine: the trainer's task and the run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.seq_files import PairSplits
from attnkit.decoding import GrammarDecoder, SearchConfig, search
from attnkit.engine.sequence_metrics import sequence_scores
from attnkit.engine.trainer import Trainer
from attnkit.models.seq2seq import build_seq2seq
from attnkit.pipelines.seq2seq.data import loaders, output_grammar
from attnkit.pipelines.seq2seq.recipe import Seq2seqRecipe, checkpoint_meta
from attnkit.pipelines.sequence_training import SequenceTraining

SOURCES = ("source", "source_lengths")


def seq2seq_training(vocab: CharVocabulary, decode: SearchConfig, max_length: int,
                     grammar: Callable[[tuple[int, ...]], list[int]] | None = None
                     ) -> SequenceTraining:
    """The trainer's task: teacher-forced cross-entropy (padding ignored) and, held out, the
    loss per target token, exact match and character accuracy of the outputs `decode` finds
    (at most `max_length` tokens; only those `grammar` allows, when given)."""

    def outputs(model: nn.Module, batch: dict[str, Tensor]) -> list[list[int]]:
        searched = model if grammar is None else GrammarDecoder(model, grammar, vocab.end_id)
        found = search(searched, batch["source"], batch["source_lengths"], vocab.start_id,
                       vocab.end_id, max_length, decode)
        return [hypothesis.tokens for hypothesis in found]

    return SequenceTraining(SOURCES, outputs, vocab.decode, sequence_scores)


def train_torch(recipe: Seq2seqRecipe, splits: PairSplits, vocab: CharVocabulary,
                run_dir: Path, resume: bool = False) -> list[dict[str, Any]]:
    """Train the recipe's model on `splits` into `run_dir`; returns the per-epoch history."""
    torch.manual_seed(recipe.train.seed)
    meta = checkpoint_meta(recipe, vocab, splits)
    model = build_seq2seq(len(vocab), recipe.model)
    task = seq2seq_training(vocab, recipe.decode, search_length(meta),
                            output_grammar(recipe, vocab))
    trainer = Trainer(model, task, recipe.train, run_dir, meta)
    context = trainer.context
    return trainer.fit(*loaders(recipe, splits, vocab, context.rank, context.world_size),
                       resume=resume)


def search_length(meta: dict[str, Any]) -> int:
    """Longest output searched at evaluation: the longest training target plus the recipe's
    decode.extra_length."""
    extra = meta.get("recipe", {}).get("decode", {}).get("extra_length", 10)
    return int(meta.get("max_target_length", 50)) + int(extra)
