"""`--json`, `--n-best` and `--include-attention` of `attnkit translate`/`predict`/`eval` on the
shipped dates model, checked against the text output, the Python API and scores recomputed here
by teacher forcing (one forward pass, no search)."""

import json
import math

import pytest
import torch

from attnkit.cli import main
from attnkit.data.seq_batches import encode_sources
from attnkit.pipelines.seq2seq.predictor import Translator

from ..threads import one_thread

DATES = ["September 27, 1994", "3/12/11", "tuesday, jan 5 2021", "1 Feb 1999", "07.04.76"]


@pytest.fixture(scope="module")
def translator():
    with one_thread():
        yield Translator.from_checkpoint("dates")


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def teacher_forced(translator: Translator, source: str, output: str) -> float:
    """The log-probability the model gives `output` (then the end token) for `source`."""
    vocab = translator.vocab
    batch = encode_sources([vocab.encode(source)], translator.recipe.model.reverse_source)
    ids = vocab.encode(output)
    target_in = torch.tensor([[vocab.start_id, *ids]])
    target_out = torch.tensor([[*ids, vocab.end_id]])
    with torch.no_grad():
        logits = translator.model(batch["source"], batch["source_lengths"], target_in)
    return float(logits.float().log_softmax(-1).gather(-1, target_out.unsqueeze(-1)).sum())


def test_json_holds_what_the_text_output_says_in_input_order(translator, tmp_path, capsys):
    code, text, _ = run(["translate", "dates", *DATES, "--no-text-heatmap"], capsys)
    assert code == 0
    code, out, err = run(["translate", "dates", *DATES, "--json"], capsys)
    assert code == 0 and err == ""
    records = json.loads(out)  # the whole of stdout is one JSON document
    assert [f"{r['input']} -> {r['output']}\tprobability {r['probability']:.4f}"
            for r in records] == text.splitlines()
    assert all(list(r) == ["input", "output", "probability", "log_probability"]
               for r in records)
    results = translator.predict(DATES)
    assert records == [result.to_record() for result in results]  # one record, CLI and Python
    for record in records:
        assert record["log_probability"] == pytest.approx(
            teacher_forced(translator, record["input"], record["output"]), abs=1e-4)
        assert record["probability"] == pytest.approx(math.exp(record["log_probability"]),
                                                      abs=2e-6)
    assert run(["predict", "dates", *DATES, "--format", "json"], capsys)[1] == out
    jsonl = run(["translate", "dates", *DATES, "--format", "jsonl"], capsys)[1]
    assert [json.loads(line) for line in jsonl.splitlines()] == records


def test_an_unreadable_input_is_an_error_record_in_its_place(tmp_path, capsys):
    inputs = tmp_path / "dates.txt"
    too_long = "9" * 80
    inputs.write_text(f"3/12/11\n27 décembre 1994\n{too_long}\n\n1 Feb 1999\n",
                      encoding="utf-8")
    code, out, err = run(["translate", "dates", "--file", str(inputs), "--json"], capsys)
    assert code == 1
    records = json.loads(out)
    assert [r["input"] for r in records] == ["3/12/11", "27 décembre 1994", too_long,
                                             "1 Feb 1999"]
    assert "décembre" in out  # UTF-8, not \u escapes; 'é' is read as unknown, not refused
    assert "output" in records[1]
    assert set(records[2]) == {"input", "error"} and records[3]["output"] == "1999-02-01"
    assert records[2]["error"].startswith(f"{inputs}:3: ") and "too long" in records[2]["error"]
    assert err == f"error: {records[2]['error']}\n"


def test_n_best_lists_are_ranked_scored_and_start_with_the_beam_output(translator, capsys):
    code, out, _ = run(["translate", "dates", *DATES, "--json", "--n-best", "3", "--beam", "4"],
                       capsys)
    assert code == 0
    records = json.loads(out)
    beam = translator.predict(DATES, beam_width=4)
    penalty = translator.recipe.decode.length_penalty
    for record, expected in zip(records, beam, strict=True):
        alternatives = record["n_best"]
        assert len(alternatives) == 3 and len({a["output"] for a in alternatives}) == 3
        assert alternatives[0]["output"] == record["output"] == expected.output
        ranks = [a["normalized_score"] for a in alternatives]
        assert ranks == sorted(ranks, reverse=True)
        for alternative in alternatives:
            assert alternative["log_probability"] == pytest.approx(
                teacher_forced(translator, record["input"], alternative["output"]), abs=1e-4)
            assert alternative["normalized_score"] == pytest.approx(
                alternative["log_probability"] / (len(alternative["output"]) + 1) ** penalty,
                abs=1e-6)
            assert alternative["log_probability"] < 0
    code, text, _ = run(["translate", "dates", DATES[0], "--n-best", "3", "--beam", "4",
                         "--no-text-heatmap"], capsys)
    assert text.splitlines() == [
        f"{DATES[0]} -> {records[0]['output']}\tprobability {records[0]['probability']:.4f}"] + [
        f"\t{a['output']}\tprobability {math.exp(a['log_probability']):.4f}"
        for a in records[0]["n_best"]]
    code, out, _ = run(["translate", "dates", *DATES, "--json", "--n-best", "1"], capsys)
    greedy = translator.predict(DATES)  # the recipe's beam is 1: greedy search
    assert [r["n_best"][0]["output"] for r in json.loads(out)] == [t.output for t in greedy]


@pytest.mark.parametrize("options,message", [
    (["--n-best", "0"], "argument --n-best: must be from 1 to 100, got 0"),
    (["--n-best", "3"], "--n-best 3 needs a beam at least 3 wide, but the beam is 1 (the "
                        "run's recipe): pass --beam 3 or more"),
    (["--n-best", "5", "--beam", "2"], "--n-best 5 needs a beam at least 5 wide, but the "
                                        "beam is 2 (--beam): pass --beam 5 or more"),
])
def test_a_bad_n_best_is_one_error_line(options, message, capsys):
    for verb in ("translate", "predict"):
        code, out, err = run([verb, "dates", "3/12/11", "--json", *options], capsys)
        assert code == 1 and out == ""
        assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_attention_is_in_json_only_when_asked(translator, capsys):
    records = json.loads(run(["translate", "dates", *DATES[:2], "--json"], capsys)[1])
    assert "attention" not in records[0]
    code, out, _ = run(["translate", "dates", *DATES[:2], "--json", "--include-attention"],
                       capsys)
    for record, expected in zip(json.loads(out), translator.predict(DATES[:2]), strict=True):
        attention = torch.tensor(record["attention"], dtype=torch.float64)
        assert record["output_tokens"] == list(record["output"])
        assert attention.shape == (len(record["output_tokens"]), len(record["input"]))
        assert record["input_tokens"] == list(record["input"])
        torch.testing.assert_close(attention.sum(-1), torch.ones(len(attention),
                                   dtype=torch.float64), atol=1e-3, rtol=0)
        torch.testing.assert_close(attention, torch.from_numpy(expected.attention).double(),
                                   atol=5e-5, rtol=0)


def test_eval_json_is_the_metrics_of_the_translations(tmp_path, capsys):
    targets = ["1994-09-27", "2011-03-12", "2021-01-05", "1999-01-02", "1976-04-07"]
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{s}\t{t}\n" for s, t in zip(DATES, targets, strict=True)))
    code, out, _ = run(["eval", "dates", "--data", str(pairs), "--json"], capsys)
    assert code == 0
    scores = json.loads(out)
    outputs = [r["output"] for r in json.loads(run(["translate", "dates", *DATES, "--json"],
                                                   capsys)[1])]
    exact = sum(o == t for o, t in zip(outputs, targets, strict=True)) / len(targets)
    right = sum(a == b for o, t in zip(outputs, targets, strict=True)
                for a, b in zip(o, t, strict=False))
    positions = sum(max(len(o), len(t)) for o, t in zip(outputs, targets, strict=True))
    assert scores == {"pairs": 5, "exact_match": exact, "char_accuracy": right / positions}
    assert 0 < exact < 1  # "1 Feb 1999" is not January 2nd
