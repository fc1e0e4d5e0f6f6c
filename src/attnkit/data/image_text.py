"""User data for any image-to-text task: a folder of images and a CSV of `file,target` rows.

`file` is relative to the image folder (by default the CSV's folder). Problems name the CSV
line: a missing column (with the columns found), an empty target, a missing image. For molecule
data, targets RDKit cannot parse are either skipped with a count (`invalid="skip"`, the
default: one bad row should not sink a large data set) or rejected (`invalid="reject"`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from attnkit.data.chem import canonical_smiles
from attnkit.data.images import load_placed_image
from attnkit.errors import AttnkitError
from attnkit.files import read_text


@dataclass(frozen=True)
class ImageTextRow:
    """One CSV row: the image path, its target text and the CSV line it came from."""

    image: Path
    target: str
    line: int


def read_image_table(csv_path: str | Path, image_dir: str | Path | None = None) -> \
        list[ImageTextRow]:
    """Rows of a `file,target` CSV whose images exist under `image_dir` (default: its folder)."""
    csv_path = Path(csv_path)
    folder = Path(image_dir) if image_dir is not None else csv_path.parent
    reader = csv.DictReader(io.StringIO(read_text(csv_path), newline=""))
    try:
        columns = reader.fieldnames or []
        if "file" not in columns or "target" not in columns:
            raise AttnkitError(f"{csv_path} line 1: needs the columns 'file' and 'target', "
                               f"found {columns}")
        rows = [row_of(record, folder, csv_path, reader.line_num) for record in reader]
    except csv.Error as error:
        raise AttnkitError(f"cannot read {csv_path}: {error}") from None
    if not rows:
        raise AttnkitError(f"{csv_path} has no rows after its header")
    return rows


def row_of(record: dict[str, str], folder: Path, csv_path: Path, line: int) -> ImageTextRow:
    name, target = (record.get("file") or "").strip(), (record.get("target") or "").strip()
    if not name:
        raise AttnkitError(f"{csv_path} line {line}: empty file name")
    if not target:
        raise AttnkitError(f"{csv_path} line {line}: empty target for {name}")
    image = folder / name
    if not image.is_file():
        raise AttnkitError(f"{csv_path} line {line}: image {image} not found")
    return ImageTextRow(image, target, line)


def canonical_molecule_rows(rows: Sequence[ImageTextRow], csv_path: str | Path,
                            invalid: Literal["skip", "reject"] = "skip") -> \
        tuple[list[ImageTextRow], int]:
    """Rows with targets as RDKit canonical SMILES, and how many unparsable rows were skipped.

    With `invalid="reject"` the first unparsable target raises AttnkitError naming its line.
    """
    kept: list[ImageTextRow] = []
    for row in rows:
        canonical = canonical_smiles(row.target)
        if canonical is None:
            if invalid == "reject":
                raise AttnkitError(f"{csv_path} line {row.line}: RDKit cannot parse the SMILES "
                                   f"{row.target!r} (use invalid SMILES 'skip' to drop such rows)")
            continue
        kept.append(ImageTextRow(row.image, canonical, row.line))
    if not kept:
        raise AttnkitError(f"{csv_path}: none of its {len(rows)} targets is a SMILES RDKit parses")
    return kept, len(rows) - len(kept)


def load_row_images(rows: Sequence[ImageTextRow], image_size: int,
                    csv_path: str | Path, crop: bool = False) -> np.ndarray:
    """The rows' images as uint8 (N, S, S), each cropped to its ink with `crop`; a bad image
    raises AttnkitError naming its line."""
    images = np.empty((len(rows), image_size, image_size), dtype=np.uint8)
    for i, row in enumerate(rows):
        try:
            images[i] = load_placed_image(row.image, image_size, crop=crop)[0]
        except AttnkitError as error:
            raise AttnkitError(f"{csv_path} line {row.line}: {error}") from None
    return images
