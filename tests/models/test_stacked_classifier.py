"""The n-gram branch and the stacked classifier, against their definitions."""

import pytest
import torch

from attnkit.models.classifier import AttentionClassifier, ClassifierConfig
from attnkit.models.stacked_classifier import NgramLogits, StackedClassifier


def test_ngram_logits_sum_ratio_times_weight_over_each_bag():
    torch.manual_seed(0)
    branch = NgramLogits(table_size=5, outputs=1)
    branch.ratios.copy_(torch.randn(5, 1))
    with torch.no_grad():
        branch.weight.copy_(torch.randn(5, 1))
        branch.bias.fill_(0.25)
    ngrams, offsets = torch.tensor([0, 3, 4, 1]), torch.tensor([0, 3, 3])  # the middle bag empty
    expected = torch.stack([
        (branch.weight * branch.ratios)[[0, 3, 4]].sum(0),
        torch.zeros(1),
        (branch.weight * branch.ratios)[[1]].sum(0),
    ]) + 0.25
    torch.testing.assert_close(branch(ngrams, offsets), expected)


def test_stacked_logits_blend_both_models_and_keep_the_attention_weights():
    torch.manual_seed(0)
    attention = AttentionClassifier(ClassifierConfig(vocab_size=20, embedding_size=8,
                                                     hidden_size=4, attention_units=4,
                                                     dense_size=4)).eval()
    model = StackedClassifier(attention, table_size=6).eval()
    with torch.no_grad():
        model.ngrams.ratios.copy_(torch.randn(6, 1))
        model.ngrams.weight.copy_(torch.randn(6, 1))
        model.blend.copy_(torch.tensor([0.7, 1.3]))
        model.blend_bias.fill_(-0.2)
    tokens = torch.tensor([[3, 4, 5, 0], [6, 7, 0, 0]])
    lengths = torch.tensor([3, 2])
    ngrams, offsets = torch.tensor([1, 2, 5]), torch.tensor([0, 2])
    logits, weights = model(tokens, lengths, None, ngrams, offsets)
    attention_logits, attention_weights = attention(tokens, lengths)
    ngram_logits = model.ngrams(ngrams, offsets).squeeze(1)
    torch.testing.assert_close(logits, 0.7 * attention_logits + 1.3 * ngram_logits - 0.2)
    torch.testing.assert_close(weights, attention_weights)
    assert weights[1, 2:].eq(0).all()


def test_stacked_classifier_needs_its_ngrams():
    attention = AttentionClassifier(ClassifierConfig(vocab_size=20, embedding_size=8,
                                                     hidden_size=4, attention_units=4,
                                                     dense_size=4)).eval()
    model = StackedClassifier(attention, table_size=6).eval()
    with pytest.raises(ValueError, match="pass ngrams and ngram_offsets"):
        model(torch.tensor([[3, 4]]), torch.tensor([2]))
