"""Training an image-to-sequence model: the trainer's task (`SequenceTraining` plus supervised
attention and the cell head's loss where atom positions are known), its metrics and the run."""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from attnkit.data.chem import parse_molecule
from attnkit.data.smiles_tokenizer import TokenVocabulary, is_atom_token
from attnkit.engine.seeding import seed_everything
from attnkit.engine.sequence_loss import padded_cross_entropy
from attnkit.engine.sequence_metrics import text_scores as sequence_text_scores
from attnkit.engine.trainer import Trainer
from attnkit.models.img2seq_kinds import build_img2seq
from attnkit.pipelines.img2seq.attention_supervision import (
    attention_on_target,
    attention_supervision_loss,
    cell_loss,
)
from attnkit.pipelines.img2seq.data import (
    EncodedTargets,
    ImageTextSplits,
    loaders,
)
from attnkit.pipelines.img2seq.recipe import (
    PIPELINE,
    Img2SeqRecipe,
    SupervisionConfig,
    checkpoint_meta,
)
from attnkit.pipelines.img2seq.search import output_grammar, search_images
from attnkit.pipelines.sequence_training import SequenceTraining, loss_counts
from attnkit.run.meta import is_strings, load_run_checkpoint
from attnkit.run.warm_start import warm_start

Batch = dict[str, Tensor]


def text_scores(predictions: list[str], references: list[str], molecules: bool) -> \
        dict[str, float]:
    """Molecule metrics (canonical exact match, validity, Tanimoto, ...) or text metrics."""
    if molecules:
        from attnkit.pipelines.img2seq.molecule_metrics import molecule_scores

        return molecule_scores(predictions, references)
    return sequence_text_scores(predictions, references)


class ImageSequenceTraining(SequenceTraining):
    """Teacher-forced cross-entropy, plus, on batches with atom positions, the recipe's
    supervision: attention pulled toward the atom each step writes and the cell head's loss.
    Held out it also reports `attention_on_atom`, the share of atom tokens whose attention peak
    lies within one grid cell of their atom."""

    def __init__(self, *args: Any, supervision: SupervisionConfig, is_atom: Tensor,
                 grid_size: int, image_size: int) -> None:
        super().__init__(*args)
        self.supervision, self.is_atom = supervision, is_atom
        self.grid_size, self.image_size = grid_size, image_size

    def logits(self, model: nn.Module, batch: Batch) -> Tensor:
        return model(batch["images"], batch["target_in"]).logits

    def loss(self, model: nn.Module, batch: Batch) -> tuple[Tensor, int]:
        scored = model(batch["images"], batch["target_in"])
        loss = padded_cross_entropy(scored.logits, batch["target_out"])
        signals = self.supervision
        if signals.attention_weight and "atom_positions" in batch:
            loss = loss + signals.attention_weight * attention_supervision_loss(
                scored.attention, batch["atom_positions"], self.grid_size, self.image_size,
                signals.attention_sigma)
        if signals.cell_weight and "cell_tokens" in batch:
            loss = loss + signals.cell_weight * cell_loss(scored.cells, batch["cell_tokens"])
        return loss, batch["images"].shape[0]

    def held_out_counts(self, model: nn.Module, batch: Batch) -> Counter[str]:
        batch = within_positions(model, batch)
        scored = model(batch["images"], batch["target_in"])
        counts = loss_counts(scored.logits, batch["target_out"])
        if "atom_positions" in batch:
            atoms = self.is_atom.to(batch["target_out"].device)[batch["target_out"]]
            positions = batch["atom_positions"].masked_fill(~atoms.unsqueeze(-1), float("nan"))
            on_target, total = attention_on_target(scored.attention, positions,
                                                   self.grid_size, self.image_size)
            counts.update(atoms_on_target=on_target, atoms=total)
        return counts

    def held_out_metrics(self, counts: Counter[str]) -> dict[str, float]:
        metrics = super().held_out_metrics(counts)
        if counts["atoms"]:
            metrics["attention_on_atom"] = counts["atoms_on_target"] / counts["atoms"]
        return metrics


def within_positions(model: nn.Module, batch: Batch) -> Batch:
    """A held-out batch cut to the positions a Transformer decoder has (`max_positions`, the
    training length limit): a validation target longer than every training one is scored on
    its first positions only (no search can write it whole anyway), instead of failing the
    run at the end of its first epoch. Recurrent decoders have no limit: unchanged."""
    config = getattr(getattr(model, "module", model), "config", None)
    limit = getattr(config, "max_positions", None)
    if limit is None or batch["target_in"].shape[1] <= limit:
        return batch
    cut = {**batch, "target_in": batch["target_in"][:, :limit],
           "target_out": batch["target_out"][:, :limit]}
    if "atom_positions" in batch:
        cut["atom_positions"] = batch["atom_positions"][:, :limit]
    return cut


def img2seq_training(vocab: TokenVocabulary, max_length: int,
                     recipe: Img2SeqRecipe) -> ImageSequenceTraining:
    """The trainer's objective; held out, the loss per token, the attention on atoms and the
    metrics (`text_scores`) of the outputs the recipe's search (`decode`) finds."""

    molecules = recipe.data.tokenizer == "smiles"
    grammar = output_grammar(vocab, recipe)

    def is_valid(ids: list[int]) -> bool:
        return parse_molecule(vocab.decode(ids)) is not None

    def outputs(model: nn.Module, batch: Batch) -> list[list[int]]:
        """The recipe's own search (`decode`), as the model will be used."""
        found = search_images(model, batch["images"], recipe.decode, vocab.start_id,
                              vocab.end_id, max_length, is_valid if molecules else None,
                              grammar=grammar)
        return [best.tokens for best, _ in found]

    is_atom = torch.tensor([molecules and is_atom_token(token) for token in vocab.tokens])
    return ImageSequenceTraining(("images",), outputs, vocab.decode,
                                 functools.partial(text_scores, molecules=molecules),
                                 supervision=recipe.supervision, is_atom=is_atom,
                                 grid_size=recipe.model.grid_size,
                                 image_size=recipe.model.image_size)


def train(recipe: Img2SeqRecipe, splits: ImageTextSplits, encoded: EncodedTargets,
          run_dir: Path, resume: bool = False) -> list[dict[str, Any]]:
    """Train into `run_dir` (the trainer stops at train.time_limit_minutes); returns the history."""
    seed_everything(recipe.train.seed)
    meta = checkpoint_meta(recipe, encoded.vocab, encoded.max_length, splits.skipped)
    model = build_img2seq(len(encoded.vocab), recipe.model, encoded.max_length)
    if recipe.train.init_from and not resume:
        start_from(model, recipe.train.init_from, encoded.vocab)
    task = img2seq_training(encoded.vocab, encoded.max_length, recipe)
    trainer = Trainer(model, task, recipe.train, run_dir, meta)
    context = trainer.context
    return trainer.fit(*loaders(splits, encoded, recipe, context.rank, context.world_size),
                       resume=resume)


def start_from(model: nn.Module, source: str, vocab: TokenVocabulary) -> None:
    """`train.init_from`: begin from an earlier image-to-sequence model's weights."""
    checkpoint = load_run_checkpoint(source, PIPELINE, "an image-to-sequence model",
                                     {"vocab": is_strings})
    print(warm_start(model, checkpoint, vocab.to_list(), checkpoint.meta["vocab"]).summary(),
          flush=True)
