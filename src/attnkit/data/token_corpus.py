"""Labelled texts tokenised once into frequency-ranked word ids, cheap to cut to any vocabulary.

Every word of the training split gets its rank in the Keras order (most frequent first, ties
in order of first appearance) plus 2, so ids 0 and 1 stay ``<pad>`` and ``<oov>``; words seen
only outside training get ``<oov>``. A vocabulary of size V is then "ids >= V become
``<oov>``", which lets one cached corpus serve every vocabulary size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attnkit.data.text_tokenizer import TextTokenizer
from attnkit.data.word_vocab import OOV_ID, SPECIALS, WordVocabulary
from attnkit.errors import AttnkitError
from attnkit.files import write_atomically


@dataclass(frozen=True)
class EncodedTexts:
    """Texts of one split as ranked ids: text i is ``ids[offsets[i]:offsets[i + 1]]``."""

    ids: np.ndarray
    offsets: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def sequences(self, vocab_size: int, max_length: int) -> list[np.ndarray]:
        """Per-text int64 ids for a ``vocab_size`` vocabulary, keeping the last ``max_length``."""
        ids = np.where(self.ids < vocab_size, self.ids, OOV_ID).astype(np.int64)
        starts = np.maximum(self.offsets[:-1], self.offsets[1:] - max_length)
        return [ids[start:end] for start, end in zip(starts, self.offsets[1:], strict=True)]

    def subset(self, indices: np.ndarray) -> EncodedTexts:
        """The texts at ``indices``, in that order."""
        pieces = [self.ids[self.offsets[i]:self.offsets[i + 1]] for i in indices]
        lengths = np.array([len(piece) for piece in pieces], dtype=np.int64)
        ids = np.concatenate(pieces) if pieces else np.zeros(0, dtype=self.ids.dtype)
        return EncodedTexts(ids, np.concatenate([[0], np.cumsum(lengths)]), self.labels[indices])


@dataclass(frozen=True)
class TokenCorpus:
    """Training-split words in rank order and the encoded splits (e.g. "train", "test")."""

    words: list[str]
    splits: dict[str, EncodedTexts]

    def vocabulary(self, size: int) -> WordVocabulary:
        """The ``size``-entry vocabulary (specials included) that ``sequences(size, ...)`` uses."""
        return WordVocabulary(self.words[: max(0, size - len(SPECIALS))])

    def ranked_on(self, train: EncodedTexts, splits: dict[str, EncodedTexts]) -> TokenCorpus:
        """``splits`` with words re-ranked by their count in ``train`` alone (one of them), as
        when a validation share is carved out of the training split after it was ranked: words
        seen only outside ``train`` become ``<oov>``; ties keep their rank in this corpus."""
        first = len(SPECIALS)
        counts = np.bincount(train.ids, minlength=first + len(self.words))[first:]
        order = np.argsort(-counts, kind="stable")
        order = order[counts[order] > 0]
        new_ids = np.full(first + len(self.words), OOV_ID, dtype=np.int32)
        new_ids[:first] = np.arange(first)
        new_ids[first + order] = first + np.arange(len(order), dtype=np.int32)
        return TokenCorpus([self.words[i] for i in order],
                           {name: EncodedTexts(new_ids[texts.ids], texts.offsets, texts.labels)
                            for name, texts in splits.items()})


def encode_corpus(
    texts: dict[str, Sequence[str]],
    labels: dict[str, Sequence[int]],
    tokenizer: TextTokenizer,
    train_split: str = "train",
) -> TokenCorpus:
    """Tokenise every split, rank words by their count in ``train_split``, encode."""
    tokenized = {name: list(map(tokenizer.tokenize, split)) for name, split in texts.items()}
    counts: Counter[str] = Counter()
    for tokens in tokenized[train_split]:
        counts.update(tokens)
    words = [word for word, _ in sorted(counts.items(), key=lambda item: item[1], reverse=True)]
    rank = {word: position + len(SPECIALS) for position, word in enumerate(words)}
    splits = {}
    for name, token_lists in tokenized.items():
        lengths = np.array([len(tokens) for tokens in token_lists], dtype=np.int64)
        flat = [rank.get(word, OOV_ID) for tokens in token_lists for word in tokens]
        splits[name] = EncodedTexts(
            ids=np.array(flat, dtype=np.int32),
            offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            labels=np.asarray(labels[name], dtype=np.int64),
        )
    return TokenCorpus(words, splits)


def save_corpus(corpus: TokenCorpus, path: Path) -> None:
    """Write ``corpus`` as one ``.npz`` (no pickles), through a temporary file."""
    encoded_words = [word.encode("utf-8") for word in corpus.words]
    word_lengths = np.array([len(word) for word in encoded_words], dtype=np.int64)
    arrays = {
        "words_utf8": np.frombuffer(b"".join(encoded_words), dtype=np.uint8),
        "word_offsets": np.concatenate([[0], np.cumsum(word_lengths)]),
        "split_names": np.array(list(corpus.splits)),
    }
    for name, split in corpus.splits.items():
        arrays[f"{name}.ids"] = split.ids
        arrays[f"{name}.offsets"] = split.offsets
        arrays[f"{name}.labels"] = split.labels
    write_atomically(path, lambda temporary: np.savez(temporary, **arrays))


def load_corpus(path: Path) -> TokenCorpus:
    """Read a corpus written by ``save_corpus``."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            raw = stored["words_utf8"].tobytes()
            offsets = stored["word_offsets"]
            bounds = zip(offsets[:-1], offsets[1:], strict=True)
            words = [raw[start:end].decode("utf-8") for start, end in bounds]
            splits = {
                str(name): EncodedTexts(
                    stored[f"{name}.ids"], stored[f"{name}.offsets"], stored[f"{name}.labels"]
                )
                for name in stored["split_names"]
            }
    except (OSError, KeyError, ValueError) as error:
        raise AttnkitError(f"cannot read token cache {path}: {error}") from None
    return TokenCorpus(words, splits)
