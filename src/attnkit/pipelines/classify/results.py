"""What a text classifier says of one text: the `Prediction`, and its JSON record."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from attnkit.pipelines.prediction import probability, scored, weights

NEAR_EVEN = 2.0  # near even: the top token under twice an even share and the least's weight


@dataclass(frozen=True)
class Prediction:
    """`label` and its `probability`; every class's probability (`probabilities`, in the order
    of `classes`); one attention weight per token the model read (`weights`: the last
    ``len(weights)`` tokens of a long text), those tokens and their character `spans` in
    `text`. `n_best`: how many of the most probable classes the record lists."""

    label: str
    probability: float
    probabilities: list[float]
    weights: list[float]
    classes: list[str] = field(default_factory=list)
    text: str | None = None
    tokens: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    n_best: int = 0

    def top_tokens(self, count: int = 5) -> list[tuple[str, float]]:
        """The `count` most attended (token, weight) pairs, most attended first."""
        ranked = np.argsort(self.weights, kind="stable")[::-1][:count]
        return [(self.tokens[i], round(self.weights[i], 4)) for i in ranked]

    def attention_peak(self) -> float:
        """The top token's weight against an even share (weight x tokens): 1 when attention
        is spread evenly; below `NEAR_EVEN` it singles nothing out."""
        return max(self.weights) * len(self.weights) if self.weights else 1.0

    def near_even_note(self) -> str:
        """A plain sentence when the attention is near even (else ""): the top word has under
        `NEAR_EVEN` times an even share and under `NEAR_EVEN` times the least word's weight (a
        short text can single out three words of seven with no word at twice an even share)."""
        peak = self.attention_peak()
        if len(self.weights) < 2 or peak >= NEAR_EVEN or \
                max(self.weights) >= NEAR_EVEN * min(self.weights):
            return ""
        return (f"attention is near even here: the top word has {peak:.1f}x an even share, so "
                "the weights do not single out the words the answer rests on")

    def top_classes(self, count: int) -> list[tuple[str, float]]:
        """The `count` most probable (class, probability), most probable first (ties: class
        order)."""
        ranked = sorted(range(len(self.classes)), key=lambda i: -self.probabilities[i])
        return [(self.classes[i], self.probabilities[i]) for i in ranked[:count]]

    def to_record(self, include_attention: bool = False) -> dict[str, Any]:
        """{"input", "output": the label, "probability", "log_probability", "probabilities":
        {class: probability}, "top_tokens": [[token, weight]] (5)}; "n_best": [{"output",
        "probability", "log_probability"}] most probable first; with attention, "tokens",
        "spans" ([start, end] in the input) and "attention" (a weight per token)."""
        record = {"input": self.text, **scored(self.label, log(self.probability)),
                  "probabilities": {name: probability(value) for name, value
                                    in zip(self.classes, self.probabilities, strict=True)},
                  "top_tokens": [[token, weight] for token, weight in self.top_tokens()]}
        if self.n_best:
            record["n_best"] = [scored(name, log(value))
                                for name, value in self.top_classes(self.n_best)]
        if include_attention:
            record.update(tokens=list(self.tokens), spans=[list(span) for span in self.spans],
                          attention=weights(self.weights))
        return record


def log(value: float) -> float | None:
    return math.log(value) if value > 0 else None
