"""A scorer that knows nothing, searched through the SMILES grammar, writes only SMILES that
RDKit reads; without the grammar it does not."""

import torch
from rdkit import Chem, RDLogger

from attnkit.data.smiles_grammar import SmilesGrammar
from attnkit.data.smiles_tokenizer import TokenVocabulary, tokenize_smiles
from attnkit.decoding import GrammarDecoder, SearchConfig, search

RDLogger.DisableLog("rdApp.*")
TRAINING = ["CC(=O)OC1=CC=CC=C1C(=O)O", "C[C@H](N)C(=O)[O-].[Na+]", "O=[N+]([O-])C1=CC=CC=C1",
            "C1CC2CCC1C2", "F/C=C/Cl", "N#CC1=CC=C(Br)C=C1", "OB(O)C1=CSC=C1"]


class RandomScorer:
    """A StepDecoder with seeded random log-probabilities (the end token made likelier by
    `end_bias`, so that searches finish): a model that has learnt nothing."""

    def __init__(self, vocab_size: int, end_id: int, end_bias: float, seed: int) -> None:
        self.vocab_size, self.end_id, self.end_bias = vocab_size, end_id, end_bias
        self.generator = torch.Generator().manual_seed(seed)

    def encode(self, source, source_lengths):
        return source

    def initial_state(self, memory):
        return torch.zeros(memory.shape[0])

    def decode_step(self, tokens, state, memory):
        logits = 3 * torch.randn(tokens.shape[0], self.vocab_size, generator=self.generator)
        logits[:, self.end_id] += self.end_bias
        return torch.log_softmax(logits, dim=1), state + 1, None

    def select_state(self, state, indices):
        return state[indices]

    def select_memory(self, memory, indices):
        return memory[indices]


def test_every_search_writes_smiles_rdkit_reads():
    vocab = TokenVocabulary.build(tokenize_smiles(text) for text in TRAINING)
    sources, lengths = torch.zeros(40, 1), torch.ones(40, dtype=torch.long)
    grammar = SmilesGrammar(vocab.tokens, vocab.end_id)
    for beam in (1, 3):
        scorer = RandomScorer(len(vocab), vocab.end_id, 3.0, seed=beam)
        found = search(GrammarDecoder(scorer, grammar, vocab.end_id), sources, lengths,
                       vocab.start_id, vocab.end_id, 60, SearchConfig(beam_width=beam))
        texts = [vocab.decode(h.tokens) for h in found if h.finished]
        assert len(texts) >= 20 and len({len(text) for text in texts}) >= 5
        assert all(text and Chem.MolFromSmiles(text, sanitize=False) for text in texts), texts
    free = search(RandomScorer(len(vocab), vocab.end_id, 3.0, seed=0), sources, lengths,
                  vocab.start_id, vocab.end_id, 60, SearchConfig())
    texts = [vocab.decode(h.tokens) for h in free if h.finished]
    assert sum(bool(text and Chem.MolFromSmiles(text, sanitize=False)) for text in texts) < \
        len(texts) / 2
