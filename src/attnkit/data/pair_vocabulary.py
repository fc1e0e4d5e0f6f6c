"""The vocabularies of a sequence-pair model, and how its checkpoint keeps them: one character
vocabulary for both sides (`CharVocabulary`), or SentencePiece subword models learnt on the
training pairs (`data.subwords`: one joint model, or one per side).

Both kinds number their special tokens alike (`<pad>`=0, `<unk>`=1, `<s>`=2, `</s>`=3), so
batches, losses and searches treat them the same. A checkpoint's meta holds "vocab" (the
characters, as every character run has always stored them) or "subwords" (the models' bytes,
`SubwordTokenizers.to_meta`): never a path to a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.subwords import SubwordConfig, SubwordModel, SubwordTokenizers
from attnkit.errors import AttnkitError

Vocabulary = CharVocabulary | SubwordModel
TokenizerKind = Literal["characters", "subwords"]


@dataclass(frozen=True)
class PairVocabulary:
    """`source` encodes inputs, `target` encodes and decodes outputs; `shared` when they are
    one object (characters, a joint subword model): the same ids on both sides."""

    source: Vocabulary
    target: Vocabulary

    @classmethod
    def characters(cls, texts: Sequence[str]) -> PairVocabulary:
        """The characters of `texts` (the training pairs' two sides) for both sides."""
        vocabulary = CharVocabulary.build(texts)
        return cls(vocabulary, vocabulary)

    @classmethod
    def subwords(cls, sources: Sequence[str], targets: Sequence[str],
                 config: SubwordConfig) -> PairVocabulary:
        """Subword models learnt on the training `sources` and `targets` only."""
        tokenizers = SubwordTokenizers.train(sources, targets, config)
        return cls(tokenizers.source, tokenizers.target)

    @property
    def shared(self) -> bool:
        return self.source is self.target

    @property
    def start_id(self) -> int:
        return self.target.start_id

    @property
    def end_id(self) -> int:
        return self.target.end_id

    @property
    def kind(self) -> TokenizerKind:
        return "characters" if isinstance(self.source, CharVocabulary) else "subwords"

    def held_out(self) -> PairVocabulary:
        """The same ids, encoding what training never saw as `<unk>` (for held-out pairs)."""
        source = self.source.held_out()
        return PairVocabulary(source, source if self.shared else self.target.held_out())

    def source_tokens(self, text: str) -> list[str]:
        """The tokens `text` is read as (the columns of an attention plot): its characters, or
        its subword pieces (`▁` marks a piece that starts a word)."""
        if isinstance(self.source, SubwordModel):
            return self.source.pieces(text)
        return list(text)

    def to_meta(self) -> dict[str, Any]:
        """The checkpoint meta's entries for these vocabularies."""
        if isinstance(self.source, SubwordModel):
            return {"subwords": SubwordTokenizers(self.source, self.target).to_meta()}
        return {"vocab": self.source.to_list()}

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> PairVocabulary:
        """The vocabularies a checkpoint's meta stores (`to_meta`); an AttnkitError when it
        holds neither kind or a malformed one."""
        if "subwords" in meta:
            tokenizers = SubwordTokenizers.from_meta(meta["subwords"])
            return cls(tokenizers.source, tokenizers.target)
        characters = meta.get("vocab")
        if not isinstance(characters, list) or \
                not all(isinstance(item, str) for item in characters):
            raise AttnkitError("the checkpoint records neither its character vocabulary nor "
                               "its subword models")
        vocabulary = CharVocabulary.from_list(characters)
        return cls(vocabulary, vocabulary)
