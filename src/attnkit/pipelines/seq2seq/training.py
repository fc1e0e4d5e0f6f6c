"""Training a seq2seq model with the torch engine: the trainer's task and the run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from attnkit.data.pair_vocabulary import PairVocabulary
from attnkit.data.seq_files import PairSplits
from attnkit.decoding import GrammarDecoder, SearchConfig, search
from attnkit.engine.sequence_metrics import exact_match, sequence_scores
from attnkit.engine.trainer import Trainer
from attnkit.engine.translation_metrics import translation_scores
from attnkit.errors import AttnkitError
from attnkit.models.seq2seq_kinds import build_seq2seq_model
from attnkit.pipelines.seq2seq.data import loaders, output_grammar
from attnkit.pipelines.seq2seq.recipe import Seq2seqRecipe, checkpoint_meta, resolve_monitor
from attnkit.pipelines.sequence_training import Batch, SequenceTraining

SOURCES = ("source", "source_lengths")
Scores = Callable[[list[str], list[str]], dict[str, float]]


def seq2seq_training(vocabulary: PairVocabulary, decode: SearchConfig, max_length: int,
                     grammar: Callable[[tuple[int, ...]], list[int]] | None = None,
                     scores: Scores = sequence_scores,
                     references: Callable[[Batch], list[str]] | None = None,
                     label_smoothing: float = 0.0) -> SequenceTraining:
    """The trainer's task: teacher-forced cross-entropy (padding ignored, `label_smoothing`)
    and, held out, the loss per target token and the `scores` of the outputs `decode` finds
    (at most `max_length` tokens; only those `grammar` allows, when given) against
    `references(batch)` (default: the decoded targets)."""
    target = vocabulary.target

    def outputs(model: nn.Module, batch: dict[str, Tensor]) -> list[list[int]]:
        searched = model if grammar is None else GrammarDecoder(model, grammar, target.end_id)
        found = search(searched, batch["source"], batch["source_lengths"], target.start_id,
                       target.end_id, max_length, decode)
        return [hypothesis.tokens for hypothesis in found]

    return SequenceTraining(SOURCES, outputs, target.decode, scores, references,
                            label_smoothing)


def validation_scores(recipe: Seq2seqRecipe) -> Scores:
    """Exact match and character accuracy (dates, strings), or for translation recipes exact
    match, sacrebleu's BLEU and chrF (0-100, default signatures)."""
    if not recipe.translates:
        return sequence_scores

    def scores(outputs: list[str], references: list[str]) -> dict[str, float]:
        found = translation_scores(outputs, references)
        return {"exact_match": exact_match(outputs, references), "bleu": found["bleu"].score,
                "chrf": found["chrf"].score}

    return scores


def raw_references(texts: Sequence[str]) -> Callable[[Batch], list[str]]:
    """The texts of a numbered batch's rows (`data.loaders`: "index")."""
    return lambda batch: [texts[i] for i in batch["index"].tolist()]


def train_torch(recipe: Seq2seqRecipe, splits: PairSplits, vocabulary: PairVocabulary,
                run_dir: Path, resume: bool = False) -> list[dict[str, Any]]:
    """Train the recipe's model on `splits` into `run_dir`; returns the per-epoch history."""
    recipe = resolve_monitor(recipe)
    torch.manual_seed(recipe.train.seed)
    meta = checkpoint_meta(recipe, vocabulary, splits)
    check_positions(recipe, meta)
    model = build_seq2seq_model(recipe.model, len(vocabulary.source), len(vocabulary.target),
                                vocabulary.shared)
    task = seq2seq_training(vocabulary, recipe.decode, search_length(meta),
                            output_grammar(recipe, vocabulary), validation_scores(recipe),
                            raw_references(splits.val_targets), recipe.train.label_smoothing)
    trainer = Trainer(model, task, recipe.train, run_dir, meta)
    context = trainer.context
    return trainer.fit(*loaders(recipe, splits, vocabulary, context.rank, context.world_size),
                       resume=resume)


def search_length(meta: dict[str, Any]) -> int:
    """Longest output searched at evaluation: the longest training target plus the recipe's
    decode.extra_length."""
    extra = meta.get("recipe", {}).get("decode", {}).get("extra_length", 10)
    return int(meta.get("max_target_length", 50)) + int(extra)


def check_positions(recipe: Seq2seqRecipe, meta: dict[str, Any]) -> None:
    """A Transformer knows `max_positions` positions: the longest training source and the
    longest search (its end token included) must fit, else an AttnkitError before training."""
    if recipe.model.kind != "transformer":
        return
    positions = recipe.model.transformer.max_positions
    longest = max(meta["max_source_length"], search_length(meta) + 1)
    if longest > positions:
        raise AttnkitError(f"model.transformer.max_positions is {positions}, but the longest "
                           f"training source has {meta['max_source_length']} tokens and "
                           f"outputs are searched up to {search_length(meta)} tokens (the "
                           "longest target + decode.extra_length); raise max_positions")
