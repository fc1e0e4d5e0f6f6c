"""OSRA (Debian `osra`, rule-based) as a second reader of the drawings the model flags as unsure.

The model's calibrated confidence tells its right readings from its wrong ones (AUROC
0.86-0.99), and OSRA reads other toolkits' plain drawings that the model misses, so the two are
complementary: with `fallback="osra"` (`attnkit predict/eval molecules --fallback osra`), every
reading the model flags (confidence below its `decode.flag_below`) is also read by OSRA, and
OSRA's answer replaces it when OSRA finds a molecule RDKit parses. The record then says
`"read_by": "osra"`, keeps the model's own output as `"model_output"`, and has no probability,
confidence, attention or atom positions (OSRA gives none).

Chosen on validation drawings: 300 of the shipped reader's validation molecules (molecules
training never saw) in each of six styles (`bench/molecule_styles.py --source val`, then
`bench/molecule_fallback.py`), exact match of the model alone -> with OSRA on its flagged
readings (OSRA alone): Open Babel 19.3 -> 39.0 % (35.0), CDK 13.3 -> 20.3 % (14.7), scan-like
CDK 6.3 -> 10.3 % (6.0), Indigo 29.7 -> 42.3 % (35.3), RDKit 512 px 34.3 -> 68.7 % (71.3), RDKit
256 px 34.0 -> 38.3 % (17.3); mean 22.8 -> 36.5 %. The model's own flag (0.5) was kept: 0.3 and
0.8 gave 35.6 and 35.4 %; also asking for OSRA's own confidence (`osra -p`) or a smallest image
size never raised the mean.

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
    return molfile_smiles(result.stdout) if result.stdout.strip() else None


def osra_readings(drawings: Sequence[Callable[[], np.ndarray]], workers: int = 2,
                  timeout: float = OSRA_TIMEOUT) -> list[str | None]:
    """`osra_smiles` of each drawing (each given by a function that loads its picture, so only
    `workers` are in memory at once), `workers` OSRA processes at a time, in order."""
    check_osra()
    with ThreadPoolExecutor(max(1, workers)) as pool:
        return list(pool.map(lambda drawing: osra_smiles(drawing(), timeout), drawings))
