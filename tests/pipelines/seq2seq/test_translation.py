"""Translation end to end on real Multi30k pairs: a tiny Transformer on subwords memorises 16
pairs through `attnkit train seq2seq` and `attnkit translate`; `eval` reports what sacrebleu and
sacremoses, called here, compute on the outputs; the run needs nothing but its own checkpoint;
the CLI's record equals the API's; and its attention heads, ONNX export and checkpoint average
work from the CLI. Skipped without $ATTNKIT_DATA."""

import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

import attnkit
from attnkit.cli import main
from attnkit.data.multi30k import load_multi30k, read_multi30k
from attnkit.data.seq_batches import encode_sources
from attnkit.pipelines.seq2seq.evaluation import evaluation_pairs
from attnkit.pipelines.seq2seq.export import FlatTransformer
from attnkit.pipelines.seq2seq.predictor import Translator
from attnkit.pipelines.seq2seq.recipe import Seq2seqRecipe
from attnkit.recipe import load_recipe
from attnkit.run.checkpoint import load_checkpoint

from ...shared_data import data_dir
from ..step_parity import assert_steps_equal
from .runs import write_tsv

sacrebleu = pytest.importorskip("sacrebleu")
sacremoses = pytest.importorskip("sacremoses")
pytest.importorskip("sentencepiece")

TINY_TRANSFORMER = [
    "--model", "transformer", "--set", "data.tokenizer=subwords",
    "--set", "data.subwords.vocab_size=200", "--set", "data.target_language=de",
    "--set", "model.transformer.model_size=64", "--set", "model.transformer.ff_size=128",
    "--set", "model.transformer.encoder_layers=1", "--set", "model.transformer.decoder_layers=1",
    "--set", "model.transformer.dropout=0", "--set", "train.batch_size=32",
    "--set", "train.lr=0.002", "--set", "train.keep_last=2"]
REPEATS, EPOCHS = 48, 12  # 24 steps an epoch: 288 steps memorise the 16 pairs


def memorable_pairs() -> list[tuple[str, str]]:
    """The first 16 Multi30k en-de training pairs of under 60 source characters with no
    doubled or unusual white space (which subword normalisation would change)."""
    splits = load_multi30k("en", "de", data_dir(), limit=200)
    plain = [(source, target) for source, target in
             zip(splits.train_sources, splits.train_targets, strict=True)
             if " ".join(source.split()) == source and " ".join(target.split()) == target
             and len(source) < 60]
    return plain[:16]


@pytest.fixture(scope="module")
def memorised(tmp_path_factory, one_thread):
    """(run folder, pairs): the tiny Transformer trained on the 16 pairs, each repeated."""
    pairs = memorable_pairs()
    folder = tmp_path_factory.mktemp("translation")
    (folder / "data").mkdir()
    data = write_tsv(folder / "data" / "train.tsv", pairs * REPEATS)
    val = write_tsv(folder / "data" / "val.tsv", pairs)  # the best epoch knows them all
    run = folder / "run"
    assert main(["train", "seq2seq", "--data", str(data), "--val", str(val), "--run-dir",
                 str(run), "--set", f"train.epochs={EPOCHS}", *TINY_TRANSFORMER]) == 0
    return run, pairs


def translated(run, sources, tmp_path, capsys, *options):
    (tmp_path / "sources.txt").write_text("\n".join(sources) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["translate", str(run), "--file", str(tmp_path / "sources.txt"),
                 "--format", "jsonl", *options]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_subwords_round_trip_and_the_run_stores_them(memorised):
    run, pairs = memorised
    checkpoint = load_checkpoint(run / "last.safetensors")
    assert "subwords" in checkpoint.meta and "vocab" not in checkpoint.meta
    # the seq2seq recipe's `monitor: auto` keeps the epoch of best validation BLEU
    assert checkpoint.meta["recipe"]["train"]["monitor"] == "val_bleu"
    translator = Translator.from_checkpoint(run)
    assert translator.vocabulary.shared  # joint by default: one model, the same ids
    pieces = translator.vocabulary.source
    for source, target in pairs:
        assert pieces.decode(pieces.encode(target)) == target
        assert "".join(translator.vocabulary.source_tokens(source)).replace("\u2581", " ") \
            .strip() == source


def test_the_memorised_pairs_translate_exactly_bleu_100(memorised, tmp_path, capsys):
    run, pairs = memorised
    records = translated(run, [source for source, _ in pairs], tmp_path, capsys)
    outputs = [record["output"] for record in records]
    assert outputs == [target for _, target in pairs]
    assert sacrebleu.corpus_bleu(outputs, [[t for _, t in pairs]]).score == pytest.approx(100)


def test_eval_reports_sacrebleus_figures_of_the_outputs(memorised, tmp_path, capsys):
    """Half the references are the memorised targets, half another pair's: the scores are
    neither 0 nor 100, and each equals sacrebleu's (and sacremoses') on the outputs."""
    run, pairs = memorised
    sources = [source for source, _ in pairs]
    references = [target for _, target in pairs[:8]] + [pairs[15 - i][1] for i in range(8, 16)]
    outputs = [record["output"] for record in
               translated(run, sources, tmp_path, capsys, "--beam", "2")]
    write_tsv(tmp_path / "scored.tsv", list(zip(sources, references, strict=True)))
    assert main(["eval", str(run), "--data", str(tmp_path / "scored.tsv"), "--beam", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    bleu = sacrebleu.metrics.BLEU()
    chrf = sacrebleu.metrics.CHRF()
    expected_bleu = bleu.corpus_score(outputs, [references]).score
    assert 5 < expected_bleu < 95
    assert report["pairs"] == 16 and report["beam_width"] == 2
    assert report["exact_match"] == sum(map(str.__eq__, outputs, references)) / 16
    assert report["bleu"]["score"] == pytest.approx(expected_bleu, abs=1e-9)
    assert report["bleu"]["signature"] == str(bleu.get_signature())
    assert report["chrf"]["score"] == pytest.approx(
        chrf.corpus_score(outputs, [references]).score, abs=1e-9)
    assert report["chrf"]["signature"] == str(chrf.get_signature())
    normalizer, tokenizer = sacremoses.MosesPunctNormalizer("de"), sacremoses.MosesTokenizer("de")

    def moses(text):
        return tokenizer.tokenize(normalizer.normalize(text.lower()), return_str=True,
                                  escape=True)

    multi_bleu = sacrebleu.metrics.BLEU(tokenize="none", smooth_method="none", force=True)
    assert report["bleu_lc_tok"]["score"] == pytest.approx(multi_bleu.corpus_score(
        list(map(moses, outputs)), [list(map(moses, references))]).score, abs=1e-9)
    assert report["bleu_lc_tok"]["signature"].startswith("prep:lc+moses-norm+moses-tok.de|")


def test_a_run_folder_copied_elsewhere_still_translates(memorised, tmp_path, capsys):
    """The subword model rides in the checkpoint: with the training files gone and the run in
    another folder, it translates as before."""
    run, pairs = memorised
    sources = [source for source, _ in pairs[:4]]
    before = translated(run, sources, tmp_path, capsys)
    copy = tmp_path / "elsewhere" / "run"
    shutil.copytree(run, copy)
    data, hidden = run.parent / "data", run.parent / "data-hidden"
    data.rename(hidden)
    try:
        assert translated(copy, sources, tmp_path, capsys) == before
    finally:
        hidden.rename(data)


def test_the_record_is_the_same_from_the_cli_and_the_api(memorised, capsys):
    run, pairs = memorised
    text = pairs[2][0]
    for options, heads in (([], False), (["--include-attention", "--n-best", "2",
                                          "--beam", "2"], True)):
        assert main(["translate", str(run), text, "--json", *options]) == 0
        cli = json.loads(capsys.readouterr().out)[0]
        beam = {"beam_width": 2, "n_best": 2} if heads else {}
        api = attnkit.load(str(run)).predict([text], heads=heads, **beam)[0]
        assert cli == api.to_record(heads)
    layers = np.array(cli["heads"])  # (layers, heads, T, S)
    assert layers.shape == (1, 4, len(cli["output_tokens"]), len(cli["input_tokens"]))
    # the attention shown is the last layer's heads averaged
    np.testing.assert_allclose(layers[-1].mean(axis=0), cli["attention"], atol=2e-4)


def test_heads_are_drawn_as_a_grid_of_layers_and_heads(memorised, date_run, tmp_path, capsys):
    run, pairs = memorised
    picture = tmp_path / "heads.png"
    assert main(["translate", str(run), pairs[0][0], "--heads", str(picture),
                 "--no-text-heatmap"]) == 0
    with Image.open(picture) as image:
        width, height = image.size
    assert width > 4 * height  # one layer: a row of 4 heads and their mean
    assert main(["translate", str(date_run), "2/10/93", "--heads",
                 str(tmp_path / "no.png")]) == 1
    assert "Transformer's attention heads" in capsys.readouterr().err
    assert not (tmp_path / "no.png").exists()


def test_the_average_of_the_last_epochs_is_exported_and_translates(memorised, tmp_path,
                                                                    capsys):
    run, pairs = memorised
    output = tmp_path / "averaged.safetensors"
    assert main(["export", str(run), "--average", "2", "--output", str(output)]) == 0
    last_two = [load_file(run / f"epoch-{epoch}.safetensors") for epoch in (EPOCHS - 1, EPOCHS)]
    averaged = load_file(output)
    for name, tensor in averaged.items():
        torch.testing.assert_close(tensor, (last_two[0][name] + last_two[1][name]) / 2)
    assert load_checkpoint(output).header["averaged"]["epochs"] == [EPOCHS - 1, EPOCHS]
    assert len(translated(output, [pairs[0][0]], tmp_path, capsys)) == 1
    assert main(["export", str(run), "--average", "3", "--output",
                 str(tmp_path / "three.safetensors")]) == 1
    assert "keep_last >= 3" in capsys.readouterr().err


def test_the_onnx_export_searches_as_torch(memorised, tmp_path, capsys):
    """Encoder and step graphs with the key/value cache as the state (growing from empty)."""
    pytest.importorskip("onnxruntime")
    run, pairs = memorised
    exported = tmp_path / "translate.onnx"
    assert main(["export", str(run), "--format", "onnx", "--output", str(exported)]) == 0
    reference, onnx = Translator.from_checkpoint(run), Translator.from_checkpoint(exported)
    sources = [source for source, _ in pairs]
    batch = encode_sources([reference.check(text) for text in sources], False)
    flat = FlatTransformer(reference.model)
    assert_steps_equal(flat, onnx.model, batch["source"], batch["source_lengths"],
                       flat.memory_type._fields, reference.vocab.start_id)
    for expected, found in zip(reference.predict(sources, 3), onnx.predict(sources, 3),
                               strict=True):
        assert found.output == expected.output
        assert found.score == pytest.approx(expected.score, abs=1e-3)
        np.testing.assert_allclose(found.attention, expected.attention, atol=1e-4)
    assert not onnx.has_heads


def test_multi30k_runs_are_evaluated_on_whole_splits():
    recipe = load_recipe(Seq2seqRecipe, "multi30k", ["data.limit=50"])
    folder = data_dir()
    sources, targets, described = evaluation_pairs(recipe, data_dir=folder)
    assert described == "multi30k test_2016_flickr" and len(sources) == 1000
    assert sources == read_multi30k("test_2016_flickr", "en", folder)
    assert targets == read_multi30k("test_2016_flickr", "de", folder)
    sources, targets, described = evaluation_pairs(recipe, "val", data_dir=folder)
    assert described == "multi30k val" and len(targets) == 1014
