"""A StepDecoder whose outputs are written down: each source has its own few outputs, each with
a probability, and the model's next-token distribution is what those imply (the probability of
the outputs that go on with a token, over those that share the prefix; ending has the
probability of the prefix itself as an output). A search over it has a known answer, and each
source a different one: an oracle outside the searches, for tests of per-source behaviour.

Tokens: 0 padding, 2 start, 3 end, 4 "a", 5 "b". Every other continuation gets 1e-9.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

START, END, A, B = 2, 3, 4, 5
VOCABULARY = 6
LEAK = 1e-9


class ScriptedDecoder:
    """sources (B, 1) hold the index of the script each row follows (`positions`: one source
    position, as an image model's grid would say)."""

    positions = 1

    def __init__(self, scripts: list[dict[tuple[int, ...], float]]) -> None:
        self.scripts = scripts

    def encode(self, source: Tensor, source_lengths: Tensor) -> Tensor:
        return source[:, 0].long()

    def initial_state(self, memory: Tensor) -> list[tuple[int, ...]]:
        return [() for _ in range(memory.shape[0])]

    def decode_step(self, tokens: Tensor, state: list[tuple[int, ...]],
                    memory: Tensor) -> tuple[Tensor, list[tuple[int, ...]], None]:
        prefixes = [prefix if token == START else (*prefix, token)
                    for prefix, token in zip(state, tokens.tolist(), strict=True)]
        rows = [self.log_probs(self.scripts[int(script)], prefix)
                for script, prefix in zip(memory.tolist(), prefixes, strict=True)]
        return torch.tensor(rows), prefixes, None

    @staticmethod
    def log_probs(script: dict[tuple[int, ...], float], prefix: tuple[int, ...]) -> list[float]:
        mass = [0.0] * VOCABULARY
        for output, chance in script.items():
            if output[:len(prefix)] == prefix:
                mass[END if len(output) == len(prefix) else output[len(prefix)]] += chance
        total = sum(mass)
        if total == 0:  # off the script: nothing written continues this prefix
            return [math.log(1 / VOCABULARY)] * VOCABULARY
        return [math.log(max(value / total, LEAK)) for value in mass]

    def select_state(self, state: list[tuple[int, ...]], indices: Tensor) -> list:
        return [state[i] for i in indices.tolist()]

    def select_memory(self, memory: Tensor, indices: Tensor) -> Tensor:
        return memory[indices]


def sources(count: int) -> tuple[Tensor, Tensor]:
    """(source (B, 1), source_lengths (B,)) for scripts 0..count-1."""
    return torch.arange(count).unsqueeze(1), torch.ones(count, dtype=torch.long)
