"""The seq2seq pipeline's commands: `train dates`, `train translate`, `train seq2seq`, `eval`,
`predict`/`translate`, `compare` and `demo`.

- `attnkit train dates [--model KIND] [--engine torch|numpy] [--set ...]`
- `attnkit train translate [--model KIND]` (Multi30k en->de, configs/multi30k.yaml)
- `attnkit train seq2seq --data FILE [--val FILE] [--format auto|tsv|fixed]` (user pairs)
- `attnkit eval RUN [--split val|test] [--data FILE] [--beam N] [--json]`: held-out metrics as
  JSON (`evaluation`; dates and Multi30k runs: their test split by default)
- `attnkit translate RUN "September 27, 1994" [--file FILE|-] [--heatmap out.png]
  [--heads heads.png] [--beam N] [--json] [--n-best K] [--include-attention]`
  (`attnkit predict RUN ...` is the same)
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path

from attnkit.errors import AttnkitError
from attnkit.files import STDIN, check_writable, read_lines
from attnkit.models.seq2seq_kinds import BOOK_KINDS
from attnkit.pipelines.arguments import (
    add_beam_argument,
    add_device_arguments,
    add_run_arguments,
    command_line_text,
)
from attnkit.pipelines.prediction import probability
from attnkit.pipelines.records import (
    RecordWriter,
    add_attention_argument,
    add_format_arguments,
    add_n_best_argument,
    check_n_best,
)
from attnkit.pipelines.seq2seq.evaluation import SPLITS, evaluate_run, evaluation_pairs
from attnkit.pipelines.seq2seq.predictor import (
    Translation,
    Translator,
    render_text_heatmap,
    write_heads,
    write_heatmap,
)
from attnkit.run.checkpoint import resolve_checkpoint

CHUNK = 500  # inputs translated at once; a file is read chunk by chunk
TEXT_HEATMAPS = 20  # terminal heatmaps are printed for at most this many inputs


def add_train_arguments(parser: argparse.ArgumentParser, task: str) -> None:
    """`attnkit train dates`, `attnkit train translate` (Multi30k) and `attnkit train seq2seq
    --data FILE` (your own pairs)."""
    add_run_arguments(parser, "multi30k" if task == "translate" else task)
    if task == "seq2seq":
        parser.add_argument("--data", required=True, type=Path, help="training pairs: TSV "
                            "(source<TAB>target) or fixed width (date.txt / addition.txt)")
        parser.add_argument("--val", type=Path, help="validation pairs (default: hold out "
                            "data.val_fraction of --data)")
        parser.add_argument("--format", choices=("auto", "tsv", "fixed"), help="file format")
    parser.add_argument("--model", choices=(*BOOK_KINDS, "residual_lstm", "transformer"),
                        help="shorthand for --set model.kind=...")
    if task != "translate":
        parser.add_argument("--engine", choices=("torch", "numpy"), default="torch",
                            help="torch (default) or the NumPy reference engine (the book's "
                            "models and the Transformer)")


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, help="pairs to score (TSV or fixed width); "
                        "default for date and Multi30k runs: the run's --split")
    parser.add_argument("--format", choices=("auto", "tsv", "fixed"), default="auto",
                        help="format of --data (default: auto)")
    parser.add_argument("--split", choices=SPLITS, default="test", help="date and Multi30k "
                        "runs: score the validation split or the test split (default; "
                        "Multi30k: test_2016_flickr)")
    parser.add_argument("--data-dir", help="Multi30k data folder (default: $ATTNKIT_DATA, "
                        "else the user cache)")
    parser.add_argument("--json", action="store_true", help="the metrics are always one JSON "
                        "object on standard output; accepted as on every command")
    parser.epilog = ('JSON: {"pairs": N, "exact_match": fraction of outputs equal to their '
                     'target, "char_accuracy": position-wise correct characters over '
                     'max(len(output), len(target)) per pair}; translation runs (subwords, '
                     'Multi30k): {"pairs", "data", "beam_width", "exact_match", "bleu", "chrf" '
                     'and, with data.target_language, "bleu_lc_tok": each {"name", "score" '
                     '(0-100), "signature"}}')
    add_search_arguments(parser)


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    add_beam_argument(parser)
    add_device_arguments(parser, "cpu")


def evaluate(args: argparse.Namespace) -> int:
    """Print the run's metrics on --data (or its --split) as JSON (see `evaluation`)."""
    translator = Translator.from_checkpoint(args.checkpoint, args.device)
    sources, targets, described = evaluation_pairs(
        translator.recipe, getattr(args, "split", "test"), args.data, args.format,
        getattr(args, "data_dir", None))
    print(json.dumps(evaluate_run(translator, sources, targets, described, args.beam)))
    return 0


def add_predict_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("texts", nargs="*", type=command_line_text,
                        help="inputs to translate (or use --file)")
    parser.add_argument("--file", help="one input per line (`-`: standard input); read as it "
                        "comes, so it may be of any length")
    parser.add_argument("--heatmap", type=Path, metavar="PNG", help="write the attention of "
                        "the (first) input as a labelled heatmap")
    parser.add_argument("--heads", type=Path, metavar="PNG", help="Transformer runs: write the "
                        "cross-attention of every layer and head (and each layer's mean) of "
                        "the (first) input as a grid of heatmaps")
    parser.add_argument("--no-text-heatmap", action="store_true",
                        help="print outputs only, without the terminal heatmap")
    add_format_arguments(parser, text="text (default: `source -> output<TAB>probability P` "
                         "lines, terminal heatmaps for up to 20 inputs)")
    add_n_best_argument(parser, "translations and their scores (the beam must be at least K "
                        "wide)")
    add_attention_argument(parser, "output_tokens and attention (a row per output token, a "
                           "column per source token), and for Transformers heads (layers x "
                           "heads x T x S)")
    parser.epilog = ('JSON: a list with an object per input, in input order: {"input", '
                     '"output", "probability": that of the output, its end included, '
                     '"log_probability"}; with --n-best, "n_best": [{"output", "probability", '
                     '"log_probability", "normalized_score": log_probability / (tokens + '
                     '1)**decode.length_penalty, the beam\'s ranking}, ...] best first, the '
                     'first equal to output; with --include-attention, "input_tokens" (S), '
                     '"output_tokens" (T) and "attention" (T x S; null for models without '
                     'attention; a Transformer\'s: the last layer\'s heads averaged) and, for '
                     'Transformer runs, "heads" (layers x heads x T x S). An input the model '
                     'cannot read is {"input", "error"} (also printed to standard error; exit '
                     'status 1). The same record as attnkit.load(RUN).predict([text])[0]'
                     '.to_record() and attnkit serve (with --include-attention: '
                     'predict([text], heads=True)[0].to_record(True)).')
    parser.add_argument("--day-first", action="store_true",
                        help="dates: read numeric dates with slashes or dashes day first "
                        "(3/5/2021 is 3 May); by default they are month first when both "
                        "numbers could be the month (a number above 12 is always the day)")
    add_search_arguments(parser)


def predict(args: argparse.Namespace) -> int:
    """`source -> output` per input, in order, with a terminal heatmap for up to
    TEXT_HEATMAPS inputs, or a record per input (`--format`, see `records`). An input the
    model cannot read is reported (`error: FILE:LINE: ...` on stderr) and the others are
    translated; the exit status is then 1."""
    for picture in (args.heatmap, args.heads):
        if picture is not None:
            check_writable(picture)  # before any work
    inputs = labelled_inputs(args)
    chunk = list(itertools.islice(inputs, CHUNK))
    if not chunk:
        raise AttnkitError("nothing to translate: give texts or --file")
    translator = Translator.from_checkpoint(args.checkpoint, args.device)
    translator.day_first = args.day_first
    check_n_best(args.n_best, args.beam or translator.recipe.decode.beam_width,
                 args.beam is not None)
    heads = heads_asked(args, translator)
    empty = "(not a date)" if translator.recipe.data.refusals and \
        translator.recipe.data.source == "dates" else "(empty)"
    writer = None if args.format == "text" else \
        RecordWriter(args.format, record_columns(args), [])
    show_maps = writer is None and not args.no_text_heatmap and len(chunk) <= TEXT_HEATMAPS
    failed, first = 0, None
    while chunk:
        results = translator.predict_each([text for _, text in chunk], args.beam, args.n_best,
                                          heads)
        for (where, text), result in zip(chunk, results, strict=True):
            if isinstance(result, AttnkitError):
                failed += 1
                if writer is None:
                    print(f"error: {where}{result}", file=sys.stderr)
                else:
                    writer.write({"input": text, "error": f"{where}{result}"})
                continue
            first = first or result
            if writer is None:
                print_translation(result, show_maps, empty)
            else:
                writer.write(result.to_record(args.include_attention))
        chunk = list(itertools.islice(inputs, CHUNK))
    if writer is not None:
        writer.close()
    if args.heatmap is not None and first is not None:
        write_heatmap(first, args.heatmap)
        print(f"heatmap written to {args.heatmap}",
              file=sys.stdout if writer is None else sys.stderr)
    if args.heads is not None and first is not None:
        write_heads(first, args.heads)
        print(f"attention heads written to {args.heads}",
              file=sys.stdout if writer is None else sys.stderr)
    return 1 if failed else 0


def heads_asked(args: argparse.Namespace, translator: Translator) -> bool:
    """Whether to find every layer's and head's attention: for --heads (Transformers only, else
    an AttnkitError) and, for Transformers, --include-attention."""
    if args.heads is not None and not translator.has_heads:
        raise AttnkitError("--heads draws a Transformer's attention heads; this run's model "
                           f"is {translator.recipe.model.kind!r}")
    return args.heads is not None or (args.include_attention and translator.has_heads)


def record_columns(args: argparse.Namespace) -> list[str]:
    optional = (["n_best"] if args.n_best else []) + \
        (["input_tokens", "output_tokens", "attention", "heads"] if args.include_attention
         else [])
    return ["input", "output", "probability", "log_probability", *optional, "error"]


def print_translation(result: Translation, show_map: bool, empty: str = "(empty)") -> None:
    """`source -> output<TAB>probability P`, and a `<TAB>output<TAB>probability P` line for each
    of the n best (the records' `probability`: that of the whole output); an empty output
    shows as `empty` (a date model's refusal: "(not a date)")."""
    print(f"{result.source} -> {result.output or empty}\t{probability_text(result.score)}")
    for alternative in result.n_best:
        print(f"\t{alternative.output or empty}\t{probability_text(alternative.score)}")
    if show_map and result.attention is not None:
        print(render_text_heatmap(result))


def labelled_inputs(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """(where, text): the command line's texts, then --file's non-blank lines."""
    for text in args.texts:
        yield "", text
    if args.file is not None:
        for number, line in read_lines(args.file):
            if line.strip():
                yield f"{'stdin' if args.file == STDIN else args.file}:{number}: ", line


def translate_command(args: argparse.Namespace) -> int:
    from attnkit.pipelines.exporting import runtime_checkpoint

    with runtime_checkpoint(resolve_checkpoint(args.run), args.runtime) as args.checkpoint:
        return predict(args)


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """`attnkit translate RUN ...`: `attnkit predict RUN ...` for seq2seq runs."""
    parser.add_argument("run", help="run folder, checkpoint file, .onnx export or shipped "
                        "model name")
    add_predict_arguments(parser)
    parser.set_defaults(func=translate_command)


def probability_text(log_probability: float) -> str:
    """The record's `probability` (rounded as records round it), for a text line."""
    return f"probability {probability(math.exp(log_probability)):.4f}"
