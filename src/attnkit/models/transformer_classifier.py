"""A text classifier: token embedding with positions -> Transformer encoder -> attention
pooling -> MLP, called and answering exactly as `models.classifier.AttentionClassifier`
(so the classify pipeline, its batches and its predictor take either).

The pooling's query is learned (no final recurrent state exists here); padded tokens get
attention weight exactly 0 in every self-attention and in the pooling.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from attnkit.errors import AttnkitError
from attnkit.layers.masks import lengths_to_mask
from attnkit.layers.pooling import AttentionPooling
from attnkit.layers.token_embedding import TokenEmbedding
from attnkit.models.sizes import check_sizes
from attnkit.models.transformer_stacks import TransformerEncoder


@dataclass(frozen=True)
class TransformerClassifierConfig:
    """Sizes of `TransformerClassifier`. `max_positions` must cover the pipeline's
    `data.max_length`; `attention` and `attention_units` are the pooling's (any
    `build_attention` kind); `num_classes` 2 gives one sigmoid logit, more a softmax;
    `bigram_vocab_size` > 0 adds an embedding of each position's word pair (id 0 = padding)."""

    vocab_size: int = 10000
    model_size: int = 128
    heads: int = 4
    ff_size: int = 256
    num_layers: int = 2
    dropout: float = 0.1
    max_positions: int = 512
    attention: str = "additive"
    attention_units: int = 64
    dense_size: int = 20
    dense_dropout: float = 0.1
    num_classes: int = 2
    bigram_vocab_size: int = 0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "model_size", "heads", "ff_size", "num_layers",
                     "max_positions", "attention_units", "dense_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        check_sizes(self, ("model_size", "ff_size", "attention_units", "dense_size"),
                    ("heads", "num_layers"), ("vocab_size",), ("max_positions",))
        if self.model_size % self.heads:
            raise ValueError(f"model_size {self.model_size} is not divisible by "
                             f"heads={self.heads}")
        if self.num_classes < 2:
            raise ValueError(f"a classifier needs at least 2 classes, got {self.num_classes}")
        if self.bigram_vocab_size < 0:
            raise ValueError(f"bigram_vocab_size must be >= 0, got {self.bigram_vocab_size}")
        for name in ("dropout", "dense_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1)")


class TransformerClassifier(nn.Module):
    """Classifies right-padded token ids and says which tokens it attended to."""

    def __init__(self, config: TransformerClassifierConfig) -> None:
        super().__init__()
        self.config = config
        E = config.model_size
        # dropout after the bigrams are added, so both embeddings see it
        self.embedding = TokenEmbedding(config.vocab_size, E, config.max_positions)
        self.embedding_dropout = nn.Dropout(config.dropout)
        self.bigram_embedding = None
        if config.bigram_vocab_size > 0:
            self.bigram_embedding = nn.Embedding(config.bigram_vocab_size, E, padding_idx=0)
            nn.init.normal_(self.bigram_embedding.weight, std=E**-0.5)
        self.encoder = TransformerEncoder(config.num_layers, E, config.heads, config.ff_size,
                                          config.dropout)
        try:
            self.pooling = AttentionPooling(E, config.attention_units, None, config.attention)
        except AttnkitError as error:
            raise AttnkitError(f"model.attention: {error}") from None
        outputs = 1 if config.num_classes == 2 else config.num_classes
        self.head = nn.Sequential(nn.Linear(E, config.dense_size), nn.ReLU(),
                                  nn.Dropout(config.dense_dropout),
                                  nn.Linear(config.dense_size, outputs))

    def forward(self, tokens: Tensor, lengths: Tensor, bigrams: Tensor | None = None,
                ngrams: Tensor | None = None,
                ngram_offsets: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """tokens (B, S) int64 right-padded with 0, lengths (B,), bigrams (B, S) | None
        (required when the model has a bigram embedding) ->
        logits (B,) for two classes (sigmoid) or (B, C) (softmax), weights (B, S)
        (the pooling's attention over the tokens: probabilities, exactly 0 at padding).

        ngrams and ngram_offsets are read by the stacked classifier only; this model takes and
        ignores them, as `AttentionClassifier` does."""
        B, S = tokens.shape
        mask = lengths_to_mask(lengths.to(tokens.device), S)
        embedded = self.embed(tokens, bigrams)
        states, _ = self.encoder(embedded, mask)
        context, weights = self.pooling(states, mask)
        logits = self.head(context)
        return (logits.squeeze(1) if logits.shape[1] == 1 else logits), weights

    def embed(self, tokens: Tensor, bigrams: Tensor | None) -> Tensor:
        """tokens (B, S), bigrams (B, S) | None -> (B, S, E), positions added."""
        embedded = self.embedding(tokens)
        if self.bigram_embedding is not None:
            if bigrams is None:
                raise ValueError("this model embeds bigrams: pass bigrams (B, S)")
            embedded = embedded + self.bigram_embedding(bigrams) * self.embedding.scale
        return self.embedding_dropout(embedded)

    def self_attention(self, tokens: Tensor, lengths: Tensor,
                       bigrams: Tensor | None = None) -> Tensor:
        """The encoder's weights (B, layers, heads, S, S), for pictures."""
        B, S = tokens.shape
        mask = lengths_to_mask(lengths.to(tokens.device), S)
        return self.encoder(self.embed(tokens, bigrams), mask)[1]
