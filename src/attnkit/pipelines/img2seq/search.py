"""How an image-to-sequence model's outputs are searched, the same in validation and in use:
the recipe's `decode` (greedy or beam, and prefer_valid for molecules), the n best, and the
reading of each image in several views (`decode.rotations`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection

import numpy as np
import torch
from torch import Tensor

from attnkit.data.smiles_grammar import SmilesGrammar
from attnkit.data.smiles_tokenizer import TokenVocabulary
from attnkit.decoding import (
    GrammarDecoder,
    Hypothesis,
    beam_search_passing,
    normalised_score,
    search,
    search_n_best,
)
from attnkit.models.img2seq_kinds import ImageToSequence
from attnkit.pipelines.img2seq.data import image_lengths
from attnkit.pipelines.img2seq.recipe import DecodeConfig, Img2SeqRecipe


def search_images(model: ImageToSequence, images: Tensor, decode: DecodeConfig, start_id: int,
                  end_id: int, max_length: int,
                  is_valid: Callable[[list[int]], bool] | None = None,
                  n_best: int | None = None,
                  grammar: Callable[[tuple[int, ...]], Collection[int]] | None = None) -> \
        list[tuple[Hypothesis, list[Hypothesis]]]:
    """images (B, S, S) -> per image (the hypothesis read, the `n_best` best of the same beam
    or []). `is_valid` (token ids -> bool) enables prefer_valid: where the beam's best does not
    pass, the beam is searched again without it (`beam_search_passing`), for those images
    only; with `n_best`, the list stays the model's own ranking. `grammar` (the allowed next
    tokens of a prefix, e.g. `data.smiles_grammar.SmilesGrammar`) restricts every search to
    the outputs it allows."""
    lengths = image_lengths(model, images)
    ends = (start_id, end_id, max_length)
    if grammar is not None:
        model = GrammarDecoder(model, grammar, end_id)
    if n_best:
        lists = search_n_best(model, images, lengths, *ends, decode, n_best)
    else:
        lists = [[found] for found in search(model, images, lengths, *ends, decode)]
    chosen = [found[0] for found in lists]
    if decode.beam_width > 1 and decode.prefer_valid and is_valid is not None:
        failing = [i for i, found in enumerate(chosen) if not is_valid(found.tokens)]
        if failing:
            rows = torch.tensor(failing, device=images.device)
            passing = beam_search_passing(model, images[rows], lengths[rows], *ends,
                                          decode.beam_width, decode.length_penalty, is_valid,
                                          decode.valid_retries)
            for i, found in zip(failing, passing, strict=True):
                chosen[i] = found
    return [(best, found if n_best else []) for best, found in zip(chosen, lists, strict=True)]


def search_views(model: ImageToSequence, images: Tensor, decode: DecodeConfig, start_id: int,
                 end_id: int, max_length: int, grid_size: int,
                 is_valid: Callable[[list[int]], bool] | None = None,
                 n_best: int | None = None,
                 grammar: Callable[[tuple[int, ...]], Collection[int]] | None = None) -> \
        list[tuple[Hypothesis, list[Hypothesis]]]:
    """`search_images` of each view of images (B, S, S) that `decode.rotations` names (degrees
    counter-clockwise; 0 is the image as given), keeping per image the reading of the highest
    length-normalised score among those that pass `is_valid` (all, without it), else the first
    view's. Attention comes back on the image as given (each view's grid turned back)."""
    views = []
    for degrees in decode.rotations:
        turns = degrees // 90
        found = search_images(model, torch.rot90(images, turns, dims=(1, 2)), decode, start_id,
                              end_id, max_length, is_valid, n_best, grammar)
        views.append([(turned_back(best, turns, grid_size),
                       [turned_back(other, turns, grid_size) for other in others])
                      for best, others in found])
    if len(views) == 1:
        return views[0]
    chosen = []
    for readings in zip(*views, strict=True):
        passing = [reading for reading in readings
                   if is_valid is None or is_valid(reading[0].tokens)]
        chosen.append(max(passing, key=lambda reading: normalised_score(
            reading[0], decode.length_penalty)) if passing else readings[0])
    return chosen


def turned_back(hypothesis: Hypothesis, turns: int, grid_size: int) -> Hypothesis:
    """The hypothesis of an image turned `turns` quarter turns, its attention (T, G*G) turned
    back onto the image as given."""
    if turns % 4 == 0 or hypothesis.attention is None:
        return hypothesis
    T = hypothesis.attention.shape[0]
    grids = hypothesis.attention.reshape(T, grid_size, grid_size)
    back = np.rot90(grids, -turns, axes=(1, 2)).reshape(T, grid_size * grid_size)
    return dataclasses.replace(hypothesis, attention=np.ascontiguousarray(back))


def output_grammar(vocab: TokenVocabulary, recipe: Img2SeqRecipe) -> SmilesGrammar | None:
    """The SMILES grammar of a molecule recipe that decodes with one (`decode.grammar`)."""
    if not recipe.decode.grammar or recipe.data.tokenizer != "smiles":
        return None
    return SmilesGrammar(vocab.tokens, vocab.end_id)
