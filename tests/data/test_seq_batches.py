import torch

from attnkit.data.char_vocab import CharVocabulary
from attnkit.data.seq_batches import PairCollator, SequencePairs


def test_collation_reverses_within_length_and_pads_right():
    vocab = CharVocabulary.build(["abc", "xy"])
    data = SequencePairs(vocab, ["abc", "a"], ["xy", "y"])
    a, b, c, x, y = (vocab.index[ch] for ch in "abcxy")
    batch = PairCollator(vocab.start_id, vocab.end_id, reverse_source=True)([data[0], data[1]])
    assert batch["source"].tolist() == [[c, b, a], [a, 0, 0]]
    assert batch["source_lengths"].tolist() == [3, 1]
    assert batch["target_in"].tolist() == [[2, x, y], [2, y, 0]]
    assert batch["target_out"].tolist() == [[x, y, 3], [y, 3, 0]]
    assert all(t.dtype == torch.long for t in batch.values())
    plain = PairCollator(vocab.start_id, vocab.end_id, reverse_source=False)([data[0]])
    assert plain["source"].tolist() == [[a, b, c]]
    assert data.source_lengths == [3, 1]
