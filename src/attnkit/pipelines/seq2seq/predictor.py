"""Running a trained seq2seq model: checked inputs in, translations with attention out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.seq_batches import encode_sources
from attnkit.decoding import (
    GrammarDecoder,
    Hypothesis,
    SearchConfig,
    normalised_score,
    search,
    search_n_best,
)
from attnkit.errors import AttnkitError
from attnkit.models.seq2seq import Seq2seq, build_seq2seq
from attnkit.pipelines.prediction import check_input_list, with_beam_width
from attnkit.pipelines.seq2seq.data import output_grammar
from attnkit.pipelines.seq2seq.recipe import PIPELINE, Seq2seqRecipe
from attnkit.pipelines.seq2seq.results import Translation
from attnkit.recipe import recipe_from_dict
from attnkit.run.meta import (
    is_count,
    is_mapping,
    is_strings,
    load_run_checkpoint,
)
from attnkit.runtime.runtimes import runtime_for

LENGTH_SLACK = 1.25  # inputs may be this much longer than the longest training input


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
        runtime = runtime_for(checkpoint, device)
        model = runtime.step_decoder(checkpoint, lambda: build_seq2seq(len(vocab), recipe.model))
        return cls(model, vocab, recipe, meta, runtime.device)

    def describe(self) -> dict[str, Any]:
        return {"attention": self.recipe.model.kind == "attention"}

    def check(self, text: str) -> list[int]:
        """Character ids of `text`, or an AttnkitError saying what is wrong with it."""
        if not isinstance(text, str):
            raise AttnkitError(f"expected a text, got {type(text).__name__}")
        if not text.strip():
            raise AttnkitError("cannot translate an empty input")
        if len(text) > self.max_source_length:
            raise AttnkitError(
                f"input of {len(text)} characters is too long for this model: its longest "
                f"training input had {self.longest_training_source}, and inputs up to "
                f"{self.max_source_length} are accepted: {text[:40]!r}...")
        return self.vocab.encode(text)

    def predict(self, texts: Sequence[str], beam_width: int | None = None,
                n_best: int | None = None, batch_size: int = 500) -> list[Translation]:
        """A `Translation` per text, in order: its `output` text, `score` (the log-probability
        of the output, its end included) and `attention` (T, S) over the text's characters.
        `beam_width` overrides the recipe's search; `n_best` adds that many outputs of the same
        beam (at least as wide), best first. A text the model cannot read (empty, far longer
        than its training inputs) is an AttnkitError. Surrounding whitespace is removed first
        (training data never has any). Texts are searched in length-sorted batches."""
        check_input_list(texts, "texts", "text")
        ids = []
        for number, text in enumerate(texts, start=1):
            try:
                ids.append(self.check(text.strip() if isinstance(text, str) else text))
            except AttnkitError as error:
                raise AttnkitError(f"text {number}: {error}") from None
        texts = [text.strip() for text in texts]
        decode = with_beam_width(self.recipe.decode, beam_width)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        results: list[Translation | None] = [None] * len(ids)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = encode_sources([ids[i] for i in chunk], self.recipe.model.reverse_source)
            for i, found in zip(chunk, self.searched_batch(batch, decode, n_best), strict=True):
                results[i] = self.translation(texts[i], found[0], decode.length_penalty)
                if n_best:
                    results[i].n_best = [self.translation(texts[i], other,
                                                          decode.length_penalty)
                                         for other in found]
        return results  # type: ignore[return-value]

    @torch.no_grad()
    def searched_batch(self, batch: dict, decode: SearchConfig,
                       n_best: int | None) -> list[list[Hypothesis]]:
        """The best hypothesis of each source of an encoded batch (a list of one), or its
        `n_best` best from one beam search."""
        source = batch["source"].to(self.device)
        lengths = batch["source_lengths"].to(self.device)
        ends = (self.vocab.start_id, self.vocab.end_id, self.max_length)
        if n_best:
            return search_n_best(self.searched, source, lengths, *ends, decode, n_best)
        return [[found] for found in search(self.searched, source, lengths, *ends, decode)]

    def predict_each(self, texts: Sequence[str], beam_width: int | None = None,
                     n_best: int | None = None) -> list[Translation | AttnkitError]:
        """Like `predict`, but an input the model cannot read gives its AttnkitError in its
        place instead of stopping the others."""
        check_input_list(texts, "texts", "text")
        results: list[Translation | AttnkitError | None] = []
        readable = []
        for text in texts:
            try:
                self.check(text.strip() if isinstance(text, str) else text)
                readable.append(text)
                results.append(None)
            except AttnkitError as error:
                results.append(error)
        translations = iter(self.predict(readable, beam_width, n_best) if readable else [])
        return [next(translations) if result is None else result for result in results]

    def translation(self, text: str, hypothesis: Hypothesis,
                    length_penalty: float) -> Translation:
        attention = hypothesis.attention
        if attention is not None and self.recipe.model.reverse_source:
            attention = attention[:, ::-1].copy()  # columns back in the user's order
        tokens = [self.vocab.tokens[i] for i in hypothesis.tokens]
        return Translation(text, self.vocab.decode(hypothesis.tokens), tokens, hypothesis.score,
                           attention, list(text), normalised_score(hypothesis, length_penalty))


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
