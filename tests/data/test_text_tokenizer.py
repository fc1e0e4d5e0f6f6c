import pytest

from attnkit.data.text_tokenizer import KERAS_FILTERS, TextTokenizer, keep_last
from attnkit.errors import AttnkitError

# Outputs of keras.preprocessing.text.text_to_word_sequence with its defaults, written out.
KERAS_CASES = [
    ("Hello, World! It's a <br />test.", ["hello", "world", "it's", "a", "br", "test"]),
    ("don't stop--believing", ["don't", "stop", "believing"]),
    ("  many   spaces\tand\ttabs\nnew line ", ["many", "spaces", "and", "tabs", "new", "line"]),
    ("ÉCOLE Café", ["école", "café"]),
    ("carriage\rreturn", ["carriage\rreturn"]),  # \r is not a Keras filter
    ("10/10 (really!)", ["10", "10", "really"]),
    ("", []),
    ("?!...", []),
]


@pytest.mark.parametrize(("text", "expected"), KERAS_CASES)
def test_matches_keras_text_to_word_sequence(text, expected):
    assert TextTokenizer().tokenize(text) == expected


def test_keras_default_filters_are_exact():
    assert KERAS_FILTERS == '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def test_strip_html_breaks_removes_br_tokens_only_when_asked():
    text = "Great.<br /><br />Really<BR>great"
    assert TextTokenizer().tokenize(text) == ["great", "br", "br", "really", "br", "great"]
    assert TextTokenizer(strip_html_breaks=True).tokenize(text) == ["great", "really", "great"]


@pytest.mark.parametrize("strip", [False, True])
@pytest.mark.parametrize(("text", "_"), KERAS_CASES + [("A <br />b<br/>c", None)])
def test_spans_cover_exactly_the_tokens(text, _, strip):
    tokenizer = TextTokenizer(strip_html_breaks=strip)
    spans = tokenizer.token_spans(text)
    assert [text[start:end].lower() for start, end in spans] == tokenizer.tokenize(text)


def test_settings_round_trip_and_bad_split():
    tokenizer = TextTokenizer(lowercase=False, strip_html_breaks=True)
    assert TextTokenizer.from_dict(tokenizer.to_dict()) == tokenizer
    assert TextTokenizer(lowercase=False).tokenize("Big Small") == ["Big", "Small"]
    with pytest.raises(AttnkitError, match="one character"):
        TextTokenizer(split="  ")


def test_keep_last_truncates_at_the_front_like_pad_sequences():
    assert keep_last([1, 2, 3, 4, 5], 3) == [3, 4, 5]
    assert keep_last([1, 2], 3) == [1, 2]
    with pytest.raises(AttnkitError, match="max_length must be positive, got 0"):
        keep_last([1], 0)


def test_a_one_megabyte_review_tokenizes():
    text = "good movie, " * (1_000_000 // 12)
    tokens = TextTokenizer().tokenize(text)
    assert len(tokens) == 2 * (1_000_000 // 12) and tokens[-2:] == ["good", "movie"]
