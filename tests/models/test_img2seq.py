import numpy as np
import pytest
import torch

from attnkit.data.molecule_render import RenderConfig, render_smiles
from attnkit.data.smiles_tokenizer import TokenVocabulary, tokenize_smiles
from attnkit.decoding import greedy_search
from attnkit.models.img2seq import Img2Seq, Img2SeqConfig
from attnkit.pipelines.img2seq.data import ImageTokenCollator

SMALL = dict(image_size=64, encoder_channels=(8, 16, 16, 16), projection_size=24,
             embedding_size=8, hidden_size=20, attention_units=12, output_size=16)
MOLECULES = ["CCO", "c1ccccc1", "CC(=O)Nc1ccc(O)cc1", "ClCCBr", "CN1CCCC1c1cccnc1",
             "O=C(O)c1ccccc1O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "C1CCNCC1", "COc1ccccc1",
             "Cc1ccccc1", "OCC(O)CO", "CC(=O)OCC", "NC(=O)c1ccccc1", "c1ccc2ccccc2c1",
             "CCN(CC)CC", "O=C1CCCCC1"]


@pytest.fixture(autouse=True)
def _single_thread(one_thread):
    yield


def images(count: int, size: int = 64) -> torch.Tensor:
    return torch.randint(0, 256, (count, size, size), dtype=torch.uint8)


@pytest.mark.parametrize("rnn, attention", [("gru", "additive"), ("lstm", "additive"),
                                            ("gru", "general")])
def test_shapes_and_attention_over_the_grid_sums_to_one(rnn, attention):
    torch.manual_seed(0)
    model = Img2Seq(11, Img2SeqConfig(rnn=rnn, attention=attention, **SMALL)).eval()
    assert model.positions == 16  # 64 px through 4 stride-2 stages: 4 x 4
    scored = model(images(3), torch.randint(0, 11, (3, 5)))
    assert scored.logits.shape == (3, 5, 11) and scored.cells is None
    assert scored.attention.shape == (3, 5, 16)
    assert torch.allclose(scored.attention.sum(-1), torch.ones(3, 5))
    memory = model.encode(images(3))
    log_probs, state, weights = model.decode_step(torch.tensor([2, 2, 2]),
                                                  model.initial_state(memory), memory)
    assert log_probs.shape == (3, 11) and weights.shape == (3, 16)
    assert torch.allclose(weights.sum(-1), torch.ones(3)) and (weights >= 0).all()
    assert len(state) == (1 if rnn == "gru" else 2)


def test_precomputed_keys_match_the_attention_module():
    torch.manual_seed(0)
    model = Img2Seq(11, Img2SeqConfig(**SMALL)).eval()
    memory = model.encode(images(4))
    query = torch.randn(4, SMALL["hidden_size"])
    fast = model.attend(query, memory)
    readable = model.attention(query, memory.features)
    for got, expected in zip(fast, readable, strict=True):
        torch.testing.assert_close(got, expected)


def test_step_by_step_decoding_matches_teacher_forcing():
    torch.manual_seed(0)
    model = Img2Seq(11, Img2SeqConfig(**SMALL)).eval()
    pictures, tokens = images(2), torch.randint(0, 11, (2, 6))
    scored = model(pictures, tokens)
    memory = model.encode(pictures)
    state = model.initial_state(memory)
    for t in range(6):
        log_probs, state, weights = model.decode_step(tokens[:, t], state, memory)
        torch.testing.assert_close(log_probs, torch.log_softmax(scored.logits[:, t], -1))
        torch.testing.assert_close(weights, scored.attention[:, t])


def test_tiny_overfit_reads_a_few_dozen_rendered_molecules():
    torch.manual_seed(0)
    config = RenderConfig(image_size=64)
    pictures = np.stack([render_smiles(text, config).image for text in MOLECULES])
    tokens = [tokenize_smiles(text) for text in MOLECULES]
    vocab = TokenVocabulary.build(tokens)
    batch = ImageTokenCollator(vocab.start_id, vocab.end_id)(
        [(pictures[i], vocab.encode(tokens[i]), None) for i in range(len(MOLECULES))])
    model = Img2Seq(len(vocab), Img2SeqConfig(
        image_size=64, encoder_channels=(16, 32, 32, 32), projection_size=64, hidden_size=128,
        embedding_size=32, attention_units=64, output_size=128, projection_dropout=0.0,
        output_dropout=0.0))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    lengths = torch.full((len(MOLECULES),), model.positions)
    for step in range(1, 201):
        model.train()
        logits = model(batch["images"], batch["target_in"]).logits
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1),
                                                 batch["target_out"].flatten(), ignore_index=0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 25 == 0:
            found = greedy_search(model.eval(), batch["images"], lengths, vocab.start_id,
                                  vocab.end_id, 30)
            outputs = [vocab.decode(h.tokens) for h in found]
            if outputs == MOLECULES:
                break
    assert outputs == MOLECULES, f"after {step} steps: {outputs}"
