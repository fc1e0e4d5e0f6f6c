"""`attnkit eval` of a seq2seq run: the pairs it is scored on and its scores.

Date and character runs report exact match and character accuracy, as they always have.
Translation runs (`Seq2seqRecipe.translates`) report sacrebleu's BLEU and chrF (default
signatures), the lowercased tokenised BLEU Multi30k papers quote (`bleu_lc_tok`, when the
recipe names `data.target_language`) and exact match, each score with the signature that
says how it was computed (`engine.translation_metrics`). Outputs are detokenised text, scored
against the raw target texts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attnkit.data.seq_files import load_pairs
from attnkit.engine.sequence_metrics import exact_match, sequence_scores
from attnkit.engine.translation_metrics import translation_scores
from attnkit.errors import AttnkitError
from attnkit.pipelines.seq2seq.data import build_splits
from attnkit.pipelines.seq2seq.predictor import Translator
from attnkit.pipelines.seq2seq.recipe import Seq2seqRecipe

SPLITS = ("val", "test")
SPLIT_NAMES = {"multi30k": {"val": "val", "test": "test_2016_flickr"},
               "dates": {"val": "validation", "test": "test"}}


def evaluation_pairs(recipe: Seq2seqRecipe, split: str = "test", data: Path | None = None,
                     file_format: str = "auto",
                     data_dir: str | Path | None = None) -> tuple[list[str], list[str], str]:
    """(sources, targets, what they are): the pairs of `data` when given, else the run's
    `split` ("val" or "test": Multi30k's val or test_2016_flickr, whole; generated dates'
    validation or test split). Runs on your own files name no split of their own here: a
    path recorded in a checkpoint is never read."""
    if data is not None:
        sources, targets = load_pairs(data, file_format)
        return sources, targets, str(data)
    if split not in SPLITS:
        raise AttnkitError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    config = recipe.data
    names = SPLIT_NAMES.get(config.source)
    if names is None or (config.source == "dates" and split == "test" and not config.test_size):
        raise AttnkitError(f"this run has no generated {split} split; pass --data FILE")
    splits = build_splits(config, data_dir, whole=True)
    if split == "val":
        return splits.val_sources, splits.val_targets, f"{config.source} {names['val']}"
    return splits.test_sources, splits.test_targets, f"{config.source} {names['test']}"


def scores(recipe: Seq2seqRecipe, outputs: list[str], targets: list[str]) -> dict[str, Any]:
    """The run's metrics of `outputs` against `targets` (see the module docstring)."""
    if not recipe.translates:
        return sequence_scores(outputs, targets)
    found = translation_scores(outputs, targets, recipe.data.target_language)
    return {"exact_match": exact_match(outputs, targets),
            **{name: score.to_record() for name, score in found.items()}}


def evaluate_run(translator: Translator, sources: list[str], targets: list[str],
                 described: str, beam_width: int | None = None) -> dict[str, Any]:
    """The translator's outputs on the pairs scored: {"pairs", metrics}, and for translation
    runs also "data" (`described`: what the pairs are) and "beam_width" (the search used)."""
    if not sources:
        raise AttnkitError("no pairs to evaluate")
    outputs = [result.output for result in translator.predict(sources, beam_width)]
    recipe = translator.recipe
    if not recipe.translates:  # the figures date runs have always reported, and only those
        return {"pairs": len(sources), **scores(recipe, outputs, targets)}
    return {"pairs": len(sources), "data": described,
            "beam_width": beam_width or recipe.decode.beam_width,
            **scores(recipe, outputs, targets)}
