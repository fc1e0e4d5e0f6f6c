"""`torch.export` traces every model, with the batch and the sequence length left variable: the
exported program computes what the model computes on shapes it was not traced with. The ONNX
tests of the pipelines export the stacked classifier, the attention and peeky seq2seq models
and an LSTM image reader through the same `export_program`; these add bigrams, a learned query
and mean-max pooling, two bidirectional encoder layers with additive attention, and a GRU
reader with dot attention."""

import torch
from torch.testing import assert_close

from attnkit.models.classifier import AttentionClassifier, ClassifierConfig
from attnkit.models.img2seq import Img2Seq, Img2SeqConfig
from attnkit.models.seq2seq import Seq2seqConfig, build_seq2seq
from attnkit.pipelines.classify.export import ClassifierGraph
from attnkit.pipelines.img2seq.export import interface as image_interface
from attnkit.pipelines.seq2seq.export import LENGTH, STATE_AXES
from attnkit.pipelines.seq2seq.export import interface as seq2seq_interface
from attnkit.runtime.exported_graphs import GraphSpec, export_program, step_graphs

from .tiny_img2seq import SMALL


def padded(batch: int, length: int, vocab: int, lengths: list[int]) -> tuple:
    lengths = torch.tensor(lengths)
    tokens = torch.randint(1, vocab, (batch, length)) * (torch.arange(length) < lengths[:, None])
    return tokens, lengths


def assert_exported_equal(spec: GraphSpec, *other_inputs: tuple) -> None:
    program = export_program(spec).module()
    for inputs in other_inputs:
        with torch.no_grad():
            for found, expected in zip(program(*inputs), spec.module(*inputs), strict=True):
                assert_close(found, expected, atol=1e-6, rtol=0.0)


def test_a_classifier_with_bigrams_learned_query_and_mean_max_exports():
    torch.manual_seed(0)
    model = AttentionClassifier(ClassifierConfig(
        vocab_size=30, embedding_size=6, hidden_size=5, attention_units=4, dense_size=3,
        num_classes=3, bigram_vocab_size=12, query="learned", pooling="attention_mean_max"))
    names = ("tokens", "lengths", "bigrams")
    axes = {"tokens": {0: "batch", 1: "length"}, "lengths": {0: "batch"},
            "bigrams": {0: "batch", 1: "length"}}
    tokens, lengths = padded(3, 6, 30, [6, 2, 4])
    spec = GraphSpec(ClassifierGraph(model.eval(), names), (tokens, lengths, tokens % 12), names,
                     ("logits", "probabilities", "weights"), axes)
    longer, longer_lengths = padded(5, 11, 30, [1, 11, 7, 3, 11])
    assert_exported_equal(spec, (longer, longer_lengths, longer % 12))


def test_a_two_layer_bidirectional_seq2seq_with_additive_attention_exports():
    torch.manual_seed(0)
    model = build_seq2seq(11, Seq2seqConfig(kind="attention", embedding_size=4, hidden_size=8,
                                            num_layers=2, bidirectional=True,
                                            attention="additive", attention_units=5)).eval()
    source, lengths = padded(3, 5, 11, [5, 2, 4])
    graphs = step_graphs(model, source, lengths, seq2seq_interface(True), LENGTH,
                         {"outputs": LENGTH, "mask": LENGTH, **STATE_AXES})
    longer, longer_lengths = padded(4, 9, 11, [9, 1, 3, 8])
    assert_exported_equal(graphs["encoder"], (longer, longer_lengths))
    with torch.no_grad():
        memory = model.encode(longer, longer_lengths)
        state = model.initial_state(memory)
    assert_exported_equal(graphs["step"], (torch.tensor([1, 2, 3, 4]), *state, *memory))


def test_an_image_reader_with_dot_attention_exports():
    torch.manual_seed(0)
    config = Img2SeqConfig(**{**SMALL, "attention": "dot", "attention_units": 8})
    model = Img2Seq(9, config).eval()
    images = torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
    batch = {0: "batch"}
    graphs = step_graphs(model, images, torch.full((3,), model.positions),
                         image_interface("gru"), batch,
                         {name: batch for name in ("features", "keys", "hidden")})
    more = torch.randint(0, 256, (5, 32, 32), dtype=torch.uint8)
    assert_exported_equal(graphs["encoder"], (more, torch.full((5,), model.positions)))
    with torch.no_grad():
        memory = model.encode(more)
        state = model.initial_state(memory)
    assert_exported_equal(graphs["step"], (torch.tensor([1, 2, 3, 4, 5]), *state, *memory))
