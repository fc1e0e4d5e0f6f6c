"""How an image-to-sequence model's outputs are searched, the same in validation and in use:
the recipe's `decode` (greedy or beam, and prefer_valid for molecules), and the n best."""

from __future__ import annotations

from collections.abc import Callable, Collection

import torch
from torch import Tensor

from attnkit.data.smiles_grammar import SmilesGrammar
from attnkit.data.smiles_tokenizer import TokenVocabulary
from attnkit.decoding import (
    GrammarDecoder,
    Hypothesis,
    beam_search_passing,
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


def output_grammar(vocab: TokenVocabulary, recipe: Img2SeqRecipe) -> SmilesGrammar | None:
    """The SMILES grammar of a molecule recipe that decodes with one (`decode.grammar`)."""
    if not recipe.decode.grammar or recipe.data.tokenizer != "smiles":
        return None
    return SmilesGrammar(vocab.tokens, vocab.end_id)
