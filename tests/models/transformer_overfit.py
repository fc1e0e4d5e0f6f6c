"""A few dozen generated date pairs and a full-batch loop that trains a sequence model on them
until greedy search writes every target (shared by the Transformer and residual LSTM tests)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.dates import generate_date_pairs
from attnkit.data.seq_batches import PairCollator, SequencePairs
from attnkit.decoding import greedy_search

SOURCES, TARGETS = generate_date_pairs(32, seed=5)
VOCAB = CharVocabulary.build(SOURCES + TARGETS)


def date_batch() -> dict[str, torch.Tensor]:
    pairs = SequencePairs(VOCAB, SOURCES, TARGETS)
    return PairCollator(VOCAB.start_id, VOCAB.end_id, reverse_source=False)(
        [pairs[i] for i in range(len(pairs))])


def greedy_texts(model, batch: dict[str, torch.Tensor]) -> list[str]:
    found = greedy_search(model.eval(), batch["source"], batch["source_lengths"],
                          VOCAB.start_id, VOCAB.end_id, 12)
    return [VOCAB.decode(hypothesis.tokens) for hypothesis in found]


def overfit(model, batch: dict[str, torch.Tensor], steps: int, lr: float = 3e-3) -> list[str]:
    """Adam on the whole batch until greedy search is right everywhere (checked every 25
    steps) or `steps` run out -> the last greedy outputs."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for step in range(1, steps + 1):
        model.train()
        logits = model(batch["source"], batch["source_lengths"], batch["target_in"])
        loss = F.cross_entropy(logits.flatten(0, 1), batch["target_out"].flatten(),
                               ignore_index=0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 25 == 0 and (outputs := greedy_texts(model, batch)) == TARGETS:
            break
    return outputs
