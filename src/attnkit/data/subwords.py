"""Subword tokenisation with SentencePiece: models learnt on training text only, kept inside the
checkpoint, and detokenised output.

A model is learnt from Python iterables in memory (no file is written) and kept as its
serialised model proto: `to_meta()` stores it as base64 text in the checkpoint's JSON meta and
`from_meta()` loads it back from those bytes, never from a path a checkpoint names.
Ids follow `SymbolVocabulary`'s: `<pad>`=0, `<unk>`=1, `<s>`=2, `</s>`=3, then the pieces, so
`SequencePairs`, `PairCollator` and `padded_cross_entropy` take a `SubwordModel` as they take a
`CharVocabulary`.

The default algorithm is BPE (Sennrich et al. 2016), as in the Multi30k repository's own
recipe (`scripts/task1-bpe.sh`: joint BPE) and the papers whose figures we compare with. On the
Multi30k en-de training pairs (`bench/multi30k_stats.py`) it also gives 2-3 % fewer pieces per
sentence than the unigram model at the same vocabulary size (8,000 joint: 14.3 and 14.8 pieces
per English and German sentence against 14.7 and 15.2), so fewer decoder steps, and it reaches
any size a side's text allows, where a unigram model of the English side alone stops at 7,931
pieces. `algorithm: unigram` (Kudo 2018) is there for comparison on validation. Training reads
every sentence in the order given, on one thread, so the same texts and settings give the same
model bytes.

Text is normalised as SentencePiece's `nmt_nfkc` rule does (NFKC, runs of white space become
one space, none at either end), so `decode(encode(text))` is that normalised text.
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from attnkit.errors import AttnkitError

SPECIALS = ("<pad>", "<unk>", "<s>", "</s>")
PAD_ID, UNK_ID, START_ID, END_ID = range(4)
LIBRARY = "sentencepiece"
MAX_VOCAB_SIZE = 1_000_000


@dataclass(frozen=True)
class SubwordConfig:
    """vocab_size: pieces per model, the four special tokens included; algorithm: "bpe" or
    "unigram"; joint: one model learnt on both sides (shared ids, so embeddings can be tied) or one
    per side; character_coverage: the share of training characters kept as pieces (1.0 keeps
    every character of alphabetic languages; rarer ones become `<unk>`); seed: SentencePiece's
    random generator (training on every sentence draws nothing from it)."""

    vocab_size: int = 8000
    algorithm: Literal["bpe", "unigram"] = "bpe"
    joint: bool = True
    character_coverage: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not len(SPECIALS) < self.vocab_size <= MAX_VOCAB_SIZE:
            raise ValueError(f"subwords.vocab_size must be from {len(SPECIALS) + 1} to "
                             f"{MAX_VOCAB_SIZE}, got {self.vocab_size}")
        if self.algorithm not in ("bpe", "unigram"):
            raise ValueError(f"subwords.algorithm must be bpe or unigram, got {self.algorithm!r}")
        if not 0.9 <= self.character_coverage <= 1.0:
            raise ValueError("subwords.character_coverage must be from 0.9 to 1.0, got "
                             f"{self.character_coverage}")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"subwords.seed must be from 0 to 2**32 - 1, got {self.seed}")


def sentencepiece_module() -> Any:
    try:
        import sentencepiece
    except ImportError:
        raise AttnkitError("subword tokenisation needs sentencepiece: "
                           "pip install 'attnkit[translate]'") from None
    return sentencepiece


class SubwordModel:
    """One SentencePiece model, loaded from its serialised bytes (`to_bytes()`)."""

    pad_id, unk_id, start_id, end_id = PAD_ID, UNK_ID, START_ID, END_ID

    def __init__(self, model_proto: bytes) -> None:
        sentencepiece = sentencepiece_module()
        try:
            processor = sentencepiece.SentencePieceProcessor(model_proto=model_proto)
        except (RuntimeError, TypeError) as error:
            raise AttnkitError(f"not a SentencePiece model ({error})") from None
        size = processor.get_piece_size()
        found = tuple(processor.id_to_piece(i) for i in range(min(size, len(SPECIALS))))
        if size <= len(SPECIALS) or found != SPECIALS or processor.unk_id() != UNK_ID:
            raise AttnkitError(f"the SentencePiece model has {size} pieces starting with "
                               f"{found}; an attnkit model starts with {SPECIALS}")
        self.processor = processor
        self.model_proto = bytes(model_proto)

    @classmethod
    def train(cls, texts: Iterable[str], config: SubwordConfig,
              what: str = "this text") -> SubwordModel:
        """A model learnt on `texts` (training text only: held-out text must not shape it);
        `what` names the text in errors."""
        sentencepiece = sentencepiece_module()
        sentencepiece.set_random_generator_seed(config.seed)
        written = io.BytesIO()
        try:
            sentencepiece.SentencePieceTrainer.train(
                sentence_iterator=iter(texts), model_writer=written,
                vocab_size=config.vocab_size, model_type=config.algorithm,
                character_coverage=config.character_coverage,
                pad_id=PAD_ID, unk_id=UNK_ID, bos_id=START_ID, eos_id=END_ID,
                pad_piece=SPECIALS[0], unk_piece=SPECIALS[1], bos_piece=SPECIALS[2],
                eos_piece=SPECIALS[3], input_sentence_size=0, shuffle_input_sentence=False,
                num_threads=1, minloglevel=2)
        except RuntimeError as error:
            # e.g. "Vocabulary size is too high (16000). Please set it to a value <= 9342."
            raise AttnkitError(f"cannot learn a {config.vocab_size}-piece {config.algorithm} "
                               f"model from {what}: {error}".strip()) from None
        return cls(written.getvalue())

    def to_bytes(self) -> bytes:
        return self.model_proto

    def __len__(self) -> int:
        return self.processor.get_piece_size()

    @property
    def tokens(self) -> list[str]:
        """Every piece, by id (`▁` marks a piece that starts a word)."""
        return [self.processor.id_to_piece(i) for i in range(len(self))]

    def encode(self, text: str) -> list[int]:
        """Piece ids of `text`, without start or end token; characters the model lacks are
        `<unk>`."""
        return self.processor.encode(text, out_type=int)

    def pieces(self, text: str) -> list[str]:
        return self.processor.encode(text, out_type=str)

    def held_out(self) -> SubwordModel:
        """Itself: unseen characters are already `<unk>` (`CharVocabulary.held_out`'s role)."""
        return self

    def decode_tokens(self, ids: Iterable[int]) -> list[str]:
        """Pieces of `ids`, stopping at the end token and skipping the other special tokens
        (`<unk>` stays): the labels of an attention plot."""
        return [self.processor.id_to_piece(i) for i in self._content(ids)]

    def decode(self, ids: Iterable[int]) -> str:
        """Detokenised text of `ids` (stops at the end token); `<unk>` is written ` ⁇ `."""
        return self.processor.decode(self._content(ids))

    def _content(self, ids: Iterable[int]) -> list[int]:
        content = []
        for token_id in map(int, ids):
            if token_id == END_ID:
                break
            if token_id not in (PAD_ID, START_ID):
                content.append(token_id)
        return content


@dataclass(frozen=True)
class SubwordTokenizers:
    """The source and target models; a joint model is one object on both sides."""

    source: SubwordModel
    target: SubwordModel

    @property
    def joint(self) -> bool:
        return self.source is self.target

    @classmethod
    def train(cls, sources: Sequence[str], targets: Sequence[str],
              config: SubwordConfig) -> SubwordTokenizers:
        """Models learnt on the training `sources` and `targets`: one on both (config.joint)
        or one on each."""
        if config.joint:
            model = SubwordModel.train(itertools.chain(sources, targets), config,
                                       "the source and target text")
            return cls(model, model)
        return cls(SubwordModel.train(sources, config, "the source text"),
                   SubwordModel.train(targets, config, "the target text"))

    def to_meta(self) -> dict[str, Any]:
        """JSON for the checkpoint meta: the model bytes as base64 text."""
        meta: dict[str, Any] = {"library": LIBRARY, "joint": self.joint,
                                "source": encode_base64(self.source.to_bytes())}
        if not self.joint:
            meta["target"] = encode_base64(self.target.to_bytes())
        return meta

    @classmethod
    def from_meta(cls, meta: Any) -> SubwordTokenizers:
        """The models `to_meta` stored, checked: a malformed entry is an `AttnkitError`."""
        if not isinstance(meta, dict) or meta.get("library") != LIBRARY or \
                not isinstance(meta.get("joint"), bool):
            raise AttnkitError("the checkpoint's subword models are missing or malformed")
        source = SubwordModel(decode_base64(meta.get("source")))
        if meta["joint"]:
            return cls(source, source)
        return cls(source, SubwordModel(decode_base64(meta.get("target"))))


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode_base64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise AttnkitError("the checkpoint's subword model is not base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise AttnkitError("the checkpoint's subword model is not valid base64") from None
