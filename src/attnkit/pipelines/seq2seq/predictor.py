"""Running a trained seq2seq model: checked inputs in, translations with attention out."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

from attnkit.data.dates import day_first_reading
from attnkit.data.pair_vocabulary import PairVocabulary
from attnkit.data.seq_batches import encode_sources, pad
from attnkit.decoding import (
    GrammarDecoder,
    Hypothesis,
    SearchConfig,
    normalised_score,
    search,
    search_n_best,
)
from attnkit.errors import AttnkitError
from attnkit.models.seq2seq_kinds import build_seq2seq_model
from attnkit.pipelines.prediction import HeadView, check_input_list, with_beam_width
from attnkit.pipelines.seq2seq.data import output_grammar
from attnkit.pipelines.seq2seq.recipe import PIPELINE, Seq2seqRecipe
from attnkit.pipelines.seq2seq.results import Translation
from attnkit.recipe import recipe_from_dict
from attnkit.run.meta import is_count, is_mapping, load_run_checkpoint
from attnkit.runtime.runtimes import runtime_for

LENGTH_SLACK = 1.25  # inputs may be this much longer than the longest training input


class Translator:
    """A model with its vocabularies, recipe and training limits, ready to translate text.
    `vocab` is the output side's vocabulary (with characters, that of both sides)."""

    def __init__(self, model: Any, vocabulary: PairVocabulary, recipe: Seq2seqRecipe,
                 meta: dict[str, Any], device: torch.device, workers: int = 1) -> None:
        self.model, self.vocabulary, self.recipe, self.device = \
            model.eval(), vocabulary, recipe, device
        self.workers = workers  # batches searched at once (the runtime's parallel_calls)
        self.vocab = vocabulary.target
        self.output_pieces = vocabulary.target.tokens  # once: a subword model builds the list
        # A little longer than the longest training input still works (attention does not
        # care about absolute positions much); far longer inputs are refused.
        self.longest_training_source = int(meta["max_source_length"])
        self.max_source_length = math.ceil(LENGTH_SLACK * self.longest_training_source)
        self.max_length = int(meta["max_target_length"]) + recipe.decode.extra_length
        if recipe.model.kind == "transformer":  # it knows max_positions positions
            positions = recipe.model.transformer.max_positions
            self.max_source_length = min(self.max_source_length, positions)
            self.max_length = min(self.max_length, positions - 1)
        # a model trained with `data.unknown_rate` reads characters it never saw as <unk>
        reads_unknown = recipe.data.unknown_rate > 0 and vocabulary.kind == "characters"
        self.encoder_vocabulary = vocabulary.held_out() if reads_unknown else vocabulary
        self.day_first = False  # dates: read a/b/y and a-b-y day first (`day_first_reading`)
        grammar = output_grammar(recipe, vocabulary)  # e.g. only calendar dates
        self.searched = self.model if grammar is None else \
            GrammarDecoder(self.model, grammar, vocabulary.end_id)

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> Translator:
        checkpoint = load_run_checkpoint(path, PIPELINE, "a seq2seq one", {
            "recipe": is_mapping, "max_source_length": is_count, "max_target_length": is_count})
        meta = checkpoint.meta
        recipe = recipe_from_dict(Seq2seqRecipe, meta["recipe"])
        try:
            vocabulary = PairVocabulary.from_meta(meta)
        except AttnkitError as error:
            raise AttnkitError(f"{path}: {error}") from None
        runtime = runtime_for(checkpoint, device)
        model = runtime.step_decoder(checkpoint, lambda: build_seq2seq_model(
            recipe.model, len(vocabulary.source), len(vocabulary.target), vocabulary.shared),
            runtime.parallel_calls)
        return cls(model, vocabulary, recipe, meta, runtime.device, runtime.parallel_calls)

    def describe(self) -> dict[str, Any]:
        return {"attention": self.recipe.model.kind not in ("plain", "peeky"),
                "heads": self.has_heads, "tokens": self.vocabulary.kind}

    @property
    def has_heads(self) -> bool:
        """Whether every layer's and head's weights can be shown (torch Transformers)."""
        return self.recipe.model.kind == "transformer" and hasattr(self.model, "attention")

    def head_view(self, text: str) -> HeadView:
        """Every layer's and head's cross-attention of `text`'s translation (the recipe's
        search), as the record `attnkit serve` shows."""
        [translation] = self.predict([text], heads=True)
        assert translation.heads is not None
        return HeadView("cross-attention", translation.output, translation.output_tokens,
                        translation.source_tokens, translation.heads)

    def check(self, text: str) -> list[int]:
        """Source ids of `text`, or an AttnkitError saying what is wrong with it."""
        if not isinstance(text, str):
            raise AttnkitError(f"expected a text, got {type(text).__name__}")
        if not text.strip():
            raise AttnkitError("cannot translate an empty input")
        characters = self.vocabulary.kind == "characters"
        source = self.encoder_vocabulary.source
        ids = None if characters else source.encode(text)
        length = len(text) if characters else len(ids)
        if length > self.max_source_length:
            unit = "characters" if characters else "subword pieces"
            raise AttnkitError(
                f"input of {length} {unit} is too long for this model: its longest "
                f"training input had {self.longest_training_source}, and inputs up to "
                f"{self.max_source_length} are accepted: {text[:40]!r}...")
        return source.encode(self.read_as(text)) if ids is None else ids

    def read_as(self, text: str) -> str:
        """The text the model reads for `text` (with `day_first`, a/b/y as b/a/y)."""
        return day_first_reading(text) if self.day_first else text

    def predict(self, texts: Sequence[str], beam_width: int | None = None,
                n_best: int | None = None, batch_size: int = 500,
                heads: bool = False) -> list[Translation]:
        """A `Translation` per text, in order: its `output` text, `score` (the log-probability
        of the output, its end included) and `attention` (T, S) over the text's tokens.
        `beam_width` overrides the recipe's search; `n_best` adds that many outputs of the same
        beam (at least as wide), best first; `heads` adds every layer's and head's
        cross-attention (`Translation.heads`; Transformers only). A text the model cannot read
        (empty, far longer than its training inputs) is an AttnkitError. Surrounding
        whitespace is removed first (training data never has any). Texts are searched in
        length-sorted batches, `workers` batches at once (ONNX Runtime: one a core)."""
        check_input_list(texts, "texts", "text")
        if heads and not self.has_heads:
            raise AttnkitError("only a Transformer run (on torch) has attention heads to show")
        ids = []
        for number, text in enumerate(texts, start=1):
            try:
                ids.append(self.check(text.strip() if isinstance(text, str) else text))
            except AttnkitError as error:
                raise AttnkitError(f"text {number}: {error}") from None
        texts = [text.strip() for text in texts]
        decode = with_beam_width(self.recipe.decode, beam_width)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        size = min(batch_size, math.ceil(len(order) / self.workers)) or 1
        chunks = [order[start : start + size] for start in range(0, len(order), size)]

        def searched(chunk: list[int]) -> tuple[dict, list[list[Hypothesis]]]:
            batch = encode_sources([ids[i] for i in chunk], self.recipe.model.reads_reversed)
            return batch, self.searched_batch(batch, decode, n_best)

        parallel = self.workers > 1 and len(chunks) > 1
        with ThreadPoolExecutor(self.workers) if parallel else contextlib.nullcontext() as pool:
            answers = list((pool.map if pool else map)(searched, chunks))
        results: list[Translation | None] = [None] * len(ids)
        for chunk, (batch, found) in zip(chunks, answers, strict=True):
            layers = self.cross_attention(batch, [best[0] for best in found]) if heads \
                else [None] * len(chunk)
            for i, hypotheses, weights in zip(chunk, found, layers, strict=True):
                results[i] = self.translation(texts[i], hypotheses[0], decode.length_penalty)
                results[i].heads = weights
                if n_best:
                    results[i].n_best = [self.translation(texts[i], other,
                                                          decode.length_penalty)
                                         for other in hypotheses]
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

    @torch.no_grad()
    def cross_attention(self, batch: dict, found: list[Hypothesis]) -> list[np.ndarray]:
        """Each row's cross-attention (layers, heads, T, S) as the Transformer reads its
        output: row t is the attention while predicting output token t."""
        source = batch["source"].to(self.device)
        lengths = batch["source_lengths"]
        target_in = pad([[self.vocab.start_id, *hypothesis.tokens] for hypothesis in found])
        cross = self.model.attention(source, lengths.to(self.device),
                                     target_in.to(self.device)).cross.float().cpu().numpy()
        return [cross[b, :, :, : len(hypothesis.tokens), : int(lengths[b])]
                for b, hypothesis in enumerate(found)]

    def predict_each(self, texts: Sequence[str], beam_width: int | None = None,
                     n_best: int | None = None,
                     heads: bool = False) -> list[Translation | AttnkitError]:
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
        translations = iter(self.predict(readable, beam_width, n_best, heads=heads)
                            if readable else [])
        return [next(translations) if result is None else result for result in results]

    def translation(self, text: str, hypothesis: Hypothesis,
                    length_penalty: float) -> Translation:
        attention = hypothesis.attention
        if attention is not None and self.recipe.model.reads_reversed:
            attention = attention[:, ::-1].copy()  # columns back in the user's order
        tokens = [self.output_pieces[i] for i in hypothesis.tokens]
        return Translation(text, self.vocab.decode(hypothesis.tokens), tokens, hypothesis.score,
                           attention, self.vocabulary.source_tokens(self.read_as(text)),
                           normalised_score(hypothesis, length_penalty))


def render_text_heatmap(translation: Translation) -> str:
    from attnkit.viz.text_heatmap import text_heatmap

    return text_heatmap(translation.attention, translation.source_tokens,
                        translation.output_tokens)


def write_heatmap(translation: Translation, path: Path) -> None:
    if translation.attention is None:
        raise AttnkitError("this model has no attention to draw (plain/peeky seq2seq)")
    from attnkit.viz.heatmap import plot_attention_heatmap

    plot_attention_heatmap(translation.attention, translation.source_tokens,
                           translation.output_tokens, path,
                           title=f"{translation.source} -> {translation.output}")


def write_heads(translation: Translation, path: Path) -> None:
    """Every layer's and head's cross-attention of `translation`, and each layer's mean."""
    if translation.heads is None:
        raise AttnkitError("no attention heads to draw: translate with heads=True (a "
                           "Transformer run on torch)")
    from attnkit.viz.heads import plot_attention_heads

    plot_attention_heads(translation.heads, translation.source_tokens,
                         translation.output_tokens, path,
                         title=f"{translation.source} -> {translation.output}")
