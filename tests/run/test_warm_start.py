"""train.init_from: weights copied by name and shape, token rows by token, the rest fresh."""

import pytest
import torch
from torch import nn

from attnkit.errors import AttnkitError
from attnkit.run.checkpoint import Checkpoint
from attnkit.run.warm_start import warm_start


class Reader(nn.Module):
    def __init__(self, vocab_size: int, hidden: int = 4) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, 3)
        self.cell = nn.Linear(3, hidden)
        self.output = nn.Linear(hidden, vocab_size)


def saved(model: nn.Module) -> Checkpoint:
    state = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    return Checkpoint({"meta": {}}, state, None, {}, None)


def test_shared_tokens_keep_their_rows_and_new_tokens_stay_fresh():
    torch.manual_seed(0)
    earlier_tokens = ["<pad>", "C", "N"]
    tokens = ["<pad>", "N", "O", "C"]
    earlier = Reader(3)
    model = Reader(4)
    fresh_o = model.embedding.weight[2].clone()
    report = warm_start(model, saved(earlier), tokens, earlier_tokens)
    assert report.shared_tokens == 3
    assert set(report.copied) == {"cell.weight", "cell.bias"}
    assert set(report.by_token) == {"embedding.weight", "output.weight", "output.bias"}
    for new, old in ((0, 0), (1, 2), (3, 1)):
        assert torch.equal(model.embedding.weight[new], earlier.embedding.weight[old])
        assert torch.equal(model.output.weight[new], earlier.output.weight[old])
        assert model.output.bias[new] == earlier.output.bias[old]
    assert torch.equal(model.embedding.weight[2], fresh_o)
    assert torch.equal(model.cell.weight, earlier.cell.weight)


def test_a_tensor_of_another_shape_stays_fresh():
    torch.manual_seed(0)
    model = Reader(3, hidden=5)
    before = model.cell.weight.clone()
    report = warm_start(model, saved(Reader(3, hidden=4)), ["a", "b", "c"], ["a", "b", "c"])
    assert "cell.weight" in report.fresh and torch.equal(model.cell.weight, before)
    assert "embedding.weight" in report.copied


def test_nothing_in_common_is_an_error():
    other = Checkpoint({"meta": {}}, {"x.weight": torch.zeros(2)}, None, {}, None)
    with pytest.raises(AttnkitError, match="none of its tensors fits"):
        warm_start(Reader(3), other, ["a", "b", "c"], ["a"])
