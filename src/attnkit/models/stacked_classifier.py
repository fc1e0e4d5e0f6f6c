"""The attention classifier stacked with a linear bag-of-n-grams model (NBSVM-style).

NgramLogits is Wang & Manning's NB-weighted linear model: each n-gram a text holds adds
ratio * weight to its logits, the ratio being the NB log-count ratio of the training data
(``data.ngrams.log_count_ratios``), so weights trained from zero start where naive Bayes points.
StackedClassifier blends the two models' logits with weights learned on the validation split:
logits = a * attention logits + b * n-gram logits + c. The attention weights it returns are the
attention model's, so explanations still show what the BiLSTM attended to.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnkit.models.classifier_kinds import KindedClassifier


class NgramLogits(nn.Module):
    """ngrams (N,) int64 table positions of a batch's texts, concatenated, ngram_offsets (B,)
    where each text's run starts -> logits (B, C'), C' = 1 for two classes, else C.

    ``keys`` holds the n-gram table (``data.ngrams.NgramTable``) so a checkpoint carries it."""

    def __init__(self, table_size: int, outputs: int) -> None:
        super().__init__()
        self.register_buffer("keys", torch.zeros(table_size, dtype=torch.long))
        self.register_buffer("ratios", torch.zeros(table_size, outputs))
        self.weight = nn.Parameter(torch.zeros(table_size, outputs))
        self.bias = nn.Parameter(torch.zeros(outputs))

    def forward(self, ngrams: Tensor, ngram_offsets: Tensor) -> Tensor:
        scaled = self.weight * self.ratios
        return nn.functional.embedding_bag(ngrams, scaled, ngram_offsets, mode="sum") + self.bias


class StackedClassifier(nn.Module):
    """tokens (B, S), lengths (B,), bigrams (B, S) | None, ngrams (N,), ngram_offsets (B,) ->
    logits (B,) for two classes or (B, C), attention weights (B, S) of the attention model.
    Called like `AttentionClassifier` (the same batch, the same arguments); `attention` is
    either kind of classifier (`models.classifier_kinds`)."""

    def __init__(self, attention: KindedClassifier, table_size: int) -> None:
        super().__init__()
        self.attention = attention
        outputs = 1 if attention.config.num_classes == 2 else attention.config.num_classes
        self.ngrams = NgramLogits(table_size, outputs)
        self.blend = nn.Parameter(torch.tensor([1.0, 1.0]))  # a, b
        self.blend_bias = nn.Parameter(torch.zeros(outputs))  # c

    def forward(self, tokens: Tensor, lengths: Tensor, bigrams: Tensor | None = None,
                ngrams: Tensor | None = None,
                ngram_offsets: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if ngrams is None or ngram_offsets is None:
            raise ValueError("a stacked classifier reads n-grams: pass ngrams and ngram_offsets")
        attention_logits, weights = self.attention(tokens, lengths, bigrams)
        return self.blended(attention_logits, self.ngrams(ngrams, ngram_offsets)), weights

    def blended(self, attention_logits: Tensor, ngram_logits: Tensor) -> Tensor:
        """attention logits (B,) | (B, C), n-gram logits (B, C') -> a * attention + b * n-gram
        + c, shaped like the attention logits."""
        if attention_logits.dim() == 1:
            return (self.blend[0] * attention_logits + self.blend[1] * ngram_logits.squeeze(1)
                    + self.blend_bias.squeeze(0))
        return self.blend[0] * attention_logits + self.blend[1] * ngram_logits + self.blend_bias
