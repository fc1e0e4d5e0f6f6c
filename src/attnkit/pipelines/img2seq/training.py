"""Training an image-to-sequence model: loss and held-out metrics."""

from __future__ import annotations

from collections.abc import Iterable
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

Batch = dict[str, Tensor]


def text_scores(predictions: list[str], references: list[str], molecules: bool) -> \
        dict[str, float]:
    """Molecule metrics (canonical exact match, validity, Tanimoto, ...) or text metrics."""
    if molecules:
        from attnkit.engine.molecule_metrics import molecule_scores

        return molecule_scores(predictions, references)
    return sequence_text_scores(predictions, references)


class Img2SeqTraining:
    """Teacher-forced cross-entropy (padding ignored); held out: loss per token and the
    metrics of greedy outputs."""

    def __init__(self, vocab: TokenVocabulary, max_length: int, molecules: bool) -> None:
        self.vocab, self.max_length, self.molecules = vocab, max_length, molecules

    def loss(self, model: nn.Module, batch: Batch) -> tuple[Tensor, int]:
        logits = model(batch["images"], batch["target_in"])
        loss = nn.functional.cross_entropy(logits.flatten(0, 1).float(),
                                           batch["target_out"].flatten(), ignore_index=0)
        return loss, batch["images"].shape[0]

    def evaluate(self, model: nn.Module, loader: Iterable[Batch]) -> dict[str, float]:
        total_loss, tokens = 0.0, 0
        predictions: list[str] = []
        references: list[str] = []
        for batch in loader:
            logits = model(batch["images"], batch["target_in"])
            total_loss += float(nn.functional.cross_entropy(
                logits.flatten(0, 1).float(), batch["target_out"].flatten(), ignore_index=0,
                reduction="sum"))
            tokens += int((batch["target_out"] != 0).sum())
            found = search(model, batch["images"], image_lengths(model, batch["images"]),
                           self.vocab.start_id, self.vocab.end_id, self.max_length, SearchConfig())
            predictions += [self.vocab.decode(h.tokens) for h in found]
            references += [self.vocab.decode(row) for row in batch["target_out"].tolist()]
        return {"loss": total_loss / max(tokens, 1),
                **text_scores(predictions, references, self.molecules)}


def train(recipe: Img2SeqRecipe, splits: ImageTextSplits, encoded: EncodedTargets,
          run_dir: Path, resume: bool = False) -> list[dict[str, Any]]:
    """Train into `run_dir` (the trainer stops at train.time_limit_minutes); returns the history."""
    seed_everything(recipe.train.seed)
    molecules = recipe.data.tokenizer == "smiles"
    meta = checkpoint_meta(recipe, encoded.vocab, encoded.max_length, splits.skipped)
    model = Img2Seq(len(encoded.vocab), recipe.model)
    task = Img2SeqTraining(encoded.vocab, encoded.max_length, molecules)
    trainer = Trainer(model, task, recipe.train, run_dir, meta)
    context = trainer.context
    return trainer.fit(*loaders(splits, encoded, recipe, context.rank, context.world_size),
                       resume=resume)
