"""What a trained image-to-sequence run should report, computed without the code that reports it:
the probability of an output by teacher forcing (no search), and molecule metrics with RDKit."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from attnkit.data.images import read_image
from attnkit.data.smiles_tokenizer import tokenize
from attnkit.pipelines.img2seq.predictor import ImageReader


def output_probability(checkpoint: str | Path, image_path: str | Path, text: str) -> float:
    """The probability the model gives `text` for the image (see `output_log_probability`)."""
    return math.exp(output_log_probability(ImageReader.from_checkpoint(checkpoint), image_path,
                                           text))


def output_log_probability(reader: ImageReader, image_path: str | Path, text: str) -> float:
    """The log-probability the model gives `text` (its tokens, then the end token) for the
    image: one teacher-forced forward pass, the log-probabilities of those tokens summed."""
    image, _ = read_image(image_path, reader.image_size, crop=reader.recipe.data.crop_to_ink)
    ids = reader.vocab.encode(tokenize(text, reader.recipe.data.tokenizer))
    target_in = torch.tensor([[reader.vocab.start_id, *ids]])
    target_out = torch.tensor([[*ids, reader.vocab.end_id]])
    with torch.no_grad():
        logits = reader.model(torch.from_numpy(image)[None], target_in).logits
    return float(logits.float().log_softmax(-1).gather(-1, target_out.unsqueeze(-1)).sum())


def morgan_tanimoto(prediction: str, reference: str) -> float:
    """Tanimoto similarity of Morgan fingerprints (radius 2, 2048 bits) with RDKit's own
    calls; 0 for a prediction RDKit cannot parse."""
    from rdkit import Chem, DataStructs, RDLogger
    from rdkit.Chem import AllChem

    RDLogger.DisableLog("rdApp.*")
    predicted, expected = Chem.MolFromSmiles(prediction), Chem.MolFromSmiles(reference)
    if predicted is None:
        return 0.0
    first, second = (AllChem.GetMorganFingerprintAsBitVect(m, 2, nBits=2048)
                     for m in (predicted, expected))
    return DataStructs.TanimotoSimilarity(first, second)
