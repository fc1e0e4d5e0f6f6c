"""What a seq2seq model says of one input: the `Translation`, and its JSON record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from attnkit.pipelines.prediction import scored, weights


@dataclass
class Translation:
    """source text -> output text; score: the log-probability of the output, its end
    included; attention (T, S): row per output token (`output_tokens`, which may hold special
    tokens that `output` leaves out), column per source token (`source_tokens`: the characters
    as the user wrote them, or the subword pieces the text was read as) in the user's order;
    None for models without attention (a Transformer's: the last layer's cross-attention,
    averaged over its heads). `n_best`: the best outputs of the same beam, best first (the
    first is this one), and `normalized_score` what the beam ranked by
    (score / length**length_penalty). `heads` (layers, heads, T, S): every layer's and head's
    cross-attention, when asked for (`Translator.predict(..., heads=True)`), else None."""

    source: str
    output: str
    output_tokens: list[str]
    score: float
    attention: np.ndarray | None
    source_tokens: list[str] = field(default_factory=list)
    normalized_score: float | None = None
    n_best: list[Translation] = field(default_factory=list)
    heads: np.ndarray | None = None

    def to_record(self, include_attention: bool = False) -> dict[str, Any]:
        """{"input", "output", "probability", "log_probability"}; "n_best": [{"output",
        "probability", "log_probability", "normalized_score"}] best first; with attention,
        "input_tokens" (its columns), "output_tokens" (its rows) and "attention", and "heads"
        (layers x heads x T x S) when the translation has them."""
        record = {"input": self.source, **scored(self.output, self.score)}
        if self.n_best:
            record["n_best"] = [scored(other.output, other.score,
                                       normalized_score=round(other.normalized_score, 6))
                                for other in self.n_best]
        if include_attention:
            record.update(input_tokens=list(self.source_tokens),
                          output_tokens=list(self.output_tokens),
                          attention=weights(self.attention))
            if self.heads is not None:
                record["heads"] = weights(self.heads)
        return record
