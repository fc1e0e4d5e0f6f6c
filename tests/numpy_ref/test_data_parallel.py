"""Data-parallel training on forked processes equals one process on whole batches."""

import multiprocessing
import os
import signal

import numpy as np
import pytest

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.dates import generate_date_splits
from attnkit.errors import AttnkitError
from attnkit.numpy_ref import AttentionSeq2seq, data_parallel
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


def recording_workers(trainer_of):
    """A `progress` wrapper that notes the worker processes of `trainer_of()` as each epoch
    starts (they are forked just before), so a test can look at them after the epoch."""
    seen = []

    def progress(batches):
        seen.extend(getattr(trainer_of(), "workers", []))  # the plain Trainer has none
        return batches
    return progress, seen


def trained(trainer_class, epochs=2, batches=None, grad_clip=1.0, **options):
    vocab, all_batches = date_batches()
    model = AttentionSeq2seq(len(vocab), 8, 16, seed=0, dtype=np.float64)
    progress, workers = recording_workers(lambda: trainer)
    trainer = trainer_class(model, Adam(lr=0.01), grad_clip=grad_clip, pad_id=vocab.pad_id,
                            learning_rate=lambda step: 0.01 / (1 + step), progress=progress,
                            **options)
    losses = [trainer.train_epoch(batches or all_batches) for _ in range(epochs)]
    return model, trainer, losses, workers


def assert_ended_cleanly(workers, count):
    assert len(workers) == count
    assert all(not worker.is_alive() and worker.exitcode == 0 for worker in workers), \
        [(worker.pid, worker.exitcode) for worker in workers]


def test_three_processes_train_the_model_one_process_trains():
    reference, _, expected, _ = trained(Trainer)
    model, trainer, losses, workers = trained(DataParallelTrainer, processes=3)
    np.testing.assert_allclose(losses, expected, rtol=1e-10)
    for mine, theirs in zip(model.params, reference.params, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
    assert trainer.step == 6
    assert_ended_cleanly(workers, count=2 * 2)  # two workers per epoch, each ends with it


@pytest.mark.parametrize("rows", [1, 2])
def test_a_batch_with_fewer_rows_than_processes_gives_one_process_gradients(rows):
    """Three processes on batches of `rows` (after whole ones, so that the shared buffers hold
    old shares): the processes with no rows add nothing."""
    _, batches = date_batches()
    small = {key: value[:rows] for key, value in batches[0].items()}
    mixed = [batches[0], batches[1], small]  # the small step reuses the first step's buffer
    reference, _, expected, _ = trained(Trainer, 1, mixed, grad_clip=0.0)
    model, _, losses, workers = trained(DataParallelTrainer, 1, mixed, grad_clip=0.0,
                                        processes=3)
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    for mine, theirs in zip(model.grads, reference.grads, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)
    for mine, theirs in zip(model.params, reference.params, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)
    assert_ended_cleanly(workers, count=2)


def test_shares_cover_the_batch_and_may_be_empty():
    assert share_rows(5, 2) == [slice(0, 2), slice(2, 5)]
    assert share_rows(1, 3) == [slice(0, 0), slice(0, 0), slice(0, 1)]


def test_a_failing_share_stops_every_process_with_one_error():
    vocab, batches = date_batches()
    model = AttentionSeq2seq(len(vocab), 8, 16, seed=0)
    trainer = DataParallelTrainer(model, Adam(lr=0.01), pad_id=vocab.pad_id, processes=2)
    broken = dict(batches[0], source=batches[0]["source"][:, :1] * 0 + 10**6)  # ids out of range
    progress, workers = recording_workers(lambda: trainer)
    trainer.progress = progress
    with pytest.raises(IndexError, match="index 1000000 is out of bounds"):  # the parent's share
        trainer.train_epoch([broken])
    assert len(workers) == 1 and not workers[0].is_alive()
    assert workers[0].exitcode is not None


def dying(how):
    """End the calling process the way `how` says: SIGKILL, or a silent exit with code 0."""
    if how == "SIGKILL":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(0)


@pytest.mark.parametrize("how, code", [("SIGKILL", r"-9, killed by SIGKILL"), ("exit", "0")])
def test_a_worker_that_dies_in_a_step_is_reported_at_once(monkeypatch, how, code):
    """Worker 1 ends while the parent waits for it at the barrier."""
    # the death is reported by the watcher, with the worker's exit code; waiting out the
    # barrier instead would end in another message (after 30 s, where users wait 600 s)
    monkeypatch.setattr(data_parallel, "BARRIER_TIMEOUT_SECONDS", 30.0)
    vocab, batches = date_batches()
    model = AttentionSeq2seq(len(vocab), 8, 16, seed=0)
    parent, forward = os.getpid(), model.forward

    def forward_that_dies_in_a_worker(*arrays):
        if os.getpid() != parent:
            dying(how)
        return forward(*arrays)
    model.forward = forward_that_dies_in_a_worker
    progress, workers = recording_workers(lambda: trainer)
    trainer = DataParallelTrainer(model, Adam(lr=0.01), pad_id=vocab.pad_id, processes=2,
                                  progress=progress)
    with pytest.raises(AttnkitError, match=rf"data-parallel worker 1 \(pid \d+\) ended during "
                       rf"the epoch with exit code {code}$") as error:
        trainer.train_epoch(batches)
    assert error.type is AttnkitError
    assert len(workers) == 1 and not workers[0].is_alive()


def test_a_worker_killed_between_steps_is_reported_when_sent_a_batch(monkeypatch):
    monkeypatch.setattr(data_parallel, "BARRIER_TIMEOUT_SECONDS", 30.0)
    vocab, batches = date_batches()
    model = AttentionSeq2seq(len(vocab), 8, 16, seed=0)

    def kill_worker_2_after_one_batch(batches):
        workers = list(trainer.workers)
        yield batches[0]
        os.kill(workers[1].pid, signal.SIGKILL)
        workers[1].join(5)  # dead (and its pipe closed) before the parent sends batch 2
        yield from batches[1:]
    trainer = DataParallelTrainer(model, Adam(lr=0.01), pad_id=vocab.pad_id, processes=3,
                                  progress=kill_worker_2_after_one_batch)
    with pytest.raises(AttnkitError, match=r"data-parallel worker 2 \(pid \d+\) ended during "
                       r"the epoch with exit code -9, killed by SIGKILL$"):
        trainer.train_epoch(batches)
    assert trainer.step == 1


def test_a_worker_that_ends_badly_after_the_last_step_fails_the_epoch(monkeypatch):
    """The exit codes are checked when the workers stop, after the epoch."""
    vocab, batches = date_batches()
    model = AttentionSeq2seq(len(vocab), 8, 16, seed=0)
    parent = os.getpid()
    trainer = DataParallelTrainer(model, Adam(lr=0.01), pad_id=vocab.pad_id, processes=2)
    apply_gradients = trainer.apply_gradients

    def exit_after_the_last_step():
        apply_gradients()
        if os.getpid() != parent and trainer.step == len(batches):
            os._exit(3)
    trainer.apply_gradients = exit_after_the_last_step
    with pytest.raises(AttnkitError, match=r"data-parallel worker 1 \(pid \d+\) ended after "
                       r"the epoch with exit code 3$"):
        trainer.train_epoch(batches)
