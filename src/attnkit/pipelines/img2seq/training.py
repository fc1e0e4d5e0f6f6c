"""Training an image-to-sequence model: the trainer's task (`SequenceTraining`), its metrics and
the run."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from attnkit.data.smiles_tokenizer import TokenVocabulary
from attnkit.decoding import SearchConfig, search
from attnkit.engine.seeding import seed_everything
from attnkit.engine.sequence_metrics import text_scores as sequence_text_scores
from attnkit.engine.trainer import Trainer
from attnkit.models.img2seq import Img2Seq
from attnkit.pipelines.img2seq.data import (
    EncodedTargets,
    ImageTextSplits,
    image_lengths,
    loaders,
)
from attnkit.pipelines.img2seq.recipe import Img2SeqRecipe, checkpoint_meta
from attnkit.pipelines.sequence_training import SequenceTraining

Batch = dict[str, Tensor]


def text_scores(predictions: list[str], references: list[str], molecules: bool) -> \
        dict[str, float]:
    """Molecule metrics (canonical exact match, validity, Tanimoto, ...) or text metrics."""
    if molecules:
        from attnkit.engine.molecule_metrics import molecule_scores

        return molecule_scores(predictions, references)
    return sequence_text_scores(predictions, references)


def img2seq_training(vocab: TokenVocabulary, max_length: int,
                     molecules: bool) -> SequenceTraining:
    """The trainer's task: teacher-forced cross-entropy (padding ignored); held out, the loss
    per token and the metrics (`text_scores`) of greedy outputs."""

    def outputs(model: nn.Module, batch: Batch) -> list[list[int]]:
        images = batch["images"]
        found = search(model, images, image_lengths(model, images), vocab.start_id,
                       vocab.end_id, max_length, SearchConfig())
        return [hypothesis.tokens for hypothesis in found]

    return SequenceTraining(("images",), outputs, vocab.decode,
                            functools.partial(text_scores, molecules=molecules))


def train(recipe: Img2SeqRecipe, splits: ImageTextSplits, encoded: EncodedTargets,
          run_dir: Path, resume: bool = False) -> list[dict[str, Any]]:
    """Train into `run_dir` (the trainer stops at train.time_limit_minutes); returns the history."""
    seed_everything(recipe.train.seed)
    molecules = recipe.data.tokenizer == "smiles"
    meta = checkpoint_meta(recipe, encoded.vocab, encoded.max_length, splits.skipped)
    model = Img2Seq(len(encoded.vocab), recipe.model)
    task = img2seq_training(encoded.vocab, encoded.max_length, molecules)
    trainer = Trainer(model, task, recipe.train, run_dir, meta)
    context = trainer.context
    return trainer.fit(*loaders(splits, encoded, recipe, context.rank, context.world_size),
                       resume=resume)
