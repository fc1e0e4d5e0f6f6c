import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from attnkit.cli import main
from attnkit.data.date_grammar import is_iso_date
from attnkit.data.dates import generate_date_splits
from attnkit.pipelines.seq2seq.predictor import Translator
from attnkit.run.checkpoint import load_checkpoint, read_header

from .runs import TINY, addition_pairs, write_fixed_width


def test_train_dates_writes_a_complete_run(date_run):
    for name in ("best.safetensors", "last.safetensors", "metrics.jsonl", "curves.png",
                 "recipe.yaml"):
        assert (date_run / name).is_file(), name
    meta = read_header(date_run / "best.safetensors")["meta"]
    assert meta["task"] == "seq2seq" and meta["vocab"][:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert meta["recipe"]["model"]["kind"] == "attention"
    record = json.loads((date_run / "metrics.jsonl").read_text().splitlines()[0])
    assert {"train_loss", "val_loss", "val_exact_match", "val_char_accuracy"} <= set(record)


def test_translate_prints_text_heatmap_and_writes_png(date_run, tmp_path, capsys):
    png = tmp_path / "map.png"
    assert main(["translate", str(date_run), "September 27, 1994", "--heatmap", str(png)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("September 27, 1994 -> ")
    assert "S e p t e m b e r" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["predict", str(date_run), "2/10/93", "--no-text-heatmap"]) == 0
    assert capsys.readouterr().out.startswith("2/10/93 -> ")


def test_attention_columns_are_the_models_weights_in_the_users_order(date_run):
    """The oracle: the encoder reads the source reversed (the recipe's reverse_source), so the
    decoder's raw weights, recomputed here by a teacher-forced pass over the translation, have
    the user's first character in their last column."""
    translator = Translator.from_checkpoint(date_run)
    model, vocab = translator.model, translator.vocab
    assert translator.recipe.model.reverse_source
    text = "27 Sep 1994"
    beams = translator.predict([text, "2/10/93"], beam_width=3)
    assert [t.source for t in beams] == [text, "2/10/93"]
    for translation in (translator.predict([text])[0], beams[0]):
        source = torch.tensor([[vocab.index[character] for character in reversed(text)]])
        outputs = [vocab.index[token] for token in translation.output_tokens]
        target_in = torch.tensor([[vocab.start_id, *outputs[:-1]]])  # (1, T)
        with torch.no_grad():
            memory = model.encode(source, torch.tensor([len(text)]))
            _, _, weights = model.decoder(target_in, model.initial_state(memory), memory)
        raw = weights[0].numpy()  # (T, S), column j: the j-th character the encoder read
        assert np.abs(raw - raw[:, ::-1]).max() > 1e-3  # a missing flip would show
        np.testing.assert_allclose(translation.attention, raw[:, ::-1], rtol=0, atol=1e-5)


def test_eval_figures_are_those_of_the_translate_outputs(date_run, tmp_path, capsys):
    """Exact match and character accuracy recomputed here from what `translate` writes, on
    the run's generated test split and on a file whose first half of targets are the model's
    own outputs (so exact match cannot be 0 by luck)."""
    splits = generate_date_splits(300, 40, 40, seed=0, refusals=0.04)  # TINY's, the recipe's

    def translated(sources, *options):
        (tmp_path / "sources.txt").write_text("\n".join(sources) + "\n")
        assert main(["translate", str(date_run), "--file", str(tmp_path / "sources.txt"),
                     "--no-text-heatmap", *options]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [line.split(" -> ")[0] for line in lines] == sources
        return [line.split(" -> ", 1)[1].split("\t")[0] for line in lines]

    def figures(outputs, targets):
        correct = sum(sum(o == t for o, t in zip(output, target, strict=False))
                      for output, target in zip(outputs, targets, strict=True))
        positions = sum(max(len(output), len(target))
                        for output, target in zip(outputs, targets, strict=True))
        return {"pairs": len(targets),
                "exact_match": sum(map(str.__eq__, outputs, targets)) / len(targets),
                "char_accuracy": correct / positions}

    outputs = translated(splits.test_sources)
    assert main(["eval", str(date_run)]) == 0
    assert json.loads(capsys.readouterr().out) == figures(outputs, splits.test_targets)

    # a pairs file (its targets are never empty): half of them the model's own outputs
    dates = [i for i, target in enumerate(splits.test_targets) if target][:20]
    sources, targets = [splits.test_sources[i] for i in dates], \
        [splits.test_targets[i] for i in dates]
    outputs = translated(sources, "--beam", "2")
    own = [i for i, output in enumerate(outputs) if output][:10]
    targets = [outputs[i] if i in own else target for i, target in enumerate(targets)]
    pairs = write_fixed_width(tmp_path / "pairs.txt", list(zip(sources, targets, strict=True)))
    assert main(["eval", str(date_run), "--data", str(pairs), "--format", "fixed",
                 "--beam", "2"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores == figures(outputs, targets) and scores["exact_match"] >= len(own) / 20
    assert len(own) >= 5


@pytest.mark.parametrize("arguments, message", [
    (["translate", "{run}", ""], "empty input"),
    (["translate", "{run}", "x" * 80], "too long for this model"),
    # a model trained without data.unknown_rate refuses characters it never saw
    (["translate", "{additions}", "1+\u00e9"], "never seen in training: '\u00e9'"),
    (["translate", "{missing}", "2/10/93"], "checkpoint not found"),
    (["translate", "{corrupt}", "2/10/93"], "not a readable attnkit checkpoint"),
    (["train", "dates", "--run-dir", "{run}", *TINY], "already holds checkpoints"),
    (["train", "dates", "--run-dir", "{missing}", "--set", "model.kind=big"], "model.kind"),
])
def test_bad_input_is_one_line_and_exit_1(date_run, peeky_file_run, tmp_path, capsys,
                                         arguments, message):
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"not a checkpoint")
    before = (date_run / "best.safetensors").stat().st_mtime_ns
    paths = {"run": date_run, "missing": tmp_path / "missing", "corrupt": corrupt,
             "additions": peeky_file_run}
    assert main([a.format(**paths) for a in arguments]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error and error.count("\n") == 1
    assert (date_run / "best.safetensors").stat().st_mtime_ns == before


def test_train_seq2seq_on_a_user_file(tmp_path, capsys):
    data = write_fixed_width(tmp_path / "addition.txt", addition_pairs())
    run_dir = tmp_path / "run"
    assert main(["train", "seq2seq", "--data", str(data), "--run-dir", str(run_dir),
                 "--model", "peeky", *TINY[6:]]) == 0
    meta = read_header(run_dir / "best.safetensors")["meta"]
    assert meta["recipe"]["data"]["file"] == str(data)
    assert meta["recipe"]["model"]["kind"] == "peeky"
    assert main(["translate", str(run_dir), "3+4"]) == 0
    assert "3+4 -> " in capsys.readouterr().out
    bad = tmp_path / "bad.tsv"
    bad.write_text("1+1\t2\n2+2 4\n")
    assert main(["train", "seq2seq", "--data", str(bad), "--run-dir", str(tmp_path / "r2")]) == 1
    assert "bad.tsv, line 2" in capsys.readouterr().err
    assert not (tmp_path / "r2").exists()


def test_compare_plots_every_model(tmp_path, capsys):
    run_dir = tmp_path / "compare"
    assert main(["compare", "--run-dir", str(run_dir), "--models", "plain,attention",
                 *TINY]) == 0
    assert (run_dir / "comparison.png").is_file()
    table = (run_dir / "comparison.md").read_text()
    assert "| plain |" in table and "| attention |" in table
    assert (run_dir / "plain" / "best.safetensors").is_file()
    written = {path: path.stat().st_mtime_ns for path in run_dir.rglob("*")}
    assert main(["compare", "--run-dir", str(run_dir), "--models", "plain", *TINY]) == 1
    assert "is not empty" in capsys.readouterr().err
    assert {path: path.stat().st_mtime_ns for path in run_dir.rglob("*")} == written


@pytest.mark.parametrize("change, message", [
    (["--set", "model.hidden_size=16"], "cannot change model.hidden_size (32 -> 16)"),
    (["--model", "peeky"], "cannot change model.kind ('attention' -> 'peeky')"),
    (["--set", "data.train_size=200"], "cannot change data.train_size"),
    (["--config", "dates"], "drop --config"),
    (["--run-dir", "elsewhere"], "drop --run-dir"),
])
def test_resume_refuses_to_change_the_run(date_run, capsys, change, message):
    before = {path.name: path.stat().st_mtime_ns for path in date_run.iterdir()}
    assert main(["train", "dates", "--resume", str(date_run), *change]) == 1
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1 and "Traceback" not in error
    assert {path.name: path.stat().st_mtime_ns for path in date_run.iterdir()} == before


def test_a_run_cut_by_minutes_resumes_to_the_uninterrupted_weights(tmp_path, capsys):
    two_epochs = [*TINY, "--set", "train.epochs=2"]
    assert main(["train", "dates", "--run-dir", str(tmp_path / "full"), *two_epochs]) == 0
    cut = tmp_path / "cut"
    assert main(["train", "dates", "--run-dir", str(cut), "--minutes", "1e-9", *two_epochs]) == 0
    assert "stopped early" in capsys.readouterr().out
    assert main(["train", "dates", "--resume", str(cut), "--minutes", "0"]) == 0
    full, resumed = (load_checkpoint(run / "last.safetensors") for run in (tmp_path / "full", cut))
    assert resumed.header["trainer"]["step"] == full.header["trainer"]["step"]
    for name, tensor in full.model_state.items():
        torch.testing.assert_close(resumed.model_state[name], tensor, rtol=0, atol=0)


def test_resume_with_more_epochs_records_them(date_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(date_run, run_dir)
    assert main(["train", "dates", "--resume", str(run_dir), "--set", "train.epochs=2"]) == 0
    assert "epochs: 2" in (run_dir / "recipe.yaml").read_text()
    assert len((run_dir / "metrics.jsonl").read_text().splitlines()) == 2


def test_demo_writes_a_fresh_run_with_heatmaps(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", *TINY]) == 0
    out = capsys.readouterr().out
    assert "held-out exact match:" in out and "September 27, 1994 -> " in out
    (first,) = (tmp_path / "runs").iterdir()
    assert first.name.startswith("demo-") and len(list(first.glob("heatmaps/*.png"))) == 8
    assert f"Saved in {first.relative_to(tmp_path)}/" in out
    # the closing hint names a command that runs from here (#27: `attnkit` was not on PATH)
    [hint] = [line for line in out.splitlines() if line.startswith("try: ")]
    command = hint.removeprefix("try: ").split(" translate ")[0]
    assert shutil.which(command) or Path(command).is_file(), hint


def test_numpy_engine_checkpoint_decodes_with_torch(tmp_path, capsys):
    run_dir = tmp_path / "numpy"
    assert main(["train", "dates", "--engine", "numpy", "--run-dir", str(run_dir), *TINY]) == 0
    assert main(["translate", str(run_dir), "27 Sep 1994", "--no-text-heatmap"]) == 0
    assert "27 Sep 1994 -> " in capsys.readouterr().out


def test_cli_exit_code_in_a_subprocess(tmp_path):
    result = subprocess.run([sys.executable, "-m", "attnkit.cli", "translate",
                             str(tmp_path / "none"), "2/10/93"], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("error: checkpoint not found")


def test_a_line_the_model_cannot_read_is_reported_and_the_others_translated(date_run, tmp_path,
                                                                             capsys,
                                                                             monkeypatch):
    inputs = tmp_path / "in.txt"
    inputs.write_text("2/10/93\n" + "9" * 80 + "\n\n27 Sep 1994\n")
    assert main(["translate", str(date_run), "--file", str(inputs), "--no-text-heatmap"]) == 1
    shown = capsys.readouterr()
    assert [line.split(" -> ")[0] for line in shown.out.splitlines()] == ["2/10/93",
                                                                         "27 Sep 1994"]
    assert shown.err.startswith(f"error: {inputs}:2: input of 80 characters is too long")
    assert shown.err.count("\n") == 1
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"2/10/93\n")))
    assert main(["translate", str(date_run), "--file", "-", "--no-text-heatmap"]) == 0
    assert capsys.readouterr().out.startswith("2/10/93 -> ")


def test_a_date_model_reads_characters_it_never_saw_as_unknown(date_run, capsys):
    """The dates recipe trains with data.unknown_rate: '\u00e9' and '\u00a7' are <unk>, not an
    error (#27), and the record's input is the user's text."""
    header = read_header(date_run / "best.safetensors")
    assert header["meta"]["recipe"]["data"]["unknown_rate"] > 0
    assert not {"\u00e9", "\u00a7"} & set(header["meta"]["vocab"])
    assert main(["translate", str(date_run), "Sept. 27 \u00e9", "\u00a72/10/93", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [record["input"] for record in records] == ["Sept. 27 \u00e9", "\u00a72/10/93"]
    assert all("error" not in record for record in records)


def test_with_the_date_grammar_every_output_is_a_calendar_date(date_run, tmp_path):
    """A barely trained model writes anything; the dates recipe searches under decode.grammar
    iso_date, so it can only write `YYYY-MM-DD` dates that exist, in the data's year range."""
    texts = ["September 27, 1994", "2/10/93", "3/12/11", "31.02.2001", "hello", "9"]
    for beam in (1, 3):
        outputs = [t.output for t in Translator.from_checkpoint(date_run).predict(texts, beam)]
        assert all(is_iso_date(output, 1900, 2099) for output in outputs), outputs
    run_dir = tmp_path / "run"
    assert main(["train", "dates", "--run-dir", str(run_dir), *TINY,
                 "--set", "decode.grammar=none"]) == 0
    unconstrained = [t.output for t in Translator.from_checkpoint(run_dir).predict(texts)]
    assert not all(is_iso_date(output) for output in unconstrained)
