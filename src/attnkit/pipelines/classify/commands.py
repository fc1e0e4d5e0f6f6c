"""Text classification from the command line: ``attnkit train imdb``, ``attnkit train
classify --data FILE``, and ``attnkit eval RUN [--json]`` / ``attnkit predict RUN "text"
[--json] [--n-best K] [--include-attention] [--heads PNG]`` on their runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import numpy as np

from attnkit.data.bigrams import split_like
from attnkit.data.imdb import load_imdb_corpus
from attnkit.data.sources import resolve_data_dir
from attnkit.data.text_files import read_labelled_texts
from attnkit.engine.classification_metrics import (
    classification_scores,
    confusion_matrix,
    format_report,
)
from attnkit.errors import AttnkitError
from attnkit.files import check_writable, read_lines, write_atomically, write_text_atomically
from attnkit.pipelines.arguments import (
    add_device_arguments,
    add_run_arguments,
    command_line_text,
)
from attnkit.pipelines.classify.data import (
    EncodedDataset,
    class_ids,
)
from attnkit.pipelines.classify.predictor import TextClassifier
from attnkit.pipelines.records import (
    RecordWriter,
    add_attention_argument,
    add_format_arguments,
    add_n_best_argument,
)
from attnkit.progress import progress_bar
from attnkit.viz.heads import plot_attention_heads

__all__ = ["add_train_arguments", "add_eval_arguments", "evaluate", "add_predict_arguments",
           "predict"]

CHUNK = 1000  # texts of an --input file read and classified at once


BATCH_DEFAULT = "32 on a CPU and 256 on a GPU with torch, 16 with ONNX Runtime"


def add_train_arguments(parser: argparse.ArgumentParser, task: str) -> None:
    """`attnkit train imdb` and `attnkit train classify --data FILE` (a labelled file)."""
    add_run_arguments(parser, "imdb")
    if task == "classify":
        parser.add_argument("--data", type=Path, required=True,
                            help="training file (.csv/.tsv/.jsonl)")
        parser.add_argument("--val-data", type=Path,
                            help="validation file (default: data.validation_fraction of --data)")
        parser.add_argument("--text-col", default="text", help="text column (default: text)")
        parser.add_argument("--label-col", default="label", help="label column (default: label)")


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path,
                        help="labelled file to evaluate on (default: the IMDB test split for "
                        "IMDB runs)")
    parser.add_argument("--text-col", help="text column (default: the one trained on)")
    parser.add_argument("--label-col", help="label column (default: the one trained on)")
    parser.add_argument("--data-dir", help="IMDB data folder (default: $ATTNKIT_DATA)")
    parser.add_argument("--json", action="store_true", help="print the scores as one JSON "
                        "object instead of the report (notes go to standard error)")
    parser.epilog = ('JSON: {"data", "examples", "accuracy", "precision", "recall", "f1", '
                     '"average": "positive class" (two classes: of the second) or "macro", '
                     '"classes": [names], "confusion_matrix": [[count]] (rows: true class, '
                     'columns: predicted, in the order of "classes")}')
    add_device_arguments(parser, "auto", BATCH_DEFAULT, "texts per batch")


def evaluate(args: argparse.Namespace) -> int:
    classifier = TextClassifier.from_checkpoint(args.checkpoint, args.device)
    source = classifier_source(args.checkpoint)
    if args.data is not None:
        texts = read_labelled_texts(args.data, args.text_col or source.get("text_column", "text"),
                                    args.label_col or source.get("label_column", "label"))
        labels = np.array(class_ids(texts.labels, classifier.class_names, args.data))
        encoded = [classifier.encode_lenient(text) for text in texts.texts]
        dataset = classifier.dataset(encoded)
        where = str(args.data)
    elif source.get("kind") == "imdb":
        dataset, labels = imdb_test_sequences(classifier, resolve_data_dir(args.data_dir))
        where = "IMDB test split"
    else:
        raise AttnkitError("this run was not trained on IMDB: pass --data FILE to evaluate on")
    predictions = classifier.predict_encoded(dataset, args.batch_size, progress=True)
    guessed = np.array([classifier.class_names.index(p.label) for p in predictions])
    matrix = confusion_matrix(labels, guessed, len(classifier.class_names))
    print(f"evaluated {args.checkpoint} on {where}", file=sys.stderr if args.json else sys.stdout)
    scores = classification_scores(matrix)
    if args.json:
        average = "positive class" if len(classifier.class_names) == 2 else "macro"
        print(json.dumps({"data": where, "examples": int(matrix.sum()), **scores,
                          "average": average, "classes": classifier.class_names,
                          "confusion_matrix": matrix.tolist()}, ensure_ascii=False))
    else:
        print(format_report(scores, matrix, classifier.class_names))
    return 0


def classifier_source(checkpoint: Path) -> dict:
    from attnkit.run.checkpoint import read_header

    return read_header(checkpoint)["meta"].get("source", {})


def imdb_test_sequences(classifier: TextClassifier,
                        data_dir: Path) -> tuple[EncodedDataset, np.ndarray]:
    """The IMDB test split in the model's vocabulary (mapped word by word), with the bigram
    ids and n-gram features the model reads, and its labels."""
    corpus = load_imdb_corpus(data_dir, classifier.tokenizer, download_if_missing=True)
    lookup = np.ones(len(corpus.words) + 2, dtype=np.int64)
    lookup[0] = 0
    for rank, word in enumerate(corpus.words):
        lookup[rank + 2] = classifier.vocabulary.index.get(word, 1)
    test = corpus.splits["test"]
    sequences = test.sequences(len(lookup), classifier.max_length)
    bigrams = ngrams = None
    if classifier.bigrams is not None:
        flat = classifier.bigrams.corpus_ids(test, corpus.words)
        bigrams = split_like(flat, test, classifier.max_length)
    if classifier.ngrams is not None:
        ngrams = classifier.ngrams.features(lookup[test.ids], test.offsets)
    dataset = EncodedDataset([lookup[ids] for ids in sequences], test.labels, bigrams, ngrams)
    return dataset, test.labels


def add_predict_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("texts", nargs="*", type=command_line_text, help="texts to classify")
    parser.add_argument("--input", help="file with one text a line (`-`: standard input); read "
                        "as it comes, so it may be of any length")
    parser.add_argument("--output", type=Path, help="write --input's predictions here "
                        "(JSON lines, or as --format says)")
    parser.add_argument("--html", type=Path, help="write a page highlighting the text by "
                        "attention weight (one text)")
    parser.add_argument("--heads", type=Path, help="write a PNG of a Transformer "
                        "classifier's self-attention per layer and head, and their mean (one "
                        "text)")
    parser.add_argument("--no-color", action="store_true", help="plain text output")
    add_format_arguments(parser, None, "text (default for texts: label, probability, top "
                         "tokens and the highlighted text; TSV lines with --input, where the "
                         "default is jsonl)")
    add_n_best_argument(parser, "classes with their probabilities (K at most the number of "
                        "classes)")
    add_attention_argument(parser, "tokens and attention (a weight per token the model read: "
                           "the last ones of a long text)")
    parser.epilog = ('JSON: a list with an object per text, in order: {"input": the text, '
                     '"output": the label, "probability": that of the label, '
                     '"log_probability", "probabilities": {class: probability}, "top_tokens": '
                     '[[token, weight]] the 5 most attended}; with --n-best, "n_best": '
                     '[{"output", "probability", "log_probability"}, ...] most probable first; '
                     'with --include-attention, "tokens", "spans" and "attention" (a weight '
                     'each). A text the model cannot read is {"input", "error"} (also printed '
                     'to standard error; exit status 1). The same record as '
                     'attnkit.load(RUN).predict([text])[0].to_record() and attnkit serve.')
    add_device_arguments(parser, "auto", BATCH_DEFAULT, "texts per batch")


def predict(args: argparse.Namespace) -> int:
    """Each text's label, probabilities and attention. A text the model cannot read is
    reported (`error: ...` on stderr; with --input also as a JSON line) and the others are
    classified; the exit status is then 1. Outputs are checked before any work."""
    if bool(args.texts) == bool(args.input):
        raise AttnkitError("give either texts to classify or --input FILE (one text a line)")
    for option, value in (("--html", args.html), ("--heads", args.heads)):
        if value is not None and (args.input or len(args.texts) != 1):
            raise AttnkitError(f"{option} shows one text: give exactly one text, not --input")
    if args.output is not None and not args.input:
        raise AttnkitError("--output writes predictions for --input FILE")
    form = args.format or ("jsonl" if args.input else "text")
    if (args.html is not None or args.heads is not None) and form != "text":
        raise AttnkitError(f"--html and --heads go with the text output, not --format {form}")
    for output in (args.html, args.heads, args.output):
        if output is not None:
            check_writable(output)
    classifier = TextClassifier.from_checkpoint(args.checkpoint, args.device)
    if args.n_best is not None and args.n_best > len(classifier.class_names):
        raise AttnkitError(f"--n-best {args.n_best}: this classifier has only "
                           f"{len(classifier.class_names)} classes "
                           f"({', '.join(classifier.class_names)})")
    if args.input or form != "text":
        return predict_records(classifier, args, form)
    color = not args.no_color and sys.stdout.isatty()
    # before any output: a run without self-attention heads fails here
    heads = None if args.heads is None else classifier.self_attention(args.texts[0])
    results = classifier.predict_each(args.texts, args.batch_size, n_best=args.n_best)
    for prediction in results:
        if isinstance(prediction, AttnkitError):
            print(f"error: {prediction}", file=sys.stderr)
            continue
        print(f"label        {prediction.label}")
        print(f"probability  {prediction.probability:.4f}")
        if args.n_best:
            print("top classes  " + ", ".join(f"{name} {probability:.4f}" for name, probability
                                              in prediction.top_classes(args.n_best)))
        top = ", ".join(f"{word} {weight:.3f}" for word, weight in prediction.top_tokens())
        print(f"attends to   {top}")
        if note := prediction.near_even_note():
            print(f"note         {note}")
        print(classifier.render_terminal(prediction, color))
        if args.html is not None:
            write_text_atomically(args.html, classifier.render_html(prediction))
            print(f"wrote {args.html}")
        if heads is not None:
            plot_attention_heads(*heads, heads[1], args.heads, title="self-attention (rows "
                                 f"attend to columns), classified {prediction.label}")
            print(f"wrote {args.heads}")
    return 1 if any(isinstance(result, AttnkitError) for result in results) else 0


def predict_records(classifier: TextClassifier, args: argparse.Namespace, form: str) -> int:
    """A record per text (`Prediction.to_record`) of the command line's texts or of --input's,
    read and classified CHUNK at a time, to stdout or (atomically) to --output."""
    counts = {"texts": 0, "failed": 0}
    optional = (["n_best"] if args.n_best else []) + \
        (["tokens", "spans", "attention"] if args.include_attention else [])
    columns = ["input", "output", "probability", "log_probability", "probabilities",
               "top_tokens", *optional, "error"]

    def write_all(stream: TextIO) -> None:
        writer = RecordWriter(form, columns, ["output", "probability"], stream)
        texts = ((f"{args.input}:{number}", line) for number, line in read_lines(args.input)
                 if line.strip()) if args.input else \
            ((f"text {number}", text) for number, text in enumerate(args.texts, start=1))
        with progress_bar(unit="text", desc="classifying", shown=bool(args.input)) as bar:
            while chunk := list(itertools.islice(texts, CHUNK)):
                results = classifier.predict_each([text for _, text in chunk], args.batch_size,
                                                  where=[where for where, _ in chunk],
                                                  n_best=args.n_best)
                for (_, text), result in zip(chunk, results, strict=True):
                    counts["texts"] += 1
                    counts["failed"] += isinstance(result, AttnkitError)
                    writer.write({"input": text, "error": str(result)}
                                 if isinstance(result, AttnkitError)
                                 else result.to_record(args.include_attention))
                bar.update(len(chunk))
        if not counts["texts"]:
            raise AttnkitError(f"{args.input}: no text in the file (one text a line expected)")
        writer.close()

    if args.output is None:
        write_all(sys.stdout)
    else:
        write_atomically(args.output, lambda temporary: write_to(temporary, write_all))
        print(f"wrote {counts['texts']} predictions to {args.output}",
              file=sys.stdout if form == "text" else sys.stderr)
    return 1 if counts["failed"] else 0


def write_to(path: Path, write: Callable[[TextIO], None]) -> None:
    with path.open("w", encoding="utf-8") as stream:
        write(stream)
