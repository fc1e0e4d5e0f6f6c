import hashlib
from collections import Counter

import pytest

from attnkit.data.molecule_splits import hash_split, hiv_split


def test_split_is_the_position_of_the_hash_in_its_range():
    for text in ("CCO", "c1ccccc1", "O=C(O)c1ccccc1", "CC(=O)Nc1ccc(O)cc1"):
        position = int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) / 16 ** 64
        expected = "test" if position >= 0.9 else "val" if position >= 0.85 else "train"
        assert hiv_split(text) == hash_split(text, 0.05, 0.10) == expected


def test_fractions_hold_on_many_texts_and_the_split_never_changes():
    texts = [f"C{i}" for i in range(20000)]
    counts = Counter(hash_split(text, 0.05, 0.10) for text in texts)
    # binomial standard deviations: val 31, test 42, so 5 of them is far outside chance
    assert abs(counts["val"] - 1000) < 160 and abs(counts["test"] - 2000) < 210
    assert [hash_split(text, 0.05, 0.10) for text in texts[:50]] == \
        [hash_split(text, 0.05, 0.10) for text in texts[:50]]
    assert {hash_split(text, 0.0, 0.0) for text in texts[:500]} == {"train"}
    assert {hash_split(text, 0.0, 1.0) for text in texts[:500]} == {"test"}


@pytest.mark.parametrize("val, test", [(-0.1, 0.1), (0.6, 0.5)])
def test_bad_fractions_are_refused(val, test):
    with pytest.raises(ValueError, match="fractions"):
        hash_split("CCO", val, test)


# printf '%s' SMILES | sha256sum: ab1de819ede91df4... -> 0.6684 of the range, and so on
WORKED = {"CCO": "train", "c1ccccc1": "train", "CCN(CC)CC": "val", "CC(C)O": "val",
          "CCCCCC": "test", "CS(C)=O": "test", "CI": "test"}


@pytest.mark.parametrize("smiles", sorted(WORKED))
def test_hiv_splits_worked_with_sha256sum(smiles: str) -> None:
    assert hiv_split(smiles) == WORKED[smiles]
