"""OSRA (Debian `osra`, rule-based) as a second reader of the drawings the model flags as unsure.

The model's calibrated confidence tells its right readings from its wrong ones (AUROC
0.86-0.99), and OSRA reads other toolkits' plain drawings that the model misses, so the two are
complementary: with `fallback="osra"` (`attnkit predict/eval molecules --fallback osra`), every
reading the model flags (confidence below its `decode.flag_below`) is also read by OSRA, and
OSRA's answer replaces it when OSRA finds a molecule that RDKit reads and sanitises. The record
then says `"read_by": "osra"`, keeps the model's own output as `"model_output"`, and has no
probability, confidence, attention or atom positions (OSRA gives none).

Chosen on validation drawings: 300 of the shipped reader's validation molecules (molecules
training never saw) in each of six styles (`bench/molecule_styles.py --source val`, then
`bench/molecule_fallback.py`), mean exact match over the six: the model alone 22.8 %, OSRA alone
33.3 %; the model with OSRA's molecule in place of its flagged readings 36.5 % (OSRA's SMILES,
one with an unnamed `*` atom refused), 36.6 % (OSRA's molfile, sanitised by RDKit: the same but
for two misreadings with an atom over its valence, now refused, and an N-H drawn as an atom,
which no longer invents a C=N geometry), 38.7 % (and OSRA run with `--jaggy`: Open Babel 41.7,
CDK 22.0, scan-like CDK 11.0, Indigo 55.3, RDKit 512 px 64.7, RDKit 256 px 37.7 %). Also tried
and dropped: the model's flag at 0.2-0.8 instead of 0.5 (with the molfile: at most the same),
OSRA's `--adaptive`, `--unpaper 1`, `-r 150` and `-r 300` (all below its default), `--jaggy`
only on drawings over 512 px (+0.3 point, not worth a second setting), and keeping OSRA's
molecule only when the model finds it likely enough (its teacher-forced log-probability, with
OSRA's atoms in the model's spatial order: at most +0.3 point); earlier, OSRA's own confidence
(`osra -p`) and a smallest image size.

Only pixels reach OSRA: the image is decoded here (`data.images`, Pillow's plain formats) and
written as a fresh PNG in its own colours (grey would make coloured labels faint), so a user's
file never reaches OSRA's own decoders (which would hand PostScript to Ghostscript). Each run
has a time limit; one that fails or runs out keeps the model's reading.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from attnkit.data.chem import molfile_smiles
from attnkit.errors import AttnkitError

FALLBACKS = ("osra",)
OSRA_TIMEOUT = 30.0  # seconds per image; OSRA reads most drawings in well under a second
# OSRA's extra thinning and scaling down of low-quality documents (`--jaggy`): chosen on the
# validation drawings (module docstring)
OSRA_OPTIONS = ("--jaggy",)


def check_osra() -> None:
    """An AttnkitError unless the `osra` program is installed."""
    if shutil.which("osra") is None:
        raise AttnkitError("--fallback osra needs the osra program (Debian/Ubuntu: apt-get "
                           "install osra)")


def osra_smiles(picture: np.ndarray, timeout: float = OSRA_TIMEOUT) -> str | None:
    """picture (H, W) gray or (H, W, 3) RGB uint8, a drawing at its own size (`data.images.
    own_size_picture`) -> OSRA's first molecule, read from its molfile, as RDKit canonical
    SMILES (`data.chem.molfile_smiles`); None when there is none RDKit reads and sanitises as
    drawn, one has atoms OSRA could not name, or OSRA fails or runs past `timeout` seconds."""
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="attnkit-osra-") as folder:
        path = Path(folder) / "drawing.png"
        Image.fromarray(np.ascontiguousarray(picture, dtype=np.uint8)).save(path)
        try:
            result = subprocess.run(["osra", *OSRA_OPTIONS, "--format", "sdf", "--", str(path)],
                                    capture_output=True, text=True, timeout=timeout,
                                    stdin=subprocess.DEVNULL, check=False)
        except (subprocess.TimeoutExpired, OSError):
            return None
    return molfile_smiles(result.stdout)


def osra_readings(drawings: Sequence[Callable[[], np.ndarray]], workers: int = 2,
                  timeout: float = OSRA_TIMEOUT) -> list[str | None]:
    """`osra_smiles` of each drawing (each given by a function that loads its picture, so only
    `workers` are in memory at once), `workers` OSRA processes at a time, in order."""
    check_osra()
    with ThreadPoolExecutor(max(1, workers)) as pool:
        return list(pool.map(lambda drawing: osra_smiles(drawing(), timeout), drawings))
