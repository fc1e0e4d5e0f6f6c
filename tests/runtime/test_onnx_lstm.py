"""Masked LSTMs exported as ONNX `LSTM` nodes (`runtime.onnx_lstm`): the custom op's reference
and the ONNX node compute what `MaskedRNN` computes, gates reordered and per-row lengths kept
(the backward direction starting at each row's last token), for one and two directions."""

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from attnkit.layers.recurrent import MaskedRNN
from attnkit.runtime.exported_graphs import GraphSpec
from attnkit.runtime.onnx_lstm import LstmSequence, with_onnx_lstms

from ..unavailable import ONNX, require_module

TOLERANCE = {"atol": 1e-5, "rtol": 0.0}
LENGTHS = torch.tensor([7, 1, 4, 7, 2])


def encoder(bidirectional: bool, layers: int = 2) -> MaskedRNN:
    torch.manual_seed(3)
    module = MaskedRNN("lstm", 6, 5, num_layers=layers, bidirectional=bidirectional).eval()
    with torch.no_grad():  # biases away from 0, so that a padded step would show
        for name, parameter in module.named_parameters():
            if "bias" in name:
                parameter.uniform_(-1.0, 1.0)
    return module


def padded_inputs() -> torch.Tensor:
    torch.manual_seed(4)
    inputs = torch.randn(len(LENGTHS), int(LENGTHS.max()), 6)
    inputs[torch.arange(inputs.shape[1])[None, :] >= LENGTHS[:, None]] = 0.0
    return inputs


@pytest.mark.parametrize("bidirectional", [True, False])
def test_the_reference_op_equals_masked_rnn(bidirectional):
    module = encoder(bidirectional)
    inputs = padded_inputs()
    with torch.no_grad():
        expected, (h_n, c_n) = module(inputs, LENGTHS)
        found, (found_h, found_c) = LstmSequence(module)(inputs, LENGTHS)
    assert_close(found, expected, **TOLERANCE)
    assert_close(found_h, h_n, **TOLERANCE)
    assert_close(found_c, c_n, **TOLERANCE)


def test_swapping_leaves_the_model_and_grus_alone():
    model = nn.ModuleList([encoder(True), MaskedRNN("gru", 6, 5)])
    swapped = with_onnx_lstms(model)
    assert isinstance(swapped[0], LstmSequence) and isinstance(swapped[1], MaskedRNN)
    assert isinstance(model[0], MaskedRNN)


class Encoding(nn.Module):
    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, inputs, lengths):
        outputs, (h_n, c_n) = self.module(inputs, lengths)
        return outputs, h_n, c_n


@pytest.mark.parametrize("bidirectional", [True, False])
def test_the_onnx_graph_is_lstm_nodes_equal_to_masked_rnn(bidirectional, tmp_path):
    require_module("onnx", ONNX)
    require_module("onnxruntime", ONNX)
    from attnkit.runtime.onnx_export import onnx_model
    from attnkit.runtime.onnx_graphs import OnnxGraph

    module = encoder(bidirectional)
    example = (padded_inputs()[:3, :5].contiguous(), torch.tensor([5, 2, 4]))
    spec = GraphSpec(Encoding(module), example,
                     ("inputs", "lengths"), ("outputs", "h_n", "c_n"),
                     {"inputs": {0: "batch", 1: "length"}, "lengths": {0: "batch"}})
    model = onnx_model(spec)
    operators = [node.op_type for node in model.graph.node]
    assert operators.count("LSTM") == 2 and "Loop" not in operators
    graph = OnnxGraph(tmp_path / "lstm.onnx", model.SerializeToString())
    found = graph(inputs=padded_inputs(), lengths=LENGTHS)
    with torch.no_grad():
        expected, (h_n, c_n) = module(padded_inputs(), LENGTHS)
    assert_close(found["outputs"], expected, **TOLERANCE)
    assert_close(found["h_n"], h_n, **TOLERANCE)
    assert_close(found["c_n"], c_n, **TOLERANCE)
