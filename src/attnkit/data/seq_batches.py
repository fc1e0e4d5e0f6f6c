"""Sequence-pair datasets and their collation into right-padded seq2seq batches.

A batch is `{"source": (B, S) int64, "source_lengths": (B,) int64, "target_in": (B, T),
"target_out": (B, T)}`, padded with id 0. `target_in` starts with `<s>`, `target_out` ends with
`</s>`; batches of numbered pairs also hold "index" (B,), each row's place in its dataset.
With `reverse_source` (the book's trick) each source is reversed within its own length before
padding, so the first real token sits at position length-1 and padding stays on the right; the
torch and NumPy engines both see exactly this batch.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from attnkit.data.char_vocab import CharVocabulary
from attnkit.errors import AttnkitError

Example = tuple[list[int], list[int]] | tuple[list[int], list[int], int]


class SequencePairs(Dataset):
    """Encoded (source ids, target ids) pairs; `source_lengths` (and `target_lengths`) feed the
    bucketed samplers. `vocab` encodes both sides, or the sources alone when `target_vocab` is
    given (e.g. `data.subwords.SubwordModel`s learnt on each side). `numbered`: each item also
    holds its index, so that a batch says which pairs it holds (e.g. to score outputs against
    the raw target texts)."""

    def __init__(self, vocab: CharVocabulary, sources: Sequence[str], targets: Sequence[str],
                 target_vocab: CharVocabulary | None = None, numbered: bool = False):
        if len(sources) != len(targets):
            raise AttnkitError(f"{len(sources)} sources but {len(targets)} targets")
        self.sources = [vocab.encode(text) for text in sources]
        self.targets = [(target_vocab or vocab).encode(text) for text in targets]
        self.source_lengths = [len(ids) for ids in self.sources]
        self.target_lengths = [len(ids) for ids in self.targets]
        self.numbered = numbered

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index: int) -> Example:
        if self.numbered:
            return self.sources[index], self.targets[index], index
        return self.sources[index], self.targets[index]


def pad(rows: Sequence[Sequence[int]]) -> Tensor:
    """Right-pad integer rows with 0 -> (B, longest) int64."""
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    batch = np.zeros((len(rows), int(lengths.max())), dtype=np.int64)
    batch[np.arange(batch.shape[1]) < lengths[:, None]] = np.fromiter(
        itertools.chain.from_iterable(rows), dtype=np.int64, count=int(lengths.sum()))
    return torch.from_numpy(batch)


def encode_sources(sources: Sequence[Sequence[int]], reverse_source: bool) -> dict[str, Tensor]:
    """Source ids -> {"source": (B, S), "source_lengths": (B,)}, reversed within length if asked."""
    rows = [list(reversed(row)) if reverse_source else list(row) for row in sources]
    lengths = torch.tensor([len(row) for row in rows], dtype=torch.long)
    return {"source": pad(rows), "source_lengths": lengths}


class PairCollator:
    """Turns a list of examples into one batch dict (see module docstring)."""

    def __init__(self, start_id: int, end_id: int, reverse_source: bool) -> None:
        self.start_id, self.end_id, self.reverse_source = start_id, end_id, reverse_source

    def __call__(self, examples: Sequence[Example]) -> dict[str, Tensor]:
        sources, targets, *numbers = zip(*examples, strict=True)
        batch = encode_sources(sources, self.reverse_source)
        batch["target_in"] = pad([[self.start_id, *target] for target in targets])
        batch["target_out"] = pad([[*target, self.end_id] for target in targets])
        if numbers:
            batch["index"] = torch.tensor(numbers[0], dtype=torch.long)
        return batch
