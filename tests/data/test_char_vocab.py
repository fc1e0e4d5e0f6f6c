import pytest

from attnkit.data.char_vocab import CharVocabulary
from attnkit.errors import AttnkitError


def test_specials_and_round_trip():
    vocab = CharVocabulary.build(["ab", "ca"])
    assert vocab.to_list() == ["<pad>", "<unk>", "<s>", "</s>", "a", "b", "c"]
    assert (vocab.pad_id, vocab.start_id, vocab.end_id) == (0, 2, 3)
    assert vocab.encode("cab") == [6, 4, 5]
    assert vocab.decode([6, 4, 3, 5]) == "ca"
    assert CharVocabulary.from_list(vocab.to_list()).to_list() == vocab.to_list()


def test_unseen_characters_are_an_error_naming_them():
    vocab = CharVocabulary.build(["abc"])
    with pytest.raises(AttnkitError, match="never seen in training: 'z' 'é'"):
        vocab.encode("abzé")


def test_bad_stored_vocabulary():
    with pytest.raises(AttnkitError, match="must start with"):
        CharVocabulary.from_list(["a", "b"])
