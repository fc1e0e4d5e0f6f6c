"""What an image-to-sequence model says of one image: the `Reading`, and its JSON record."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from attnkit.data.images import Placement
from attnkit.pipelines.prediction import scored, weights


@dataclass
class AtomReading:
    """An atom token of the output and where the model read it: (x, y) in pixels of the image
    it was given (the canvas when the image is not known)."""

    token: str
    x: float
    y: float


@dataclass
class Reading:
    """One image's output: text as the model wrote it; its tokens (one per attention row);
    confidence = exp(score), the probability the model gives the whole output (end token
    included), 0 when the output ran to the length limit without ending (noise, not a
    drawing); attention (T, P) per output token over the grid of `grid_size` x `grid_size`
    cells; points (T, 2): where each token looked, in pixels of the model's canvas. Molecule
    runs (`molecules`) also give `canonical` (RDKit's canonical SMILES, None when the output
    does not parse) and `atoms`. score: the log-probability of the output (end token included
    when it ended, `finished`). `input` names the image, `placement` is where it lies on the
    model's canvas of `canvas_size` pixels; `n_best`: the best outputs of the same beam, best
    first, with the `normalized_score` the beam ranked them by."""

    text: str
    tokens: list[str]
    confidence: float
    attention: np.ndarray | None
    points: np.ndarray | None = None
    canonical: str | None = None
    atoms: list[AtomReading] = field(default_factory=list)
    score: float | None = None
    finished: bool = True
    input: str | None = None
    placement: Placement | None = None
    grid_size: int = 0
    canvas_size: int = 0
    molecules: bool = False
    normalized_score: float | None = None
    n_best: list[Reading] = field(default_factory=list)
    calibrated: float | None = None  # the chance it is right (`img2seq.calibration`), if fitted
    flagged: bool | None = None  # calibrated below the model's `decode.flag_below`
    read_by: str | None = None  # with a fallback reader: "attnkit", or "osra" (`img2seq.osra`)
    model_output: str | None = None  # the model's own output, when another reader's replaced it

    @property
    def valid(self) -> bool:
        return self.canonical is not None

    def summary(self) -> dict[str, Any]:
        """{"output", "probability", "log_probability"} and, for molecules,
        "canonical_smiles" and "valid"; for a calibrated model "confidence" (the chance it is
        right) and "flagged" (below the model's threshold); with a fallback reader,
        "read_by" and, when the fallback's answer replaced the model's, "model_output" (and no
        probability or confidence: the fallback gives none)."""
        found = scored(self.text, self.score if self.finished else None)
        if self.molecules:
            found.update(canonical_smiles=self.canonical, valid=self.valid)
        if self.calibrated is not None or self.flagged:
            found.update(confidence=None if self.calibrated is None else
                         round(self.calibrated, 6), flagged=bool(self.flagged))
        if self.read_by is not None:
            found["read_by"] = self.read_by
        if self.model_output is not None:
            found.update(probability=None, model_output=self.model_output)
        return found

    def read_by_fallback(self, reader: str, smiles: str) -> Reading:
        """This flagged reading replaced by another reader's canonical `smiles`: the model's
        output kept as `model_output`; no score, confidence, attention or atoms."""
        return Reading(smiles, [], 0.0, None, canonical=smiles, score=None, input=self.input,
                       placement=self.placement, grid_size=self.grid_size,
                       canvas_size=self.canvas_size, molecules=True, flagged=True,
                       read_by=reader, model_output=self.text)

    def to_record(self, include_attention: bool = False) -> dict[str, Any]:
        """{"input", "output", "probability", "log_probability"}, for molecules also
        "canonical_smiles", "valid" and "atoms" ([{"token", "x", "y"}] in pixels of the image
        given); "n_best": [{... "normalized_score"}] best first; with attention,
        "output_tokens" (its rows), "attention" (T x P over the grid, row by row),
        "grid_size", "points" (T x 2: where each token looked, canvas pixels) and "canvas"
        (the model's square canvas: "size", and where the image lies on it)."""
        record = {"input": self.input, **self.summary()}
        if self.molecules:
            record["atoms"] = [asdict(atom) for atom in self.atoms]
        if self.n_best:
            record["n_best"] = [{**other.summary(),
                                 "normalized_score": round(other.normalized_score, 6)}
                                for other in self.n_best]
        if include_attention:
            record.update(output_tokens=list(self.tokens), attention=weights(self.attention),
                          grid_size=self.grid_size,
                          points=None if self.points is None else
                          np.round(self.points, 1).tolist(),
                          canvas=None if self.placement is None else
                          {"size": self.canvas_size, **asdict(self.placement)})
        return record
