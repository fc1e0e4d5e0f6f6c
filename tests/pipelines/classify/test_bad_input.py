"""Bad input: one clear `error:` line, exit status 1, nothing overwritten."""

import json
import subprocess
import sys

import pytest

from attnkit.cli import main


def run(arguments, capsys):
    code = main([str(a) for a in arguments])
    captured = capsys.readouterr()
    return code, captured.err.strip()


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty text"),
    ("?! ... --", "empty text"),
    ("qzxv wvvkq xxqzzq", "none of the 3 words the model reads is in its"),
])
def test_texts_the_model_cannot_read(run_dir, capsys, text, message):
    code, error = run(["predict", run_dir, text], capsys)
    assert code == 1 and error.startswith("error: ") and message in error
    assert len(error.splitlines()) == 1


def test_non_utf8_input_keeps_an_existing_output(run_dir, tmp_path, capsys):
    source, output = tmp_path / "in.txt", tmp_path / "out.jsonl"
    source.write_bytes(b"a fine film\nan \xff awful one\n")
    output.write_text("old predictions\n")
    code, error = run(["predict", run_dir, "--input", source, "--output", output], capsys)
    assert code == 1 and "in.txt:2" in error and "UTF-8" in error
    assert output.read_text() == "old predictions\n"


def test_a_text_the_model_cannot_read_is_reported_and_the_others_classified(run_dir, tmp_path,
                                                                             capsys):
    source, output = tmp_path / "in.txt", tmp_path / "out.jsonl"
    source.write_text("a fine film\nqqqzx zzkq\n\nan awful film\n")
    code, error = run(["predict", run_dir, "--input", source, "--output", output], capsys)
    assert code == 1 and error.startswith("error: ") and "in.txt:2: none of the 2 words" in error
    assert "\r" not in error  # no progress-bar frames in a log
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [row["input"] for row in rows] == ["a fine film", "qqqzx zzkq", "an awful film"]
    assert "output" in rows[0] and "output" in rows[2] and "none of the 2 words" in rows[1]["error"]
    assert main(["predict", str(run_dir), "a fine film", "qqqzx zzkq"]) == 1
    shown = capsys.readouterr()
    assert shown.out.count("label ") == 1 and "text 2: none of the 2 words" in shown.err


def csv_file(tmp_path, header, rows):
    path = tmp_path / "data.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_csv_problems_stop_before_a_run_folder_exists(tmp_path, capsys):
    target = tmp_path / "run"
    path = csv_file(tmp_path, "review,stars", ["good film,5", "bad film,1"])
    code, error = run(["train", "classify", "--data", path, "--run-dir", target], capsys)
    assert code == 1 and "no column 'text'; columns found: 'review', 'stars'" in error
    path = csv_file(tmp_path, "text,label", ["good film,pos", "great film,pos"])
    code, error = run(["train", "classify", "--data", path, "--run-dir", target], capsys)
    assert code == 1 and "only one class ('pos')" in error
    path = csv_file(tmp_path, "text,label", ["good film,pos", "bad film,neg"])
    code, error = run(["train", "classify", "--data", path, "--run-dir", target,
                       "--set", "data.ngram_order=2", "--set", "data.validation_fraction=0"],
                      capsys)
    assert code == 1 and "data.ngram_order needs a validation split" in error
    assert not target.exists()


def test_data_dir_without_imdb_layout(tmp_path, capsys):
    (tmp_path / "data" / "aclImdb" / "train").mkdir(parents=True)
    code, error = run(["train", "imdb", "--data-dir", tmp_path / "data",
                       "--run-dir", tmp_path / "run"], capsys)
    assert code == 1 and "aclImdb layout: no reviews in train/neg, train/pos" in error
    assert not (tmp_path / "run").exists()


def test_the_installed_command_prints_one_line_and_exits_1(run_dir):
    result = subprocess.run([sys.executable, "-m", "attnkit.cli", "predict", str(run_dir), ""],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_a_review_longer_than_a_batchs_token_budget_is_classified_alone():
    """`--batch-size 1` allows 192 padded tokens a batch; a 300-word review is a batch of its
    own (data.bucketing.token_budget_batches), not an empty batch."""
    from attnkit.pipelines.classify.predictor import TextClassifier

    classifier = TextClassifier.from_checkpoint("imdb", "cpu")
    reviews = [" ".join(["a wonderful film with a moving story"] * 43),  # 301 words
               "a dull film", " ".join(["a dull and boring film"] * 60)]  # 300 words
    together = classifier.predict(reviews)
    for chosen in ([0], [2, 0], [0, 1, 2]):  # alone, only long ones, and with a short one
        alone = classifier.predict([reviews[i] for i in chosen], batch_size=1)
        assert [p.label for p in alone] == [together[i].label for i in chosen]
        assert [p.probability for p in alone] == pytest.approx(
            [together[i].probability for i in chosen], abs=1e-5)
