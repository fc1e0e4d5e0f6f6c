"""Subword models: learnt on Multi30k training text, detokenised output equal to the input (up to
SentencePiece's stated normalisation), the same ids after a trip through checkpoint JSON, ids
that the seq2seq batches and loss expect, and clear errors for what a checkpoint may hold."""

import base64
import json
import unicodedata

import pytest

from attnkit.data.multi30k import read_multi30k
from attnkit.data.seq_batches import PairCollator, SequencePairs
from attnkit.data.subwords import (
    SubwordConfig,
    SubwordModel,
    SubwordTokenizers,
)
from attnkit.errors import AttnkitError

from ..shared_data import data_dir, needs_data

MULTI30K = needs_data("multi30k", "train.en.gz")
SMALL = SubwordConfig(vocab_size=1000)


def nmt_normalised(text: str) -> str:
    """What SentencePiece's nmt_nfkc rule makes of ordinary text: NFKC, white space runs as one
    space, none at the ends (its documented behaviour, written independently here)."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture(scope="module")
def english_german():
    """The first 3,000 training pairs and all validation pairs, en-de."""
    folder = data_dir()
    return ({language: read_multi30k("train", language, folder, limit=3000)
             for language in ("en", "de")},
            {language: read_multi30k("val", language, folder) for language in ("en", "de")})


@pytest.fixture(scope="module")
def joint(english_german):
    train, _ = english_german
    return SubwordTokenizers.train(train["en"], train["de"], SMALL)


@MULTI30K
@pytest.mark.parametrize("algorithm", ["unigram", "bpe"])
def test_detokenised_output_is_the_input(english_german, algorithm):
    train, validation = english_german
    model = SubwordTokenizers.train(train["en"], train["de"],
                                    SubwordConfig(vocab_size=1000, algorithm=algorithm)).source
    assert len(model) == 1000
    known = set("".join(train["en"] + train["de"]))
    checked = 0
    for text in validation["en"] + validation["de"]:
        if not set(text) <= known:
            continue  # a character never seen in training is <unk>, which cannot round-trip
        ids = model.encode(text)
        assert min(ids) > 3  # no special token inside a sentence
        assert model.decode(ids) == nmt_normalised(text)
        checked += 1
        if text == nmt_normalised(text):
            assert model.decode(ids) == text
    assert checked > 1900  # of 2,028 validation sentences


@MULTI30K
@pytest.mark.parametrize("algorithm", ["unigram", "bpe"])
def test_the_same_text_gives_the_same_model_bytes(english_german, algorithm):
    train, _ = english_german
    config = SubwordConfig(vocab_size=1000, algorithm=algorithm)
    first = SubwordTokenizers.train(train["en"][:1500], train["de"][:1500], config)
    second = SubwordTokenizers.train(train["en"][:1500], train["de"][:1500], config)
    assert first.source.to_bytes() == second.source.to_bytes()
    other = SubwordTokenizers.train(train["en"][1500:], train["de"][1500:], config)
    assert other.source.to_bytes() != first.source.to_bytes()


@MULTI30K
def test_the_same_ids_after_a_trip_through_checkpoint_json(english_german, joint):
    _, validation = english_german
    meta = json.loads(json.dumps(joint.to_meta()))
    assert set(meta) == {"library", "joint", "source"} and meta["joint"] is True
    loaded = SubwordTokenizers.from_meta(meta)
    assert loaded.joint and loaded.source.to_bytes() == joint.source.to_bytes()
    for text in validation["de"][:200]:
        assert loaded.target.encode(text) == joint.target.encode(text)
        assert loaded.target.pieces(text) == joint.target.pieces(text)


@MULTI30K
def test_a_checkpoint_file_carries_the_model(english_german, joint, tmp_path):
    """Written and read by the one checkpoint module: the model comes back from the header."""
    import torch

    from attnkit.run.checkpoint import read_header, save_checkpoint

    _, validation = english_german
    path = tmp_path / "run.safetensors"
    save_checkpoint(path, {"weight": torch.zeros(1)}, {"meta": {"subwords": joint.to_meta()}})
    loaded = SubwordTokenizers.from_meta(read_header(path)["meta"]["subwords"])
    assert [loaded.source.encode(text) for text in validation["en"][:50]] == \
        [joint.source.encode(text) for text in validation["en"][:50]]


@MULTI30K
def test_separate_models_learn_each_side_and_store_both(english_german):
    train, validation = english_german
    pair = SubwordTokenizers.train(train["en"][:1500], train["de"][:1500],
                                   SubwordConfig(vocab_size=600, joint=False))
    assert not pair.joint
    assert "▁Männer" in pair.target.tokens and "▁Männer" not in pair.source.tokens
    loaded = SubwordTokenizers.from_meta(json.loads(json.dumps(pair.to_meta())))
    text = validation["de"][0]
    assert loaded.target.encode(text) == pair.target.encode(text)
    assert loaded.source.encode(text) == pair.source.encode(text) != pair.target.encode(text)


@MULTI30K
def test_ids_fit_the_seq2seq_batches(english_german, joint):
    _, validation = english_german
    sources, targets = validation["en"][:4], validation["de"][:4]
    pairs = SequencePairs(joint.source, sources, targets, target_vocab=joint.target)
    model = joint.target
    batch = PairCollator(model.start_id, model.end_id, reverse_source=False)(
        [pairs[i] for i in range(4)])
    assert (batch["target_in"][:, 0] == 2).all() and model.tokens[:4] == [
        "<pad>", "<unk>", "<s>", "</s>"]
    for row, text in zip(batch["target_out"].tolist(), targets, strict=True):
        assert model.decode(row) == nmt_normalised(text)  # stops at </s>, padding dropped
        assert "".join(model.decode_tokens(row)).replace("▁", " ").strip() == model.decode(row)


def test_what_a_checkpoint_may_hold_is_checked(tmp_path):
    with pytest.raises(AttnkitError, match="missing or malformed"):
        SubwordTokenizers.from_meta({"library": "tokenizers", "joint": True, "source": ""})
    with pytest.raises(AttnkitError, match="base64"):
        SubwordTokenizers.from_meta({"library": "sentencepiece", "joint": True,
                                     "source": "not base64!"})
    junk = base64.b64encode(b"\x00\x01 not a model").decode()
    with pytest.raises(AttnkitError, match="not a SentencePiece model"):
        SubwordTokenizers.from_meta({"library": "sentencepiece", "joint": True, "source": junk})
    with pytest.raises(AttnkitError, match="0 pieces"):
        SubwordModel(b"")


def test_a_model_with_other_special_tokens_is_refused():
    import io

    import sentencepiece

    written = io.BytesIO()
    texts = ["a small text with a few words in it", "and a second line of words"] * 20
    sentencepiece.SentencePieceTrainer.train(sentence_iterator=iter(texts), model_writer=written,
                                             vocab_size=20, minloglevel=2)
    with pytest.raises(AttnkitError, match="starts with"):
        SubwordModel(written.getvalue())  # SentencePiece's defaults: <unk>=0, <s>=1, </s>=2


def test_too_large_a_vocabulary_is_one_clear_error():
    with pytest.raises(AttnkitError, match="500-piece bpe model from this text"):
        SubwordModel.train(["one short line", "and another one"] * 10,
                           SubwordConfig(vocab_size=500))
    with pytest.raises(AttnkitError, match="from the target text"):
        SubwordTokenizers.train([f"word{i} and more words" for i in range(300)], ["kurz"] * 20,
                                SubwordConfig(vocab_size=200, joint=False))
    with pytest.raises(ValueError, match="vocab_size"):
        SubwordConfig(vocab_size=4)
