"""The supervised training task on a few rendered molecules: the collator's targets line up with
the atom tokens, the loss adds each signal with its weight, and a tiny model trained with them
learns to look at the atoms it writes."""

from dataclasses import replace

import pytest
import torch

from attnkit.data.molecule_render import RenderConfig, render_smiles
from attnkit.data.smiles_tokenizer import TokenVocabulary, is_atom_token, tokenize_smiles
from attnkit.engine.sequence_loss import padded_cross_entropy
from attnkit.models.img2seq import Img2Seq, Img2SeqConfig
from attnkit.pipelines.img2seq.attention_supervision import attention_supervision_loss, cell_loss
from attnkit.pipelines.img2seq.data import ImageTokenCollator, atom_supervision
from attnkit.pipelines.img2seq.recipe import Img2SeqRecipe, SupervisionConfig
from attnkit.pipelines.img2seq.training import img2seq_training

MOLECULES = ["CC(=O)Nc1ccc(O)cc1", "Clc1ccccc1", "CCN(CC)CC", "OC(=O)c1ccncc1", "CC1CCCO1",
             "FC(F)c1ccco1", "CSc1ccccn1", "NCC(=O)O"]
# three stages: an 8 x 8 grid of 8 px cells, so that "within one cell" is a 9-cell target
MODEL = Img2SeqConfig(image_size=64, encoder_channels=(16, 32, 32), projection_size=32,
                      hidden_size=64, embedding_size=16, attention_units=32, output_size=64,
                      projection_dropout=0.0, output_dropout=0.0, cell_head=True)


def recipe(**supervision) -> Img2SeqRecipe:
    base = Img2SeqRecipe()
    return replace(base, render=RenderConfig(image_size=64, smiles_order="spatial"),
                   model=MODEL, supervision=SupervisionConfig(**supervision))


def batch_and_vocab(config: Img2SeqRecipe) -> tuple[dict, TokenVocabulary]:
    drawings = [render_smiles(text, config.render) for text in MOLECULES]
    tokens = [tokenize_smiles(d.smiles) for d in drawings]
    vocab = TokenVocabulary.build(tokens)
    collate = ImageTokenCollator(vocab.start_id, vocab.end_id, atom_supervision(vocab, config))
    return collate([(d.image, vocab.encode(t), d.atoms)
                    for d, t in zip(drawings, tokens, strict=True)]), vocab


def test_collated_positions_belong_to_the_atom_tokens():
    config = recipe(attention_weight=1.0, cell_weight=1.0)
    batch, vocab = batch_and_vocab(config)
    B, T = batch["target_out"].shape
    assert batch["atom_positions"].shape == (B, T, 2) and batch["cell_tokens"].shape == (B, 64)
    atoms = torch.tensor([[is_atom_token(vocab.tokens[i]) for i in row]
                          for row in batch["target_out"].tolist()])
    known = ~torch.isnan(batch["atom_positions"][..., 0])
    assert torch.equal(known, atoms)  # non_atom "none": exactly the atom tokens have targets
    for b, text in enumerate(MOLECULES):  # the cell under each atom names an atom drawn there
        drawing = render_smiles(text, config.render)
        drawn = [t for t in tokenize_smiles(drawing.smiles) if is_atom_token(t)]
        cells = batch["cell_tokens"][b].tolist()
        occupied = {}
        for token, (x, y) in zip(drawn, drawing.atoms, strict=True):
            row, column = (min(max(int(v // 8), 0), 7) for v in (y, x))  # edge atoms clip
            occupied.setdefault(row * 8 + column, set()).add(token)
        assert {c for c, i in enumerate(cells) if i} == set(occupied)
        assert all(vocab.tokens[cells[c]] in tokens for c, tokens in occupied.items())


def test_loss_adds_each_signal_with_its_weight():
    config = recipe(attention_weight=0.5, cell_weight=2.0)
    batch, vocab = batch_and_vocab(config)
    torch.manual_seed(0)
    model = Img2Seq(len(vocab), config.model).eval()
    task = img2seq_training(vocab, 40, config)
    loss, count = task.loss(model, batch)
    scored = model(batch["images"], batch["target_in"])
    expected = padded_cross_entropy(scored.logits, batch["target_out"]) \
        + 0.5 * attention_supervision_loss(scored.attention, batch["atom_positions"], 8, 64, 0.6) \
        + 2.0 * cell_loss(scored.cells, batch["cell_tokens"])
    assert count == len(MOLECULES)
    torch.testing.assert_close(loss, expected)
    plain, _ = img2seq_training(vocab, 40, recipe()).loss(model, batch)
    torch.testing.assert_close(plain, padded_cross_entropy(scored.logits, batch["target_out"]))



@pytest.mark.parametrize("weight, on_atom", [(1.0, 0.9), (0.0, None)])
def test_tiny_model_learns_to_look_at_the_atoms_it_writes(weight, on_atom, one_thread):
    """With supervision, after 100 steps the attention peak is within one cell of the written
    atom for nearly every atom token (1.0 when measured); without it, the same training fits the
    tokens as well but leaves attention elsewhere (0.2), so the measure is not met by chance."""
    config = recipe(attention_weight=weight, cell_weight=1.0)
    batch, vocab = batch_and_vocab(config)
    torch.manual_seed(0)
    model = Img2Seq(len(vocab), config.model)
    task = img2seq_training(vocab, 40, config)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(100):
        loss, _ = task.loss(model.train(), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        counts = task.held_out_counts(model.eval(), batch)
    share = task.held_out_metrics(counts)["attention_on_atom"]
    if on_atom is None:
        assert share < 0.5, share
    else:
        assert share >= on_atom, share
