"""Translation metrics against values worked out by hand, the Moses preparation against lines of
the Multi30k repository's own tokenised files, and bleu_lc_tok against multi-bleu.perl's formula
written out here."""

import math
from collections import Counter

import pytest

from attnkit.engine.translation_metrics import (
    bleu,
    bleu_lc_tok,
    chrf,
    moses_lc_tok,
    translation_scores,
)
from attnkit.errors import AttnkitError

from ..shared_data import data_dir, needs_data
from ..unavailable import TRANSLATE, require_module


def needs_moses():
    require_module("sacremoses", f"bleu_lc_tok needs the translate extra: {TRANSLATE}")


def test_identical_text_scores_100_with_sacrebleus_default_signatures():
    texts = ["Ein Mann mit einem orangefarbenen Hut, der etwas anstarrt.", "Zwei Hunde."]
    scores = translation_scores(texts, texts)
    assert scores["bleu"].score == pytest.approx(100)
    assert scores["chrf"].score == pytest.approx(100)
    assert scores["bleu"].signature.startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|")
    assert scores["chrf"].signature.startswith("nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|")
    assert "bleu_lc_tok" not in scores
    assert scores["bleu"].to_record()["name"] == "bleu"


def test_bleu_of_a_sentence_worked_out_by_hand():
    # n-gram matches 5/6, 3/5, 2/4, 1/3; equal lengths, so no brevity penalty
    score = bleu(["the cat sat on the mat"], ["the cat sat on a mat"])
    assert score.score == pytest.approx(100 * (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25)
    # "The Cat": sacrebleu's default is case-sensitive: 4/6, 3/5, 2/4, 1/3
    assert bleu(["The Cat sat on the mat"], ["the cat sat on the mat"]).score == \
        pytest.approx(100 * (4 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25)


def test_the_brevity_penalty_by_hand():
    # all n-grams of the 5-word hypothesis match; the reference has 6 words
    score = bleu(["the cat sat on the"], ["the cat sat on the mat"])
    assert score.score == pytest.approx(100 * math.exp(1 - 6 / 5))


def test_chrf_falls_with_character_errors():
    wrong_word = chrf(["Ein Mann"], ["Ein Mond"]).score
    missing_stop = chrf(["Ein Mann"], ["Ein Mann."]).score
    assert 0 < wrong_word < missing_stop < 100


def test_bad_input_is_one_clear_error():
    with pytest.raises(AttnkitError, match="1 predictions for 2 references"):
        bleu(["a"], ["a", "b"])


def test_moses_preparation_gives_the_multi30k_tokenised_lines():
    """Raw test_2016_flickr lines and the same lines in the repository's data/task1/tok files."""
    needs_moses()
    assert moses_lc_tok("One man holds another man's head down and prepares to punch him in "
                        "the face.", "en") == ("one man holds another man &apos;s head down "
                                               "and prepares to punch him in the face .")
    assert moses_lc_tok("Un terrier de Boston court sur l'herbe verdoyante devant une clôture "
                        "blanche.", "fr") == ("un terrier de boston court sur l&apos; herbe "
                                              "verdoyante devant une clôture blanche .")
    assert moses_lc_tok('Eine Frau auf einem Boot namens "El Corazon" lässt schwarze Gewichte '
                        "ins Wasser fallen.", "de") == (
        "eine frau auf einem boot namens &quot; el corazon &quot; lässt schwarze gewichte ins "
        "wasser fallen .")


def test_lowercased_tokenised_bleu_ignores_case_and_names_its_preparation():
    needs_moses()
    score = bleu_lc_tok(["The Cat sat on the mat."], ["the cat sat on the mat."], "en")
    assert score.name == "bleu_lc_tok" and score.score == pytest.approx(100)
    assert score.signature.startswith("prep:lc+moses-norm+moses-tok.en|sacremoses:")
    assert "|case:lc|eff:no|tok:none|smooth:none|" in score.signature


def test_no_four_gram_match_is_zero_as_in_multi_bleu():
    needs_moses()
    # 4-grams "the dog ran on", "dog ran on grass", "ran on grass .": none in the reference
    hypotheses, references = ["The dog ran on grass."], ["The dog ran in grass."]
    assert bleu_lc_tok(hypotheses, references, "en").score == 0
    assert bleu(hypotheses, references).score > 0  # sacrebleu's default smooths


def multi_bleu(hypotheses: list[str], references: list[str]) -> float:
    """multi-bleu.perl's corpus BLEU of whitespace tokens, one reference each."""
    matches, totals, hypothesis_length, reference_length = [0] * 4, [0] * 4, 0, 0
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        hyp, ref = hypothesis.split(), reference.split()
        hypothesis_length += len(hyp)
        reference_length += len(ref)
        for n in range(1, 5):
            hyp_grams = Counter(tuple(hyp[i:i + n]) for i in range(len(hyp) - n + 1))
            ref_grams = Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
            matches[n - 1] += sum(min(count, ref_grams[gram]) for gram, count in hyp_grams.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    if not all(matches):
        return 0.0
    penalty = min(1.0, math.exp(1 - reference_length / hypothesis_length))
    return 100 * penalty * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals,
                                                                       strict=True)) / 4)


@needs_data("multi30k", "val.de.gz")
def test_bleu_lc_tok_is_multi_bleu_on_the_prepared_text():
    needs_moses()
    from attnkit.data.multi30k import read_multi30k

    references = read_multi30k("val", "de", data_dir())[:300]
    # a poor system: every other sentence loses its last two words, every third is upper case
    hypotheses = [" ".join(text.split()[:-2]) if i % 2 else text for i, text in
                  enumerate(references)]
    hypotheses = [text.upper() if i % 3 == 0 else text for i, text in enumerate(hypotheses)]
    expected = multi_bleu([moses_lc_tok(text, "de") for text in hypotheses],
                          [moses_lc_tok(text, "de") for text in references])
    assert 50 < expected < 95
    assert bleu_lc_tok(hypotheses, references, "de").score == pytest.approx(expected, abs=1e-9)
