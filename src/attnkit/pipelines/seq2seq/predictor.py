"""Running a trained seq2seq model: checked inputs in, translations with attention out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.seq_batches import encode_sources
from attnkit.decoding import GrammarDecoder, Hypothesis, search, search_n_best
from attnkit.engine.device import resolve_device
from attnkit.errors import AttnkitError
from attnkit.models.seq2seq import Seq2seq, build_seq2seq
from attnkit.pipelines.seq2seq.data import output_grammar
from attnkit.pipelines.seq2seq.recipe import PIPELINE, Seq2seqRecipe
from attnkit.recipe import recipe_from_dict
from attnkit.run.checkpoint import build_checked
from attnkit.run.meta import (
    is_count,
    is_mapping,
    is_strings,
    load_run_checkpoint,
)
from attnkit.runtime.onnx_graphs import OnnxStepDecoder, is_onnx_checkpoint

LENGTH_SLACK = 1.25  # inputs may be this much longer than the longest training input


@dataclass
class Translation:
    """source text -> output text; attention (T, S): row per output token (`output_tokens`,
    which may hold special tokens that `output` leaves out), column per source character in
    the order the user wrote them; None for models without attention."""

    source: str
    output: str
    output_tokens: list[str]
    score: float
    attention: np.ndarray | None


class Translator:
    """A model with its vocabulary, recipe and training limits, ready to translate text."""

    def __init__(self, model: Seq2seq, vocab: CharVocabulary, recipe: Seq2seqRecipe,
                 meta: dict[str, Any], device: torch.device) -> None:
        self.model, self.vocab, self.recipe, self.device = model.eval(), vocab, recipe, device
        # A little longer than the longest training input still works (attention does not
        # care about absolute positions much); far longer inputs are refused.
        self.longest_training_source = int(meta["max_source_length"])
        self.max_source_length = math.ceil(LENGTH_SLACK * self.longest_training_source)
        self.max_length = int(meta["max_target_length"]) + recipe.decode.extra_length
        grammar = output_grammar(recipe, vocab)  # e.g. only calendar dates
        self.searched = self.model if grammar is None else \
            GrammarDecoder(self.model, grammar, vocab.end_id)

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> Translator:
        checkpoint = load_run_checkpoint(path, PIPELINE, "a seq2seq one", {
            "recipe": is_mapping, "vocab": is_strings, "max_source_length": is_count,
            "max_target_length": is_count})
        meta = checkpoint.meta
        recipe = recipe_from_dict(Seq2seqRecipe, meta["recipe"])
        vocab = CharVocabulary.from_list(meta["vocab"])
        target = resolve_device(device)
        if is_onnx_checkpoint(checkpoint):  # an exported .onnx: ONNX Runtime runs it
            model = OnnxStepDecoder.from_checkpoint(checkpoint, device)
        else:
            model = build_checked(lambda: build_seq2seq(len(vocab), recipe.model), checkpoint,
                                  target)
        return cls(model, vocab, recipe, meta, target)

    def check(self, text: str) -> list[int]:
        """Character ids of `text`, or an AttnkitError saying what is wrong with it."""
        if not text.strip():
            raise AttnkitError("cannot translate an empty input")
        if len(text) > self.max_source_length:
            raise AttnkitError(
                f"input of {len(text)} characters is too long for this model: its longest "
                f"training input had {self.longest_training_source}, and inputs up to "
                f"{self.max_source_length} are accepted: {text[:40]!r}...")
        return self.vocab.encode(text)

    def predict(self, texts: Sequence[str], beam_width: int | None = None) -> list[Translation]:
        """A `Translation` per text, in order: its `output` text, `score` (the log-probability
        of the output, its end included) and `attention` (T, S) over the text's characters.
        `beam_width` overrides the recipe's search. A text the model cannot read (empty, far
        longer than its training inputs) is an AttnkitError."""
        if isinstance(texts, str):
            raise AttnkitError("predict takes a list of texts: predict([text]) for one")
        return self.translate(texts, beam_width)

    def translate(self, texts: Sequence[str], beam_width: int | None = None,
                  batch_size: int = 500) -> list[Translation]:
        """Translations of `texts`, in their order, searched in length-sorted batches.
        Surrounding whitespace is removed first (training data never has any)."""
        texts = [text.strip() for text in texts]
        ids = [self.check(text) for text in texts]
        decode = self.recipe.decode
        if beam_width is not None:
            decode = replace(decode, beam_width=beam_width)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        results: list[Translation | None] = [None] * len(ids)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = encode_sources([ids[i] for i in chunk], self.recipe.model.reverse_source)
            with torch.no_grad():
                found = search(self.searched, batch["source"].to(self.device),
                               batch["source_lengths"].to(self.device), self.vocab.start_id,
                               self.vocab.end_id, self.max_length, decode)
            for i, hypothesis in zip(chunk, found, strict=True):
                results[i] = self.translation(texts[i], hypothesis)
        return results  # type: ignore[return-value]

    def translate_n_best(self, texts: Sequence[str], n: int, beam_width: int | None = None,
                         batch_size: int = 500) -> list[list[Translation]]:
        """The `n` best translations of each text, best first as the beam ranks them (score /
        length**length_penalty); the first is what `translate` gives with the same beam. The
        beam (`beam_width`, else the recipe's) must be at least `n` wide (an AttnkitError)."""
        texts = [text.strip() for text in texts]
        ids = [self.check(text) for text in texts]
        decode = self.recipe.decode if beam_width is None else \
            replace(self.recipe.decode, beam_width=beam_width)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        results: list[list[Translation]] = [[] for _ in ids]
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = encode_sources([ids[i] for i in chunk], self.recipe.model.reverse_source)
            found = search_n_best(self.searched, batch["source"].to(self.device),
                                  batch["source_lengths"].to(self.device), self.vocab.start_id,
                                  self.vocab.end_id, self.max_length, decode, n)
            for i, hypotheses in zip(chunk, found, strict=True):
                results[i] = [self.translation(texts[i], h) for h in hypotheses]
        return results

    def translate_each(self, texts: Sequence[str],
                       beam_width: int | None = None) -> list[Translation | AttnkitError]:
        """Like `translate`, but an input the model cannot read gives its AttnkitError in its
        place instead of stopping the others."""
        results: list[Translation | AttnkitError | None] = []
        readable = []
        for text in texts:
            try:
                self.check(text.strip())
                readable.append(text)
                results.append(None)
            except AttnkitError as error:
                results.append(error)
        translations = iter(self.translate(readable, beam_width) if readable else [])
        return [next(translations) if result is None else result for result in results]

    def translation(self, text: str, hypothesis: Hypothesis) -> Translation:
        attention = hypothesis.attention
        if attention is not None and self.recipe.model.reverse_source:
            attention = attention[:, ::-1].copy()  # columns back in the user's order
        tokens = [self.vocab.tokens[i] for i in hypothesis.tokens]
        return Translation(text, self.vocab.decode(hypothesis.tokens), tokens, hypothesis.score,
                           attention)


def render_text_heatmap(translation: Translation) -> str:
    from attnkit.viz.text_heatmap import text_heatmap

    return text_heatmap(translation.attention, list(translation.source),
                        translation.output_tokens)


def write_heatmap(translation: Translation, path: Path) -> None:
    if translation.attention is None:
        raise AttnkitError("this model has no attention to draw (plain/peeky seq2seq)")
    from attnkit.viz.heatmap import plot_attention_heatmap

    plot_attention_heatmap(translation.attention, list(translation.source),
                           translation.output_tokens, path,
                           title=f"{translation.source} -> {translation.output}")
