"""OSRA (Debian `osra`) on a folder of molecule images listed in a `file,target` CSV, scored by
exact match of RDKit canonical SMILES, so the molecule benchmark can put OSRA beside attnkit on
the same images. OSRA's first answer for an image counts (as in bench/molecules.py); an image
it takes longer than `--timeout` seconds on counts as wrong. Prints one JSON object.

    .venv/bin/python bench/osra_reading.py --csv DIR/STYLE/labels.csv [--limit 200]
        [--timeout 30]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from pathlib import Path

from attnkit.data.chem import canonical_smiles
from attnkit.data.image_text import read_image_table
from attnkit.errors import AttnkitError


def osra_version() -> str:
    if shutil.which("osra") is None:
        raise AttnkitError("OSRA is not installed (apt-get install osra)")
    result = subprocess.run(["osra", "--version"], capture_output=True, text=True, timeout=30)
    text = (result.stdout or result.stderr).strip()
    return text.splitlines()[0] if text else "osra"


def osra_reading(image: Path, timeout: float) -> str | None:
    """OSRA's first SMILES for `image`, "" when it finds none, None when it times out."""
    try:
        result = subprocess.run(["osra", "--", str(image)], capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    return lines[0] if lines else ""


def osra_scores(csv_path: Path, timeout: float = 30.0, limit: int | None = None) -> dict:
    """Exact match (canonical SMILES), answered share, timeouts and images/s of OSRA on the
    first `limit` rows of a `file,target` CSV."""
    rows = read_image_table(csv_path)[:limit]
    version = osra_version()
    exact = answered = timeouts = 0
    started = time.perf_counter()
    for row in rows:
        reading = osra_reading(row.image, timeout)
        timeouts += reading is None
        answered += bool(reading)
        read = canonical_smiles(reading) if reading else None
        exact += read is not None and read == canonical_smiles(row.target)
    seconds = time.perf_counter() - started
    return {"osra_version": version, "osra_images": len(rows),
            "osra_exact_match": round(exact / len(rows), 4),
            "osra_answered": round(answered / len(rows), 4), "osra_timeouts": timeouts,
            "osra_images_per_second": round(len(rows) / seconds, 2), "timeout_s": timeout}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, required=True, help="a file,target CSV")
    parser.add_argument("--limit", type=int, help="only the first LIMIT images")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per image")
    args = parser.parse_args()
    print(json.dumps({"csv": str(args.csv)} | osra_scores(args.csv, args.timeout, args.limit),
                     indent=1))


if __name__ == "__main__":
    main()
