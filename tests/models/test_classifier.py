import pytest
import torch

from attnkit.errors import AttnkitError
from attnkit.models.classifier import AttentionClassifier, ClassifierConfig, SharedDropout

from ..pipelines.classify.classify_run import one_thread

SMALL = dict(vocab_size=50, embedding_size=16, hidden_size=8, attention_units=8, dense_size=8)


@pytest.fixture(autouse=True)
def _single_thread():
    with one_thread():
        yield



def random_batch(lengths, vocab_size=50, seed=0):
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor(lengths)
    tokens = torch.randint(2, vocab_size, (len(lengths), int(lengths.max())), generator=generator)
    tokens[torch.arange(tokens.shape[1]) >= lengths[:, None]] = 0
    return tokens, lengths


@pytest.mark.parametrize("pooling", ["attention", "attention_mean_max"])
@pytest.mark.parametrize("query", ["final_state", "learned"])
def test_shapes_and_attention_is_zero_at_padding(pooling, query):
    torch.manual_seed(0)
    model = AttentionClassifier(ClassifierConfig(**SMALL, pooling=pooling, query=query)).eval()
    tokens, lengths = random_batch([7, 3, 1, 5])
    logits, weights = model(tokens, lengths)
    assert logits.shape == (4,) and weights.shape == (4, 7)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(4))
    padding = torch.arange(7) >= lengths[:, None]
    assert (weights[padding] == 0).all()


@pytest.mark.parametrize(("pooling", "bigram_vocab_size"),
                         [("attention", 0), ("attention_mean_max", 0), ("attention", 30)])
def test_padding_never_changes_a_prediction(pooling, bigram_vocab_size):
    torch.manual_seed(1)
    config = ClassifierConfig(**SMALL, pooling=pooling, bigram_vocab_size=bigram_vocab_size)
    model = AttentionClassifier(config).eval()
    tokens, lengths = random_batch([9, 4, 2, 6], seed=3)
    bigrams = tokens % 30 if bigram_vocab_size else None
    batched_logits, batched_weights = model(tokens, lengths, bigrams)
    for row in range(4):
        length = int(lengths[row])
        alone = tokens[row:row + 1, :length]
        alone_bigrams = None if bigrams is None else bigrams[row:row + 1, :length]
        alone_logits, alone_weights = model(alone, lengths[row:row + 1], alone_bigrams)
        torch.testing.assert_close(batched_logits[row], alone_logits[0], atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(batched_weights[row, :length], alone_weights[0],
                                   atol=1e-6, rtol=1e-5)
        pad = torch.zeros(1, 5, dtype=torch.long)
        padded_bigrams = None if bigrams is None else torch.cat([alone_bigrams, pad], 1)
        padded_logits, _ = model(torch.cat([alone, pad], 1), lengths[row:row + 1],
                                 padded_bigrams)
        torch.testing.assert_close(padded_logits[0], alone_logits[0], atol=1e-6, rtol=1e-5)


def test_multiclass_head_and_gradients_reach_every_parameter():
    torch.manual_seed(2)
    model = AttentionClassifier(ClassifierConfig(**SMALL, num_classes=3))
    tokens, lengths = random_batch([5, 2, 4])
    logits, _ = model(tokens, lengths)
    assert logits.shape == (3, 3)
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2])).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_tiny_overfit():
    """16 random 'reviews' whose label is whether token 7 occurs: learnt to 100 %."""
    torch.manual_seed(3)
    tokens, lengths = random_batch([6, 9, 3, 8, 5, 7, 4, 9] * 2, vocab_size=20, seed=4)
    tokens[tokens == 7] = 8
    tokens[::2, 0] = 7
    labels = torch.tensor([1.0, 0.0] * 8)
    config = ClassifierConfig(**{**SMALL, "vocab_size": 20}, input_dropout=0.0, dense_dropout=0.0)
    model = AttentionClassifier(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        optimizer.zero_grad()
        logits, _ = model(tokens, lengths)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        loss.backward()
        optimizer.step()
    model.eval()
    logits, weights = model(tokens, lengths)
    assert loss.item() < 0.05
    assert ((logits > 0).float() == labels).all()


def test_shared_dropout_mask_is_constant_over_time():
    torch.manual_seed(4)
    dropout = SharedDropout(0.5).train()
    out = dropout(torch.ones(3, 10, 6))
    assert ((out == 0) == (out[:, :1] == 0)).all()
    assert set(out.unique().tolist()) <= {0.0, 2.0}
    assert torch.equal(dropout.eval()(torch.ones(2, 3, 4)), torch.ones(2, 3, 4))


def test_bad_configs_are_user_errors():
    for bad, message in [({"pooling": "sum"}, "model.pooling must be one of .*, got 'sum'"),
                         ({"query": "first"}, "model.query must be one of .*, got 'first'"),
                         ({"num_classes": 1}, "at least 2 classes, got 1"),
                         ({"hidden_size": 0}, "model.hidden_size must be positive, got 0")]:
        with pytest.raises(AttnkitError, match=message):
            AttentionClassifier(ClassifierConfig(**{**SMALL, **bad}))
    with pytest.raises(AttnkitError, match="dropout"):
        AttentionClassifier(ClassifierConfig(**SMALL, input_dropout=1.0))


@pytest.mark.parametrize("pooling", ["attention", "attention_mean_max"])
@pytest.mark.parametrize("query", ["final_state", "learned"])
def test_options_settled_in_init_add_no_weights_and_match_the_definitions(pooling, query):
    torch.manual_seed(0)
    model = AttentionClassifier(ClassifierConfig(**SMALL, pooling=pooling, query=query)).eval()
    assert not any(name.startswith(("pooling_query", "summary")) for name in model.state_dict())
    tokens, lengths = random_batch([6, 2, 4])
    mask = torch.arange(6)[None, :] < lengths[:, None]
    states = model.embedding(tokens)
    for encoder in model.encoders:
        states, (final_hidden, _) = encoder(states, lengths)
    given = None if query == "learned" else torch.cat([final_hidden[0], final_hidden[1]], dim=1)
    context, weights = model.pooling(states, mask, given)
    if pooling == "attention_mean_max":
        mean = (states * mask[:, :, None]).sum(1) / lengths[:, None]
        context = torch.cat([context, mean, states.masked_fill(~mask[:, :, None], -1e9).amax(1)],
                            dim=1)
    ngrams, offsets = torch.tensor([1, 2]), torch.tensor([0, 1, 1])
    logits, got_weights = model(tokens, lengths, None, ngrams, offsets)
    torch.testing.assert_close(logits, model.head(context).squeeze(1))
    torch.testing.assert_close(got_weights, weights)  # n-grams are taken and ignored
