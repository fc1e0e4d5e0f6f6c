"""The SMILES grammar against RDKit as the oracle: every prefix of real SMILES is allowed, and
what the grammar lets a random walk write, RDKit reads."""

import random

import pytest
from rdkit import Chem, RDLogger

from attnkit.data.hiv import read_hiv_file
from attnkit.data.molecule_checks import depiction_target
from attnkit.data.moses import load_moses
from attnkit.data.smiles_grammar import SmilesGrammar
from attnkit.data.smiles_tokenizer import TokenVocabulary, tokenize_smiles

from ..shared_data import data_dir, needs_data

RDLogger.DisableLog("rdApp.*")
HAND_MADE = ["CCO", "C1=CC=CC=C1", "CC(=O)[O-].[Na+]", "C[C@H](N)C(=O)O", "F/C=C/Cl",
             "C1CC2CCC1C2", "C%10CCCCC%10", "O=[N+]([O-])C1=CC=C(I)C=C1", "C#N", "N#CC(C#N)=O",
             "OB(O)C1=CC=CC=C1", "C[Si](C)(C)OC", "OP(=O)(O)O", "c1ccc2[nH]ccc2c1", "S(=O)(=O)=O",
             "C=1CCCCC=1", "C1CC1(C)C", "[2H]C([2H])[2H]", "CC.Cl", "IC(I)(I)I", "BrBr"]
VOCAB = TokenVocabulary.build(tokenize_smiles(text) for text in HAND_MADE)


def ids(text: str) -> tuple[int, ...]:
    return tuple(VOCAB.encode(tokenize_smiles(text)))


def names(allowed) -> set[str]:
    return {VOCAB.tokens[i] for i in allowed}


@pytest.fixture(scope="module")
def grammar() -> SmilesGrammar:
    return SmilesGrammar(VOCAB.tokens, VOCAB.end_id)


def test_hand_made_smiles_are_allowed_throughout(grammar):
    for text in HAND_MADE:
        assert_allowed(grammar, VOCAB, tokenize_smiles(text))


def assert_allowed(grammar, vocab, tokens):
    prefix = ()
    for token in [*tokens, ">"]:
        allowed = grammar(prefix)
        assert vocab.index[token] in allowed, f"{''.join(tokens)}: {token!r} after {prefix}"
        prefix += (vocab.index[token],)


@pytest.mark.parametrize("prefix, allowed, forbidden", [
    ("", {"C", "[Na+]", "c"}, {"(", ")", "=", "1", ".", ">"}),
    ("C", {"C", "=", "(", "1", ".", ">"}, {")"}),
    ("C(", {"C", "="}, {")", "(", "1", ".", ">"}),
    ("C(C", {")", "C", "1"}, {".", ">"}),
    ("C=", {"C", "O", "N"}, {"=", "(", ")", ".", ">", "F", "Cl"}),
    ("C1", {"C", "2"}, {"1", ".", ">"}),  # C11 would bond the atom to itself
    ("C1C", {"C", "2"}, {"1", ">"}),  # closing would bond two bonded atoms twice
    ("C1CC", {"1", "C"}, {".", ">"}),
    ("CC.", {"C", "[Na+]"}, {".", ">", "=", "("}),
    ("CC(C)(C)(C)", {".", ">"}, {"C", "(", "=", "1", ")"}),  # a saturated carbon: the end
    ("C#N", {".", ">"}, {"C", "=", "(", "1"}),
    ("O=C=", {"O", "C", "I"}, {"F", "Cl", "Br"}),  # RDKit's iodine takes 1, 3 or 5 bonds
    ("CF", {".", ">"}, {"C", "(", "1"}),
    ("C1CCC(F", {")"}, {"C", ">", "1"}),
])
def test_rules(grammar, prefix, allowed, forbidden):
    found = names(grammar(ids(prefix)))
    assert allowed <= found and not forbidden & found, found
    assert (">" in found) == grammar.complete(ids(prefix))


def test_prefixes_outside_the_grammar_allow_nothing(grammar):
    assert grammar(ids("C)")) == () and grammar((VOCAB.start_id,)) == ()
    assert grammar(ids("C1CC1(") + ids(")")) == ()


def test_without_valence_only_syntax_counts():
    free = SmilesGrammar(VOCAB.tokens, VOCAB.end_id, valence=False)
    assert {"C", "("} <= names(free(ids("C(C)(C)(C)(C)")))


def random_walks(grammar, vocab, count, seed):
    """SMILES a random walk writes through the grammar; walks longer than 150 tokens are
    dropped. Past 30 tokens, half the steps close something (a branch, a ring, the SMILES)."""
    rng = random.Random(seed)
    written, dropped = [], 0
    for _ in range(count):
        prefix = ()
        while len(prefix) <= 150:
            allowed = grammar(prefix)
            assert allowed, f"dead end after {vocab.decode(prefix)!r}"
            if vocab.end_id in allowed and rng.random() < 0.1:
                break
            choices = [i for i in allowed if i != vocab.end_id] or [vocab.end_id]
            open_rings = {label for label, _, _ in grammar.state(prefix).rings}
            closing = [i for i in choices if vocab.tokens[i] == ")" or
                       vocab.tokens[i].lstrip("%").isdigit() and
                       int(vocab.tokens[i].lstrip("%")) in open_rings]
            if len(prefix) > 30 and rng.random() < 0.5:
                if vocab.end_id in allowed:
                    break
                choices = closing or choices
            token = rng.choice(choices)
            if token == vocab.end_id:
                break
            prefix += (token,)
        if len(prefix) > 150:
            dropped += 1
        else:
            written.append(vocab.decode(prefix))
    return written, dropped


def test_random_walks_write_smiles_rdkit_reads(grammar):
    written, dropped = random_walks(grammar, VOCAB, 500, seed=0)
    assert dropped < 50
    assert all(Chem.MolFromSmiles(text, sanitize=False) is not None for text in written)


@needs_data("hiv", "hiv_smiles.csv")
@needs_data("moses", "train.csv.gz")
def test_real_smiles_and_random_walks_against_rdkit():
    sample = random.Random(0)
    texts = sample.sample(read_hiv_file(data_dir()), 1000) + \
        sample.sample(load_moses("train", data_dir(), limit=50000), 1000)
    molecules = [molecule for text in texts if (molecule := Chem.MolFromSmiles(text))]
    targets = [depiction_target(molecule) for molecule in molecules
               if "->" not in Chem.MolToSmiles(molecule)]
    assert len(targets) >= 1990
    tokens = [tokenize_smiles(text) for text in targets]
    vocab = TokenVocabulary.build(tokens)
    grammar = SmilesGrammar(vocab.tokens, vocab.end_id)
    for row in tokens:
        assert_allowed(grammar, vocab, row)
    written, dropped = random_walks(grammar, vocab, 2000, seed=1)
    read = sum(Chem.MolFromSmiles(text, sanitize=False) is not None for text in written)
    assert dropped < 200 and read >= 0.99 * len(written)
