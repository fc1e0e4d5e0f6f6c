"""Translation metrics, each named and returned with the signature that says how it was
computed, so a figure is never quoted without its kind.

- `bleu`: sacrebleu's BLEU with its default settings (detokenised text, its 13a tokeniser,
  mixed case, exponential smoothing): the comparable figure WMT reports.
- `chrf`: sacrebleu's chrF with its default settings (character 6-grams, beta 2).
- `bleu_lc_tok`: the "lowercased tokenised BLEU" that Multi30k papers quote. Those papers score
  the data repository's `data/task1/tok/*.lc.norm.tok.*` files with Moses' `multi-bleu.perl`;
  the repository's `scripts/task1-tokenize.sh` makes them with Moses' `lowercase.perl |
  normalize-punctuation.perl -l L | tokenizer.perl -l L`. Here hypotheses and references go
  through the same three steps (sacremoses, the Python port of those Moses scripts) and
  sacrebleu scores the tokens as they are (`tokenize="none"`, no smoothing: multi-bleu.perl's
  formula, 0 when an n-gram order has no match). On the raw Multi30k files this preparation
  gives the repository's tokenised test_2016_flickr files token for token (German and English:
  1,000 of 1,000 lines; French 999; val 1,013 of 1,014 in German and French, 1,014 in English).
  sacrebleu's own 13a tokeniser on lowercased text is no substitute: it leaves apostrophes
  attached and splits inside abbreviations (996 of 1,000 German, 980 English and 615 French
  test lines agree with the repository's).

sacrebleu is imported by the functions that need it and sacremoses by `bleu_lc_tok` (the
`translate` extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from attnkit.engine.sequence_metrics import check_pairs
from attnkit.errors import AttnkitError

EXTRA = "pip install 'attnkit[translate]'"


@dataclass(frozen=True)
class TranslationScore:
    """name: "bleu", "chrf" or "bleu_lc_tok"; score: 0-100; signature: how it was computed
    (sacrebleu's signature, after the preparation for bleu_lc_tok)."""

    name: str
    score: float
    signature: str

    def to_record(self) -> dict[str, Any]:
        return {"name": self.name, "score": self.score, "signature": self.signature}


def sacrebleu_metrics() -> Any:
    try:
        from sacrebleu import metrics
    except ImportError:
        raise AttnkitError(f"BLEU and chrF need sacrebleu: {EXTRA}") from None
    return metrics


def bleu(hypotheses: Sequence[str], references: Sequence[str]) -> TranslationScore:
    """sacrebleu's default BLEU of detokenised hypotheses against one reference each."""
    check_pairs(hypotheses, references)
    metric = sacrebleu_metrics().BLEU()
    score = metric.corpus_score(list(hypotheses), [list(references)]).score
    return TranslationScore("bleu", score, str(metric.get_signature()))


def chrf(hypotheses: Sequence[str], references: Sequence[str]) -> TranslationScore:
    """sacrebleu's default chrF (chrF2: character 6-grams, recall weighted twice)."""
    check_pairs(hypotheses, references)
    metric = sacrebleu_metrics().CHRF()
    score = metric.corpus_score(list(hypotheses), [list(references)]).score
    return TranslationScore("chrf", score, str(metric.get_signature()))


def bleu_lc_tok(hypotheses: Sequence[str], references: Sequence[str],
                language: str) -> TranslationScore:
    """multi-bleu.perl BLEU of Moses-prepared text (see the module docstring); `language`: the
    target language's ISO code (Moses' rules for en, de, fr, ...; others get its defaults)."""
    check_pairs(hypotheses, references)
    metric = sacrebleu_metrics().BLEU(tokenize="none", lowercase=True, smooth_method="none",
                                      force=True)
    prepared = [moses_lc_tok(text, language) for text in hypotheses]
    prepared_references = [moses_lc_tok(text, language) for text in references]
    score = metric.corpus_score(prepared, [prepared_references]).score
    signature = f"prep:lc+moses-norm+moses-tok.{language}|{sacremoses_version()}|"
    return TranslationScore("bleu_lc_tok", score, signature + str(metric.get_signature()))


def translation_scores(hypotheses: Sequence[str], references: Sequence[str],
                       language: str | None = None) -> dict[str, TranslationScore]:
    """bleu and chrf, and bleu_lc_tok when the target `language` is given."""
    scores = {"bleu": bleu(hypotheses, references), "chrf": chrf(hypotheses, references)}
    if language is not None:
        scores["bleu_lc_tok"] = bleu_lc_tok(hypotheses, references, language)
    return scores


def moses_lc_tok(text: str, language: str) -> str:
    """`text` as Multi30k's `*.lc.norm.tok.*` files have it: lower-cased, punctuation
    normalised, Moses-tokenised (with Moses' escapes such as `&apos;`, which change no token
    boundary)."""
    normalizer, tokenizer = moses_tools(language)
    return tokenizer.tokenize(normalizer.normalize(text.lower()), return_str=True, escape=True)


@lru_cache(maxsize=8)
def moses_tools(language: str) -> tuple[Any, Any]:
    try:
        from sacremoses import MosesPunctNormalizer, MosesTokenizer
    except ImportError:
        raise AttnkitError(f"bleu_lc_tok needs sacremoses (Moses' tokeniser): {EXTRA}") from None
    return MosesPunctNormalizer(lang=language), MosesTokenizer(lang=language)


def sacremoses_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"sacremoses:{version('sacremoses')}"
    except PackageNotFoundError:
        return "sacremoses:unknown"
