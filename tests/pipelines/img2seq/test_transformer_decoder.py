"""`model.decoder: transformer` through the img2seq pipeline: a tiny molecules run (48 rendered
MOSES molecules, supervised attention and the cell head) trains; its readings with beam and
n-best score what teacher forcing scores (the key/value cache against the causal pass);
prefer_valid and the SMILES grammar search over it; its ONNX export (encoder + step with the
growing cache) computes what torch computes and reads as the run reads."""

import json
import math
import os
from dataclasses import replace

import pytest
import torch
from torch.testing import assert_close

from attnkit.cli import main
from attnkit.data.smiles_grammar import SmilesGrammar
from attnkit.models.img2seq_transformer import Img2SeqTransformer
from attnkit.pipelines.img2seq.data import image_lengths
from attnkit.pipelines.img2seq.predictor import ImageReader
from attnkit.pipelines.img2seq.search import search_images
from attnkit.run.checkpoint import load_checkpoint
from attnkit.runtime.cached_steps import FlatCacheDecoder
from tests.canvases import canvases

from ...shared_data import needs_data
from ..step_parity import TOLERANCE, assert_steps_equal
from .scoring import output_log_probability
from .test_commands import molecule_png

pytestmark = needs_data("moses", "train.csv.gz")
SMILES = ["CC(=O)Nc1ccc(O)cc1", "CCO", "c1ccncc1"]
TINY = ["model.image_size=64", "render.image_size=64", "model.encoder_channels=[8,16,16,16]",
        "model.projection_size=16", "model.decoder=transformer", "model.transformer.heads=2",
        "model.transformer.ff_size=32", "model.transformer.layers=2",
        "model.transformer.dropout=0.0", "model.cell_head=true",
        "supervision.attention_weight=1.0", "supervision.cell_weight=1.0",
        "train.batch_size=16", "train.epochs=4", "train.lr=0.01", "train.warmup_steps=0",
        "decode.beam_width=1", "decode.prefer_valid=false",  # validation: greedy, quick
        "data.train_size=48", "data.val_size=8", "data.eval_batch_size=8"]


@pytest.fixture(scope="module")
def run(tmp_path_factory, one_thread):
    folder = tmp_path_factory.mktemp("molecules")
    settings = [*TINY, f"data.cache_dir={folder / 'cache'}"]
    assert main(["train", "molecules", "--run-dir", str(folder / "run"), "--data-dir",
                 os.environ.get("ATTNKIT_DATA", ""), "--device", "cpu",
                 *[part for value in settings for part in ("--set", value)]]) == 0
    return folder / "run"


@pytest.fixture(scope="module")
def drawings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drawings")
    return [molecule_png(folder / f"m{number}.png", smiles)
            for number, smiles in enumerate(SMILES)]


@pytest.fixture(scope="module")
def exported(run, tmp_path_factory, one_thread):
    path = tmp_path_factory.mktemp("onnx") / "reader.onnx"
    assert main(["export", str(run), "--format", "onnx", "--output", str(path)]) == 0
    assert path.with_name("reader.step.onnx").is_file()
    return path


def test_it_trains_with_supervised_attention_and_the_cell_head(run):
    checkpoint = load_checkpoint(run / "last.safetensors")
    model = checkpoint.meta["recipe"]["model"]
    assert model["decoder"] == "transformer" and model["transformer"]["layers"] == 2
    assert "cell_head.weight" in checkpoint.model_state
    assert "decoder.layers.1.cross_attention.query_layer.weight" in checkpoint.model_state
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 4 and "val_attention_on_atom" in records[-1]
    losses = [record["train_loss"] for record in records]  # supervision terms included
    assert losses == sorted(losses, reverse=True)
    # per validation token, well below a uniform guess over the vocabulary
    assert records[-1]["val_loss"] < 0.75 * math.log(len(checkpoint.meta["vocab"]))


def test_beam_and_n_best_readings_score_what_teacher_forcing_scores(run, drawings, capsys,
                                                                     one_thread):
    reader = ImageReader.from_checkpoint(run)
    assert isinstance(reader.model, Img2SeqTransformer) and reader.model.cell_head is None
    assert main(["predict", str(run), *map(str, drawings), "--json", "--beam", "3",
                 "--n-best", "3"]) == 0
    records = json.loads(capsys.readouterr().out)
    readings = reader.predict(drawings, beam_width=3, n_best=3)
    assert records == [reading.to_record() for reading in readings]  # one record
    for drawing, record in zip(drawings, records, strict=True):
        ranked = record["n_best"]
        assert len(ranked) == 3 and ranked[0]["output"] == record["output"]
        scores = [entry["normalized_score"] for entry in ranked]
        assert scores == sorted(scores, reverse=True)
        for entry in ranked:  # the cached steps of the search, against one causal pass
            if entry["probability"] > 0:  # finished: its end token was scored too
                assert entry["log_probability"] == pytest.approx(
                    output_log_probability(reader, drawing, entry["output"]), abs=1e-4)
    assert main(["predict", str(run), str(drawings[0]), "--beam", "2", "--prefer-valid"]) == 0
    assert capsys.readouterr().out.startswith(str(drawings[0]))


def test_grammars_restrict_greedy_and_beam_search(run, drawings, one_thread):
    """A grammar of one word makes every reading that word; the SMILES grammar keeps every
    prefix the start of a SMILES, and every finished reading one that RDKit reads."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    reader = ImageReader.from_checkpoint(run)
    images = torch.from_numpy(canvases(reader, drawings))
    ids = [reader.vocab.tokens.index(token) for token in ("O", "C", "N")]
    one_word = {(): ids[:1], tuple(ids[:1]): ids[1:2], tuple(ids[:2]): ids[2:],
                tuple(ids): [reader.vocab.end_id]}
    smiles = SmilesGrammar(reader.vocab.tokens, reader.vocab.end_id)

    def read(grammar, beam):
        decode = replace(reader.recipe.decode, beam_width=beam, prefer_valid=False)
        with torch.no_grad():
            found = search_images(reader.model, images, decode, reader.vocab.start_id,
                                  reader.vocab.end_id, reader.max_length, grammar=grammar)
        return [best for best, _ in found]

    for beam in (1, 3):
        forced = read(lambda prefix: one_word.get(tuple(prefix), ()), beam)
        assert [reader.vocab.decode(best.tokens) for best in forced] == ["OCN"] * len(SMILES)
        for best in read(smiles, beam):
            assert smiles(tuple(best.tokens)), reader.vocab.decode(best.tokens)
            if best.finished:
                assert Chem.MolFromSmiles(reader.vocab.decode(best.tokens), sanitize=False)


def test_the_export_computes_what_torch_computes(run, exported, drawings, capsys, one_thread):
    reference, onnx = ImageReader.from_checkpoint(run), ImageReader.from_checkpoint(exported)
    source = torch.from_numpy(canvases(reference, drawings))
    names = [f"memory_{kind}_{layer}" for layer in range(2) for kind in ("keys", "values")]
    assert_steps_equal(FlatCacheDecoder(reference.model, masked=False), onnx.model, source,
                       image_lengths(reference.model, source), names,
                       reference.vocab.start_id, steps=6)
    for beam in (2, 3):
        expected = reference.predict_encoded(source.numpy(), beam_width=beam, n_best=2)
        found = onnx.predict_encoded(source.numpy(), beam_width=beam, n_best=2)
        for mine, theirs in zip(found, expected, strict=True):
            assert [r.text for r in mine.n_best] == [r.text for r in theirs.n_best]
            assert mine.score == pytest.approx(theirs.score, abs=1e-4)
            assert_close(torch.from_numpy(mine.attention), torch.from_numpy(theirs.attention),
                         **TOLERANCE)
    outputs = []
    for source_file in (run, exported):
        assert main(["predict", str(source_file), *map(str, drawings), "--json",
                     "--beam", "2"]) == 0
        outputs.append([record["output"] for record in json.loads(capsys.readouterr().out)])
    assert outputs[0] == outputs[1]


def test_a_validation_target_longer_than_the_decoders_positions_is_scored_not_fatal():
    """A mix run's validation holds SMILES longer than the training length limit, which sizes
    the Transformer decoder's positions: a 14-minute run failed at its first validation with
    'a sequence of 145 positions is longer than this model's max_positions=107'."""
    from types import SimpleNamespace

    import torch

    from attnkit.pipelines.img2seq.training import within_positions

    batch = {"images": torch.zeros(2, 1, 8, 8), "target_in": torch.ones(2, 9, dtype=torch.long),
             "target_out": torch.ones(2, 9, dtype=torch.long),
             "atom_positions": torch.zeros(2, 9, 2)}
    transformer = SimpleNamespace(config=SimpleNamespace(max_positions=5))
    cut = within_positions(transformer, batch)
    assert [cut[key].shape[1] for key in ("target_in", "target_out", "atom_positions")] == \
        [5, 5, 5]
    assert within_positions(SimpleNamespace(module=transformer), batch)["target_in"].shape[1] \
        == 5  # a distributed wrapper
    recurrent = SimpleNamespace(config=SimpleNamespace())
    assert within_positions(recurrent, batch) is batch
