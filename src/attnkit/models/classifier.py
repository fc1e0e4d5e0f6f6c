"""A text classifier: embedding -> stacked exact-masked BiLSTMs -> attention pooling -> MLP.

The seed recipe is the Keras model of the wikidocs "BiLSTM with attention" IMDB tutorial:
Embedding(10000, 128) -> BiLSTM(64, input dropout 0.5) -> BiLSTM(64) -> Bahdanau attention
(64 units) whose query is the last BiLSTM's final forward and backward states -> Dense(20,
ReLU) -> Dropout(0.5) -> Dense(1). Unlike the Keras layer, padding is masked everywhere: the
recurrent states are exact per sequence (``MaskedRNN``) and padded positions get attention 0.
Initialisation follows Keras (Glorot inputs, orthogonal recurrent weights, forget-gate bias 1,
uniform(-0.05, 0.05) embeddings), which the 3-epoch seed recipe was tuned with.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from attnkit.errors import AttnkitError
from attnkit.layers.masks import lengths_to_mask
from attnkit.layers.pooling import AttentionPooling
from attnkit.layers.recurrent import MaskedRNN
from attnkit.models.sizes import check_sizes

POOLINGS = ("attention", "attention_mean_max")
QUERIES = ("final_state", "learned")


@dataclass(frozen=True)
class ClassifierConfig:
    """Sizes and options of ``AttentionClassifier`` (the seed recipe's values by default).

    input_dropout: dropout on the first BiLSTM's inputs, one mask per sequence shared over
        time (Keras ``LSTM(dropout=...)``). layer_dropout: the same between BiLSTM layers.
    word_dropout: probability of zeroing a whole word's embedding (0 = off).
    query: "final_state" (concatenated final forward/backward states of the last BiLSTM)
        or "learned" (a trained query vector).
    pooling: "attention" (context only) or "attention_mean_max" (context, masked mean and
        masked max of the BiLSTM outputs, concatenated).
    num_classes: 2 gives one sigmoid logit; more give a softmax over num_classes logits.
    bigram_vocab_size: > 0 adds an embedding of each position's word pair (id 0 = padding)
        to the word embedding; 0 turns it off.
    """

    vocab_size: int = 10000
    embedding_size: int = 128
    hidden_size: int = 64
    num_layers: int = 2
    input_dropout: float = 0.5
    layer_dropout: float = 0.0
    word_dropout: float = 0.0
    attention: str = "additive"
    attention_units: int = 64
    query: str = "final_state"
    pooling: str = "attention"
    dense_size: int = 20
    dense_dropout: float = 0.5
    num_classes: int = 2
    bigram_vocab_size: int = 0

    def __post_init__(self) -> None:
        # the upper bounds, as the recipe is read; the rest when the model is built (`_check`)
        check_sizes(self, ("embedding_size", "hidden_size", "attention_units", "dense_size"),
                    ("num_layers",), ("vocab_size", "num_classes", "bigram_vocab_size"),
                    upper_only=True)


class SharedDropout(nn.Module):
    """Dropout with one mask per sequence, shared by all time steps (Keras RNN input dropout).

    inputs (B, S, E) -> (B, S, E); with ``per_word`` the mask is (B, S, 1): whole words drop.
    """

    def __init__(self, probability: float, per_word: bool = False) -> None:
        super().__init__()
        if not 0.0 <= probability < 1.0:
            raise AttnkitError(f"dropout must be in [0, 1), got {probability}")
        self.probability = probability
        self.per_word = per_word

    def forward(self, inputs: Tensor) -> Tensor:
        if not self.training or self.probability == 0.0:
            return inputs
        B, S, E = inputs.shape
        shape = (B, S, 1) if self.per_word else (B, 1, E)
        keep = inputs.new_empty(shape).bernoulli_(1.0 - self.probability)
        return inputs * keep / (1.0 - self.probability)


class AttentionClassifier(nn.Module):
    """Classifies right-padded token ids and says which tokens it attended to."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        _check(config)
        self.config = config
        state_size = 2 * config.hidden_size
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_size, padding_idx=0)
        self.bigram_embedding = None
        if config.bigram_vocab_size > 0:
            self.bigram_embedding = nn.Embedding(config.bigram_vocab_size, config.embedding_size,
                                                 padding_idx=0)
        self.word_dropout = SharedDropout(config.word_dropout, per_word=True)
        self.input_dropout = SharedDropout(config.input_dropout)
        self.layer_dropout = SharedDropout(config.layer_dropout)
        sizes = [config.embedding_size] + [state_size] * (config.num_layers - 1)
        self.encoders = nn.ModuleList(
            MaskedRNN("lstm", size, config.hidden_size, bidirectional=True) for size in sizes
        )
        learned = config.query == "learned"
        self.pooling = AttentionPooling(
            state_size, config.attention_units, None if learned else state_size, config.attention
        )
        # Settled here, not at each call: where the pooling's query comes from, and what the
        # head reads besides the attention context.
        self.pooling_query = LearnedQuery() if learned else FinalStateQuery()
        mean_max = config.pooling == "attention_mean_max"
        self.summary = ContextMeanMax() if mean_max else ContextOnly()
        features = state_size * (3 if mean_max else 1)
        outputs = 1 if config.num_classes == 2 else config.num_classes
        self.head = nn.Sequential(
            nn.Linear(features, config.dense_size),
            nn.ReLU(),
            nn.Dropout(config.dense_dropout),
            nn.Linear(config.dense_size, outputs),
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Keras' initialisation (see the module docstring)."""
        for embedding in (self.embedding, self.bigram_embedding):
            if embedding is not None:
                nn.init.uniform_(embedding.weight, -0.05, 0.05)
                with torch.no_grad():
                    embedding.weight[0].zero_()
        for encoder in self.encoders:
            for name, parameter in encoder.rnn.named_parameters():
                if name.startswith("weight_ih"):
                    nn.init.xavier_uniform_(parameter)
                elif name.startswith("weight_hh"):
                    for gate in parameter.chunk(4, dim=0):
                        nn.init.orthogonal_(gate)
                elif name.startswith("bias_ih"):
                    nn.init.zeros_(parameter)
                    parameter.data[self.config.hidden_size:2 * self.config.hidden_size] = 1.0
                else:
                    nn.init.zeros_(parameter)
        for layer in self.head:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    def forward(self, tokens: Tensor, lengths: Tensor, bigrams: Tensor | None = None,
                ngrams: Tensor | None = None,
                ngram_offsets: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """tokens (B, S) int64 right-padded with 0, lengths (B,), bigrams (B, S) | None
        (required when the model has a bigram embedding) ->
        logits (B,) for two classes (sigmoid) or (B, C) (softmax), weights (B, S)
        (attention over the tokens: probabilities, exactly 0 at padding).

        ngrams and ngram_offsets are read by the stacked classifier only; this model takes and
        ignores them, so that both kinds are called on a batch the same way."""
        B, S = tokens.shape
        mask = lengths_to_mask(lengths.to(tokens.device), S)
        embedded = self.embedding(tokens)
        if self.bigram_embedding is not None:
            if bigrams is None:
                raise ValueError("this model embeds bigrams: pass bigrams (B, S)")
            embedded = embedded + self.bigram_embedding(bigrams)
        states = self.input_dropout(self.word_dropout(embedded))
        for position, encoder in enumerate(self.encoders):
            if position > 0:
                states = self.layer_dropout(states)
            states, (final_hidden, _) = encoder(states, lengths)
        context, weights = self.pooling(states, mask, self.pooling_query(final_hidden))
        logits = self.head(self.summary(context, states, mask, lengths))
        return (logits.squeeze(1) if logits.shape[1] == 1 else logits), weights


class FinalStateQuery(nn.Module):
    """The pooling's query: the last BiLSTM's final forward and backward states,
    final_hidden (2, B, H) -> (B, 2H)."""

    def forward(self, final_hidden: Tensor) -> Tensor:
        return torch.cat([final_hidden[0], final_hidden[1]], dim=1)


class LearnedQuery(nn.Module):
    """No query from the data: the pooling uses the query vector it learns."""

    def forward(self, final_hidden: Tensor) -> None:
        return None


class ContextOnly(nn.Module):
    """What the head reads: the attention context (B, D) alone."""

    def forward(self, context: Tensor, states: Tensor, mask: Tensor, lengths: Tensor) -> Tensor:
        return context


class ContextMeanMax(nn.Module):
    """What the head reads: the attention context (B, D), then the masked mean and the masked
    max of the states (B, S, D) -> (B, 3D)."""

    def forward(self, context: Tensor, states: Tensor, mask: Tensor, lengths: Tensor) -> Tensor:
        return torch.cat([context, *masked_mean_max(states, mask, lengths)], dim=1)


def masked_mean_max(states: Tensor, mask: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """states (B, S, H), mask (B, S) -> mean (B, H) and max (B, H) over the real positions."""
    keep = mask.unsqueeze(2)
    mean = (states * keep).sum(dim=1) / lengths.to(states.device, states.dtype).unsqueeze(1)
    largest = states.masked_fill(~keep, float("-inf")).amax(dim=1)
    return mean, largest


def _check(config: ClassifierConfig) -> None:
    if config.pooling not in POOLINGS:
        raise AttnkitError(f"model.pooling must be one of {POOLINGS}, got {config.pooling!r}")
    if config.query not in QUERIES:
        raise AttnkitError(f"model.query must be one of {QUERIES}, got {config.query!r}")
    if config.num_classes < 2:
        raise AttnkitError(f"a classifier needs at least 2 classes, got {config.num_classes}")
    if config.bigram_vocab_size < 0:
        raise AttnkitError(f"model.bigram_vocab_size must be >= 0, got {config.bigram_vocab_size}")
    for name in ("vocab_size", "embedding_size", "hidden_size", "num_layers",
                 "attention_units", "dense_size"):
        if getattr(config, name) < 1:
            raise AttnkitError(f"model.{name} must be positive, got {getattr(config, name)}")
