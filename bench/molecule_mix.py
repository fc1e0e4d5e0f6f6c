"""What a training mix of molecules (`molecule_sources.build_mix`) holds, and the vocabulary and
length limit its targets need. Prints one JSON object.

Per source and overall: heavy-atom bands (<= 12, 13-30, > 30), the share with stereo, charges,
several fragments (salts, mixtures) and elements MOSES lacks. Targets are written as the img2seq
pipeline writes them: Kekulé, in "spatial" atom order (here from RDKit's 2-D coordinates, which
its drawings show unrotated); each must read back as the same canonical SMILES (failures are
counted and shown). Then the distinct tokens, and for each minimum count the vocabulary size,
the length limit covering 99.5 % of the targets and the share of targets it can train on.
With --hiv, every usable HIV molecule is written and read back the same way.

    PYTHONPATH=src .venv/bin/python bench/molecule_mix.py [--scale 0.1] [--seed 0] [--hiv]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter

from attnkit.data.chem import require_rdkit
from attnkit.data.hiv import load_hiv
from attnkit.data.molecule_checks import depiction_target
from attnkit.data.molecule_sources import build_mix
from attnkit.data.molecule_vocabulary import choose_vocabulary

COUNTS = {"moses": 60000, "hiv": 20000, "stereo": 10000, "charged": 10000, "salts": 5000,
          "elements": 8000, "small": 10000, "large": 10000}
MOSES_ELEMENTS = {"C", "N", "O", "F", "S", "Cl", "Br", "H"}
CHARGE = re.compile(r"\[[^\]]*[+-]")


def spatial_target(smiles: str) -> str | None:
    """The Kekulé SMILES in spatial order from 2-D coordinates; None if it does not read back."""
    chem = require_rdkit()
    written = depiction_target(chem.MolFromSmiles(smiles))
    again = chem.MolFromSmiles(written)
    return written if again is not None and chem.MolToSmiles(again) == smiles else None


def features(smiles: str) -> dict[str, bool | str]:
    chem = require_rdkit()
    molecule = chem.MolFromSmiles(smiles)
    heavy = molecule.GetNumHeavyAtoms()
    elements = {atom.GetSymbol() for atom in molecule.GetAtoms()} - MOSES_ELEMENTS
    return {"band": "<=12" if heavy <= 12 else "13-30" if heavy <= 30 else ">30",
            "stereo": bool(set("@/\\") & set(smiles)), "charges": bool(CHARGE.search(smiles)),
            "fragments": "." in smiles, "other_elements": bool(elements),
            "elements": ",".join(sorted(elements))}


def shares(rows: list[dict]) -> dict:
    total = max(len(rows), 1)
    bands = Counter(row["band"] for row in rows)
    report = {"molecules": len(rows),
              "heavy_atoms": {band: round(bands[band] / total, 4)
                              for band in ("<=12", "13-30", ">30")}}
    for name in ("stereo", "charges", "fragments", "other_elements"):
        report[name] = round(sum(row[name] for row in rows) / total, 4)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="times the COUNTS")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", help="data folder (default: $ATTNKIT_DATA)")
    parser.add_argument("--min-counts", type=int, nargs="+", default=[1, 5, 20, 50])
    parser.add_argument("--hiv", action="store_true", help="also check every HIV molecule")
    args = parser.parse_args()
    counts = {name: round(count * args.scale) for name, count in COUNTS.items()}
    mix = build_mix(args.data_dir, counts, args.seed)
    rows = [features(smiles) for smiles in mix.smiles]
    report: dict = {"counts": counts, "seed": args.seed, "all": shares(rows),
                    "by_source": {source: shares([row for row, s in zip(rows, mix.sources,
                                                                         strict=True)
                                                  if s == source]) for source in counts},
                    "elements_beyond_moses": dict(Counter(
                        element for row in rows for element in row["elements"].split(",")
                        if element).most_common()),
                    "rejected": mix.rejected}
    targets = [spatial_target(smiles) for smiles in mix.smiles]
    failures = [smiles for smiles, target in zip(mix.smiles, targets, strict=True)
                if target is None]
    report["spatial_kekule_failures"] = {"count": len(failures), "examples": failures[:5]}
    written = [target for target in targets if target is not None]
    report["vocabulary"] = {str(n): choose_vocabulary(written, n).summary(len(written))
                            for n in args.min_counts}
    choice = choose_vocabulary(written, 20)
    report["tokens_below_20"] = {token: n for token, n in choice.token_counts.items()
                                 if n < 20}
    if args.hiv:
        hiv = load_hiv(args.data_dir)
        failed = [smiles for smiles in hiv if spatial_target(smiles) is None]
        report["hiv_spatial_kekule"] = {"molecules": len(hiv), "failures": len(failed),
                                        "examples": failed[:5]}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
