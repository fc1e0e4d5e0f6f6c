"""Data-parallel training on forked processes equals one process on whole batches."""

import multiprocessing

import numpy as np
import pytest

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.dates import generate_date_splits
from attnkit.errors import AttnkitError
from attnkit.numpy_ref import AttentionSeq2seq
from attnkit.numpy_ref.batching import pad_pairs, sequential_batches
from attnkit.numpy_ref.data_parallel import DataParallelTrainer, share_rows
from attnkit.numpy_ref.optimizers import Adam
from attnkit.numpy_ref.trainer import Trainer

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="needs the fork start method")


def date_batches(count=90, batch_size=30):
    pairs = generate_date_splits(count, 0, 0, seed=3)
    vocab = CharVocabulary.build(pairs.train_sources + pairs.train_targets)
    arrays = pad_pairs([vocab.encode(text) for text in pairs.train_sources],
                       [vocab.encode(text) for text in pairs.train_targets],
                       vocab.start_id, vocab.end_id, reverse_source=True)
    return vocab, list(sequential_batches(arrays, batch_size))


def trained(trainer_class, epochs=2, **options):
    vocab, batches = date_batches()
    model = AttentionSeq2seq(len(vocab), 8, 16, seed=0, dtype=np.float64)
    trainer = trainer_class(model, Adam(lr=0.01), grad_clip=1.0, pad_id=vocab.pad_id,
                            learning_rate=lambda step: 0.01 / (1 + step), **options)
    losses = [trainer.train_epoch(batches) for _ in range(epochs)]
    return model, trainer, losses


def test_three_processes_train_the_model_one_process_trains():
    reference, _, expected = trained(Trainer)
    model, trainer, losses = trained(DataParallelTrainer, processes=3)
    np.testing.assert_allclose(losses, expected, rtol=1e-10)
    for mine, theirs in zip(model.params, reference.params, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
    assert trainer.step == 6 and trainer.workers == []  # the workers end with each epoch


def test_shares_cover_the_batch_and_may_be_empty():
    assert share_rows(5, 2) == [slice(0, 2), slice(2, 5)]
    assert share_rows(1, 3) == [slice(0, 0), slice(0, 0), slice(0, 1)]


def test_a_failing_share_stops_every_process_with_one_error():
    vocab, batches = date_batches()
    model = AttentionSeq2seq(len(vocab), 8, 16, seed=0)
    trainer = DataParallelTrainer(model, Adam(lr=0.01), pad_id=vocab.pad_id, processes=2)
    broken = dict(batches[0], source=batches[0]["source"][:, :1] * 0 + 10**6)  # ids out of range
    with pytest.raises((AttnkitError, IndexError)):
        trainer.train_epoch([broken])
    assert trainer.workers == []
