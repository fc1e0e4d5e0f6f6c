"""Pictures the molecules view shows: RDKit's drawing of a SMILES (SVG), and built-in example
images drawn plainly by RDKit at the model's image size."""

from __future__ import annotations

import functools
import io

from attnkit.data.chem import parse_molecule, require_rdkit
from attnkit.data.molecule_render import RenderConfig, render_smiles
from attnkit.errors import AttnkitError

MAX_SMILES = 500  # characters; a drawing request is not a way to make the server work hard
# (name, SMILES): small drug molecules the shipped model reads; caffeine it gets wrong
EXAMPLES = (
    ("paracetamol", "CC(=O)Nc1ccc(O)cc1"),
    ("benzocaine", "CCOC(=O)c1ccc(N)cc1"),
    ("phenacetin", "CCOc1ccc(NC(C)=O)cc1"),
    ("ibuprofen", "CC(C)Cc1ccc(C(C)C(=O)O)cc1"),
    ("melatonin", "COc1ccc2[nH]cc(CCNC(C)=O)c2c1"),
    ("serotonin", "NCCc1c[nH]c2ccc(O)cc12"),
    ("caffeine", "Cn1c(=O)c2c(ncn2C)n(C)c1=O"),
)


def molecule_svg(smiles: str, size: int = 300) -> str:
    """RDKit's 2-D drawing of `smiles` as an SVG document; AttnkitError when it does not
    parse."""
    if not smiles or len(smiles) > MAX_SMILES:
        raise AttnkitError(f"a SMILES of 1 to {MAX_SMILES} characters is needed, got "
                           f"{len(smiles)}")
    molecule = parse_molecule(smiles)
    if molecule is None:
        raise AttnkitError(f"RDKit cannot parse the SMILES {smiles[:60]!r}")
    require_rdkit()
    from rdkit.Chem.Draw import rdMolDraw2D

    drawer = rdMolDraw2D.MolDraw2DSVG(size, size)
    drawer.drawOptions().clearBackground = True
    drawer.DrawMolecule(molecule)
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


@functools.lru_cache(maxsize=64)
def example_png(index: int, image_size: int) -> bytes:
    """Example `index` of EXAMPLES drawn plainly at `image_size` pixels, as PNG bytes."""
    from PIL import Image

    drawing = render_smiles(EXAMPLES[index][1], RenderConfig(image_size=image_size))
    buffer = io.BytesIO()
    Image.fromarray(drawing.image).save(buffer, format="PNG")
    return buffer.getvalue()
