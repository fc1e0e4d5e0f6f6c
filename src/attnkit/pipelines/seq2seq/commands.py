"""The seq2seq pipeline's commands: `train dates`, `train seq2seq`, `eval`, `predict`/`translate`,
`compare` and `demo`.

- `attnkit train dates [--model attention|peeky|plain] [--engine torch|numpy] [--set ...]`
- `attnkit train seq2seq --data FILE [--val FILE] [--format auto|tsv|fixed]` (user pairs)
- `attnkit eval RUN [--data FILE] [--beam N] [--json]`: held-out metrics as JSON (dates: the
  test split)
- `attnkit translate RUN "September 27, 1994" [--file FILE|-] [--heatmap out.png] [--beam N]
  [--json] [--n-best K] [--include-attention]` (`attnkit predict RUN ...` is the same)
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from attnkit.data.seq_files import load_pairs
from attnkit.engine.sequence_metrics import character_accuracy, exact_match
from attnkit.errors import AttnkitError
from attnkit.files import STDIN, check_writable, read_lines
from attnkit.pipelines.arguments import (
    add_beam_argument,
    add_device_arguments,
    add_run_arguments,
    command_line_text,
)
from attnkit.pipelines.records import (
    RecordWriter,
    add_attention_argument,
    add_format_arguments,
    add_n_best_argument,
    check_n_best,
)
from attnkit.pipelines.seq2seq.data import build_splits
from attnkit.pipelines.seq2seq.predictor import (
    Translation,
    Translator,
    render_text_heatmap,
    write_heatmap,
)
from attnkit.run.checkpoint import resolve_checkpoint

CHUNK = 500  # inputs translated at once; a file is read chunk by chunk
TEXT_HEATMAPS = 20  # terminal heatmaps are printed for at most this many inputs


def add_train_arguments(parser: argparse.ArgumentParser, task: str) -> None:
    """`attnkit train dates` and `attnkit train seq2seq --data FILE` (your own pairs)."""
    add_run_arguments(parser, task)
    if task == "seq2seq":
        parser.add_argument("--data", required=True, type=Path, help="training pairs: TSV "
                            "(source<TAB>target) or fixed width (date.txt / addition.txt)")
        parser.add_argument("--val", type=Path, help="validation pairs (default: hold out "
                            "data.val_fraction of --data)")
        parser.add_argument("--format", choices=("auto", "tsv", "fixed"), help="file format")
    parser.add_argument("--model", choices=("attention", "peeky", "plain"),
                        help="shorthand for --set model.kind=...")
    parser.add_argument("--engine", choices=("torch", "numpy"), default="torch",
                        help="torch (default) or the NumPy reference engine")


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, help="pairs to score (TSV or fixed width); "
                        "default for date runs: the run's generated test split")
    parser.add_argument("--format", choices=("auto", "tsv", "fixed"), default="auto",
                        help="format of --data (default: auto)")
    parser.add_argument("--json", action="store_true", help="the metrics are always one JSON "
                        "object on standard output; accepted as on every command")
    parser.epilog = ('JSON: {"pairs": N, "exact_match": fraction of outputs equal to their '
                     'target, "char_accuracy": position-wise correct characters over '
                     'max(len(output), len(target)) per pair}')
    add_search_arguments(parser)


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    add_beam_argument(parser)
    add_device_arguments(parser, "cpu")


def evaluate(args: argparse.Namespace) -> int:
    """Print exact match and character accuracy on --data (or the test split) as JSON."""
    translator = Translator.from_checkpoint(args.checkpoint, args.device)
    if args.data is not None:
        sources, targets = load_pairs(args.data, args.format)
    elif translator.recipe.data.source == "dates" and translator.recipe.data.test_size > 0:
        splits = build_splits(translator.recipe.data)
        sources, targets = splits.test_sources, splits.test_targets
    else:
        raise AttnkitError("this run has no generated test split; pass --data FILE")
    outputs = [t.output for t in translator.predict(sources, args.beam)]
    print(json.dumps({"pairs": len(sources), "exact_match": exact_match(outputs, targets),
                      "char_accuracy": character_accuracy(outputs, targets)}))
    return 0


def add_predict_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("texts", nargs="*", type=command_line_text,
                        help="inputs to translate (or use --file)")
    parser.add_argument("--file", help="one input per line (`-`: standard input); read as it "
                        "comes, so it may be of any length")
    parser.add_argument("--heatmap", type=Path, metavar="PNG", help="write the attention of "
                        "the (first) input as a labelled heatmap")
    parser.add_argument("--no-text-heatmap", action="store_true",
                        help="print outputs only, without the terminal heatmap")
    add_format_arguments(parser, text="text (default: `source -> output` lines, terminal "
                         "heatmaps for up to 20 inputs)")
    add_n_best_argument(parser, "translations and their scores (the beam must be at least K "
                        "wide)")
    add_attention_argument(parser, "output_tokens and attention (a row per output token, a "
                           "column per source character)")
    parser.epilog = ('JSON: a list with an object per input, in input order: {"input", '
                     '"output", "probability": that of the output, its end included, '
                     '"log_probability"}; with --n-best, "n_best": [{"output", "probability", '
                     '"log_probability", "normalized_score": log_probability / (tokens + '
                     '1)**decode.length_penalty, the beam\'s ranking}, ...] best first, the '
                     'first equal to output; with --include-attention, "input_tokens" (S), '
                     '"output_tokens" (T) and "attention" (T x S; null for models without '
                     'attention). An input the model cannot read is {"input", "error"} (also '
                     'printed to standard error; exit status 1). The same record as '
                     'attnkit.load(RUN).predict([text])[0].to_record() and attnkit serve.')
    add_search_arguments(parser)


def predict(args: argparse.Namespace) -> int:
    """`source -> output` per input, in order, with a terminal heatmap for up to
    TEXT_HEATMAPS inputs, or a record per input (`--format`, see `records`). An input the
    model cannot read is reported (`error: FILE:LINE: ...` on stderr) and the others are
    translated; the exit status is then 1."""
    if args.heatmap is not None:
        check_writable(args.heatmap)  # before any work
    inputs = labelled_inputs(args)
    chunk = list(itertools.islice(inputs, CHUNK))
    if not chunk:
        raise AttnkitError("nothing to translate: give texts or --file")
    translator = Translator.from_checkpoint(args.checkpoint, args.device)
    check_n_best(args.n_best, args.beam or translator.recipe.decode.beam_width,
                 args.beam is not None)
    writer = None if args.format == "text" else \
        RecordWriter(args.format, record_columns(args), [])
    show_maps = writer is None and not args.no_text_heatmap and len(chunk) <= TEXT_HEATMAPS
    failed, first = 0, None
    while chunk:
        results = translator.predict_each([text for _, text in chunk], args.beam, args.n_best)
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
                print_translation(result, show_maps)
            else:
                writer.write(result.to_record(args.include_attention))
        chunk = list(itertools.islice(inputs, CHUNK))
    if writer is not None:
        writer.close()
    if args.heatmap is not None and first is not None:
        write_heatmap(first, args.heatmap)
        print(f"heatmap written to {args.heatmap}",
              file=sys.stdout if writer is None else sys.stderr)
    return 1 if failed else 0


def record_columns(args: argparse.Namespace) -> list[str]:
    optional = (["n_best"] if args.n_best else []) + \
        (["input_tokens", "output_tokens", "attention"] if args.include_attention else [])
    return ["input", "output", "probability", "log_probability", *optional, "error"]


def print_translation(result: Translation, show_map: bool) -> None:
    print(f"{result.source} -> {result.output}")
    for alternative in result.n_best:
        print(f"\t{alternative.output}\t{alternative.score:.4f}")
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
