"""The CNN grid with a Transformer decoder: `Img2Seq`'s teacher-forced return and search
interface, attention over the grid that supervised attention can train, the cache equal to the
teacher-forced pass, and a tiny overfit on rendered molecules."""

import numpy as np
import pytest
import torch

from attnkit.data.molecule_render import RenderConfig, render_smiles
from attnkit.data.smiles_tokenizer import TokenVocabulary, tokenize_smiles
from attnkit.decoding import beam_search, greedy_search
from attnkit.models.img2seq_transformer import Img2SeqTransformer, Img2SeqTransformerConfig
from attnkit.pipelines.img2seq.data import ImageTokenCollator

from .test_img2seq import MOLECULES

SMALL = dict(image_size=64, encoder_channels=(8, 16, 16, 16), model_size=16, heads=2,
             ff_size=24, decoder_layers=2, dropout=0.0, projection_dropout=0.0)


@pytest.fixture(autouse=True)
def _single_thread(one_thread):
    yield


def images(count: int, size: int = 64) -> torch.Tensor:
    return torch.randint(0, 256, (count, size, size), dtype=torch.uint8)


def test_teacher_forced_return_is_img2seqs_and_the_attention_can_be_trained():
    torch.manual_seed(0)
    model = Img2SeqTransformer(11, Img2SeqTransformerConfig(**SMALL, cell_head=True))
    assert model.positions == 16
    scored = model(images(3), torch.randint(0, 11, (3, 5)))
    assert scored.logits.shape == (3, 5, 11) and scored.cells.shape == (3, 16, 11)
    assert scored.attention.shape == (3, 5, 16)
    torch.testing.assert_close(scored.attention.sum(-1), torch.ones(3, 5))
    scored.attention[:, :, 0].sum().backward()  # supervised attention reaches the decoder
    assert model.decoder.layers[-1].cross_attention.query_layer.weight.grad.abs().sum() > 0
    self_weights, cross = model.eval().attention(images(3), torch.randint(0, 11, (3, 5)))
    assert self_weights.shape == (3, 2, 2, 5, 5) and cross.shape == (3, 2, 2, 5, 16)


def test_step_by_step_decoding_matches_teacher_forcing():
    torch.manual_seed(0)
    model = Img2SeqTransformer(11, Img2SeqTransformerConfig(**SMALL)).eval()
    pictures, tokens = images(2), torch.randint(0, 11, (2, 6))
    scored = model(pictures, tokens)
    memory = model.encode(pictures)
    state = model.initial_state(memory)
    for t in range(6):
        log_probs, state, weights = model.decode_step(tokens[:, t], state, memory)
        torch.testing.assert_close(log_probs, torch.log_softmax(scored.logits[:, t], -1))
        torch.testing.assert_close(weights, scored.attention[:, t])


def test_bad_configs_fail_at_construction():
    with pytest.raises(ValueError, match="divisible"):
        Img2SeqTransformerConfig(**{**SMALL, "heads": 3})
    with pytest.raises(ValueError, match="too small"):
        Img2SeqTransformerConfig(**{**SMALL, "image_size": 8})


def test_tiny_overfit_reads_a_few_dozen_rendered_molecules():
    torch.manual_seed(0)
    config = RenderConfig(image_size=64)
    pictures = np.stack([render_smiles(text, config).image for text in MOLECULES])
    tokens = [tokenize_smiles(text) for text in MOLECULES]
    vocab = TokenVocabulary.build(tokens)
    batch = ImageTokenCollator(vocab.start_id, vocab.end_id)(
        [(pictures[i], vocab.encode(tokens[i]), None) for i in range(len(MOLECULES))])
    model = Img2SeqTransformer(len(vocab), Img2SeqTransformerConfig(
        image_size=64, encoder_channels=(8, 16, 16, 16), model_size=32, heads=4, ff_size=64,
        decoder_layers=1, dropout=0.0, projection_dropout=0.0, max_positions=32))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    lengths = torch.full((len(MOLECULES),), model.positions)
    for step in range(1, 401):  # 175 steps when written
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
    found = beam_search(model, batch["images"], lengths, vocab.start_id, vocab.end_id, 30, 3)
    assert [vocab.decode(h.tokens) for h in found] == MOLECULES
