"""The Transformer classifier is called and answers as `AttentionClassifier`; padding gets
attention exactly 0 and changes no prediction; it learns a small task."""

import inspect

import pytest
import torch

from attnkit.errors import AttnkitError
from attnkit.models.classifier import AttentionClassifier
from attnkit.models.transformer_classifier import (
    TransformerClassifier,
    TransformerClassifierConfig,
)

SMALL = dict(vocab_size=20, model_size=16, heads=2, ff_size=24, num_layers=2, dropout=0.0,
             attention_units=8, dense_size=8, dense_dropout=0.0, max_positions=32)


@pytest.fixture(autouse=True)
def _single_thread(one_thread):
    yield


def random_batch(lengths: list[int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    lengths_tensor = torch.tensor(lengths)
    tokens = torch.randint(2, 20, (len(lengths), max(lengths)), generator=generator)
    tokens[torch.arange(max(lengths))[None, :] >= lengths_tensor[:, None]] = 0
    return tokens, lengths_tensor


def test_same_call_as_the_attention_classifier():
    assert inspect.signature(TransformerClassifier.forward) == \
        inspect.signature(AttentionClassifier.forward)


@pytest.mark.parametrize("num_classes, bigrams", [(2, 0), (3, 7)])
def test_shapes_padding_and_weights(num_classes, bigrams):
    torch.manual_seed(0)
    model = TransformerClassifier(TransformerClassifierConfig(
        **SMALL, num_classes=num_classes, bigram_vocab_size=bigrams)).eval()
    tokens, lengths = random_batch([5, 2, 4])
    pairs = torch.randint(1, 7, tokens.shape) * (tokens > 0) if bigrams else None
    logits, weights = model(tokens, lengths, pairs)
    assert logits.shape == ((3,) if num_classes == 2 else (3, 3)) and weights.shape == (3, 5)
    assert (weights[1, 2:] == 0).all() and (weights[2, 4:] == 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(3))
    longer = torch.cat([tokens, torch.full((3, 4), 9)], dim=1)  # junk after each length
    longer_pairs = None if pairs is None else torch.cat([pairs, torch.full((3, 4), 3)], dim=1)
    padded_logits, padded_weights = model(longer, lengths, longer_pairs)
    torch.testing.assert_close(padded_logits, logits)
    torch.testing.assert_close(padded_weights[:, :5], weights)
    assert model.self_attention(tokens, lengths, pairs).shape == (3, 2, 2, 5, 5)


def test_a_bigram_model_needs_bigrams_and_bad_configs_fail():
    model = TransformerClassifier(TransformerClassifierConfig(**SMALL, bigram_vocab_size=5))
    with pytest.raises(ValueError, match="bigrams"):
        model(*random_batch([3, 2]))
    with pytest.raises(ValueError, match="divisible"):
        TransformerClassifierConfig(**{**SMALL, "heads": 3})
    with pytest.raises(AttnkitError, match="model.attention"):
        TransformerClassifier(TransformerClassifierConfig(**SMALL, attention="bogus"))


def test_tiny_overfit_finds_the_token_that_decides():
    """24 random texts whose label is whether token 7 occurs, anywhere: learnt to 100 %, and the
    pooling attends most to that token."""
    torch.manual_seed(3)
    tokens, lengths = random_batch([6, 9, 3, 8, 5, 7, 4, 9] * 3, seed=4)
    tokens[tokens == 7] = 8
    generator = torch.Generator().manual_seed(5)
    where = [int(torch.randint(0, int(n), (1,), generator=generator)) for n in lengths]
    labels = torch.tensor([1.0, 0.0] * 12)
    for row in range(0, 24, 2):
        tokens[row, where[row]] = 7
    model = TransformerClassifier(TransformerClassifierConfig(**SMALL))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(150):
        optimizer.zero_grad()
        logits, _ = model(tokens, lengths)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        loss.backward()
        optimizer.step()
    logits, weights = model.eval()(tokens, lengths)
    assert ((logits > 0).float() == labels).all(), loss.item()
    peaks = weights[::2].argmax(-1).tolist()
    hits = sum(peak == where[row] for peak, row in zip(peaks, range(0, 24, 2), strict=True))
    assert hits >= 10, hits  # 12 of 12 when written
