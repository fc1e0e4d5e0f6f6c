"""`attnkit export --format onnx` of seq2seq runs: the encoder and step graphs compute what the
torch model computes, the searches over them translate as the torch model does, the CLI runs
an export like a run, and what cannot work fails in one line."""

import pytest
import torch
from torch.testing import assert_close

from attnkit.cli import main
from attnkit.data.dates import generate_date_pairs
from attnkit.data.seq_batches import encode_sources
from attnkit.pipelines.seq2seq.predictor import Translator

from ..step_parity import TOLERANCE, assert_steps_equal
from .runs import addition_pairs


def export(run_dir, folder, name):
    path = folder / f"{name}.onnx"
    assert main(["export", str(run_dir), "--format", "onnx", "--output", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def exported(date_run, tmp_path_factory):
    return export(date_run, tmp_path_factory.mktemp("onnx"), "dates")


def dates(translator, count, seed):
    """`count` generated dates whose characters the tiny run has seen."""
    sources, _ = generate_date_pairs(4 * count, seed=seed)
    known = set(translator.vocab.tokens)
    return [text for text in sources if set(text) <= known][:count]


def one_line_error(capsys):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def test_export_writes_the_encoder_and_the_step_graph(exported, capsys):
    assert exported.is_file() and exported.with_name("dates.step.onnx").is_file()


def test_encoder_and_decoder_steps_equal_torch_on_100_dates(date_run, exported):
    reference, onnx = Translator.from_checkpoint(date_run), Translator.from_checkpoint(exported)
    sources = dates(reference, 100, seed=5)
    batch = encode_sources([reference.check(text) for text in sources],
                           reference.recipe.model.reverse_source)
    source, lengths = batch["source"], batch["source_lengths"]
    assert_steps_equal(reference.model, onnx.model, source, lengths,
                       ("outputs", "mask", "final_hidden"), reference.vocab.start_id)


@pytest.mark.parametrize("beam, count", [(1, 100), (3, 20)])
def test_searches_over_the_graphs_translate_as_torch(date_run, exported, beam, count):
    reference = Translator.from_checkpoint(date_run)
    sources = dates(reference, count, seed=6)
    expected = reference.predict(sources, beam)
    found = Translator.from_checkpoint(exported).predict(sources, beam)
    assert [t.output for t in found] == [t.output for t in expected]
    for mine, theirs in zip(found, expected, strict=True):
        assert mine.score == pytest.approx(theirs.score, abs=1e-4)
        assert_close(torch.from_numpy(mine.attention), torch.from_numpy(theirs.attention),
                     **TOLERANCE)


def test_batches_searched_side_by_side_answer_as_one_search_at_a_time(date_run, exported):
    """Under ONNX Runtime the batches of one call are searched `workers` at once, one thread
    each: 100 dates in batches of 7 come back in order, each as torch translates it alone."""
    reference = Translator.from_checkpoint(date_run)
    sources = dates(reference, 100, seed=7)
    onnx = Translator.from_checkpoint(exported)
    onnx.workers = 3
    found = onnx.predict(sources, batch_size=7)
    expected = [reference.predict([source])[0] for source in sources]
    assert [t.output for t in found] == [t.output for t in expected]
    assert [t.score for t in found] == pytest.approx([t.score for t in expected], abs=1e-4)
    assert [t.attention.shape for t in found] == [t.attention.shape for t in expected]


def test_translate_and_eval_read_an_export_as_a_run(date_run, exported, capsys):
    texts = ["3/12/11", "September 27, 1994", "1 feb 2003"]
    printed = []
    for run in (date_run, exported):
        assert main(["translate", str(run), *texts, "--no-text-heatmap"]) == 0
        assert main(["eval", str(run)]) == 0
        printed.append(capsys.readouterr().out)
    assert printed[0] == printed[1]


def test_a_model_without_attention_exports_and_translates_alike(peeky_file_run,
                                                                tmp_path):
    path = export(peeky_file_run, tmp_path, "peeky")
    sources = [source for source, _ in addition_pairs()][:100]
    expected = Translator.from_checkpoint(peeky_file_run).predict(sources)
    found = Translator.from_checkpoint(path).predict(sources)
    assert [t.output for t in found] == [t.output for t in expected]
    assert all(t.attention is None for t in found)
    assert [t.score for t in found] == pytest.approx([t.score for t in expected], abs=1e-4)


def test_what_an_export_cannot_do_fails_in_one_line(date_run, exported, tmp_path, capsys):
    capsys.readouterr()
    assert main(["export", str(date_run), "--format", "onnx", "--int8",
                 "--output", str(tmp_path / "int8.onnx")]) == 1
    assert "--int8 quantises classifiers only" in one_line_error(capsys)
    assert not (tmp_path / "int8.onnx").exists()
    assert main(["translate", str(exported), "3/12/11", "--runtime", "torch"]) == 1
    assert "runs under ONNX Runtime" in one_line_error(capsys)
    assert main(["translate", str(exported.with_name("dates.step.onnx")), "3/12/11"]) == 1
    assert "give its dates.onnx instead" in one_line_error(capsys)
    assert main(["export", str(exported), "--output", str(tmp_path / "w.safetensors")]) == 1
    assert "is an ONNX export already" in one_line_error(capsys)


def test_an_existing_step_graph_is_not_replaced_without_overwrite(date_run, tmp_path, capsys):
    step = tmp_path / "dates.step.onnx"
    step.write_bytes(b"someone else's file")
    arguments = ["export", str(date_run), "--format", "onnx", "--output",
                 str(tmp_path / "dates.onnx")]
    assert main(arguments) == 1
    assert f"{step} exists; pass --overwrite" in one_line_error(capsys)
    assert step.read_bytes() == b"someone else's file"
    assert not (tmp_path / "dates.onnx").exists()


def test_the_first_file_records_the_step_graph_and_refuses_another(exported, tmp_path, capsys):
    """An export is one model in two files: the first records the SHA-256 of the step graph,
    so the step graph of another export (or an altered one) is refused, not run."""
    import hashlib
    import json
    import shutil

    from attnkit.run.onnx_files import read_onnx_header

    step = exported.with_name("dates.step.onnx")
    described = read_onnx_header(exported)["onnx"]
    assert described["sha256"] == {"step": hashlib.sha256(step.read_bytes()).hexdigest()}
    copied = tmp_path / "dates.onnx"
    shutil.copy(exported, copied)
    data = bytearray(step.read_bytes())
    data[-1] ^= 1  # one bit of the step graph's last weight
    copied.with_name("dates.step.onnx").write_bytes(bytes(data))
    assert main(["translate", str(copied), "3/12/11"]) == 1
    assert "the two files come from different exports" in one_line_error(capsys)
    assert json.dumps(described["graphs"]) == '{"encoder": "dates.onnx", "step": "dates.step.onnx"}'


def test_an_export_killed_between_its_files_leaves_no_pair_that_answers(
        date_run, peeky_file_run, tmp_path, monkeypatch, capsys):
    """The step graph is written first and the file that records its hash last: an export of
    another run killed in between leaves the old first file with the new step graph, which
    that file refuses."""
    import attnkit.runtime.onnx_export as onnx_export

    output = export(date_run, tmp_path, "model")
    written = onnx_export.write_atomically

    def killed_at_the_first_file(path, write):
        if path == output:
            raise KeyboardInterrupt  # as if killed between the two renames
        return written(path, write)

    monkeypatch.setattr(onnx_export, "write_atomically", killed_at_the_first_file)
    assert main(["export", str(peeky_file_run), "--format", "onnx", "--output", str(output),
                 "--overwrite"]) == 130  # the CLI's status for an interrupt
    monkeypatch.undo()
    capsys.readouterr()
    assert main(["translate", str(output), "3/12/11"]) == 1
    assert "come from different exports" in one_line_error(capsys)
