"""The Java side of CDK drawings: the one JVM of the process, CDK's classes, and what
`drawing.cdk` asks of a molecule (parse and lay out, rotate, read the layout, tint bonds,
abbreviate, render to pixels). Nothing here chooses a style."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from attnkit.data.drawing.cdk_style import CdkStyle
from attnkit.data.drawing.tint import tinted_color
from attnkit.errors import AttnkitError

JAR_FOLDER = Path(os.environ.get("ATTNKIT_CDK_JARS", "/usr/share/java"))
# What CDK's depiction needs beside its own jars (Debian names, unversioned links)
DEPENDENCIES = ("vecmath", "guava", "beam-core", "beam-func")
ABBREVIATIONS = "obabel_superatoms.smi"  # the list of abbreviations inside cdk-depict.jar


@lru_cache(maxsize=1)
def cdk_session() -> CdkSession:
    """The process's CDK session; starts the JVM on first use."""
    return CdkSession()


def cdk_classpath(folder: Path = JAR_FOLDER) -> list[str]:
    """CDK's jars in `folder` (one of each: the unversioned names) and their dependencies."""
    jars = sorted(str(path) for path in folder.glob("cdk-*.jar")
                  if not any(character.isdigit() for character in path.stem))
    if not any(path.endswith("cdk-depict.jar") for path in jars):
        raise AttnkitError(f"CDK drawings need CDK's jars in {folder}: apt-get install "
                           "libcdk-java (or point ATTNKIT_CDK_JARS at them)")
    missing = [name for name in DEPENDENCIES if not (folder / f"{name}.jar").is_file()]
    if missing:
        raise AttnkitError(f"CDK drawings need {', '.join(missing)}.jar in {folder} "
                           "(Debian: apt-get install libcdk-java pulls them in)")
    return jars + [str(folder / f"{name}.jar") for name in DEPENDENCIES]


def start_jvm() -> Any:
    """JPype with a JVM running that has CDK on its class path."""
    try:
        import jpype
    except ImportError:
        raise AttnkitError("CDK drawings need JPype: pip install JPype1") from None
    if not jpype.isJVMStarted():
        jpype.startJVM(classpath=cdk_classpath(), convertStrings=False)
    try:
        jpype.JClass("org.openscience.cdk.depict.DepictionGenerator")
    except TypeError:  # JPype's "class not found"
        raise AttnkitError("this process started a Java VM without CDK on its class path; "
                           "JPype cannot restart it: draw with CDK in a fresh process") from None
    return jpype


class CdkSession:
    """CDK's classes, a SMILES parser, a layout generator and the abbreviation list."""

    def __init__(self) -> None:
        jpype = start_jvm()
        java = jpype.JClass
        self.jpype = jpype
        self.Color = java("java.awt.Color")
        self.Font = java("java.awt.Font")
        self.Double = java("java.lang.Double")
        self.Boolean = java("java.lang.Boolean")
        self.DepictionGenerator = java("org.openscience.cdk.depict.DepictionGenerator")
        self.Standard = java("org.openscience.cdk.renderer.generators.standard.StandardGenerator")
        self.Scene = java("org.openscience.cdk.renderer.generators.BasicSceneGenerator")
        self.CDK2DAtomColors = java("org.openscience.cdk.renderer.color.CDK2DAtomColors")
        self.UniColor = java("org.openscience.cdk.renderer.color.UniColor")
        self.CDKException = java("org.openscience.cdk.exception.CDKException")
        self.GeometryUtil = java("org.openscience.cdk.geometry.GeometryUtil")
        self.Order = java("org.openscience.cdk.interfaces.IBond$Order")
        builder = java("org.openscience.cdk.silent.SilentChemObjectBuilder").getInstance()
        self.parser = java("org.openscience.cdk.smiles.SmilesParser")(builder)
        self.layout_generator = java("org.openscience.cdk.layout.StructureDiagramGenerator")()
        self.abbreviations = java("org.openscience.cdk.depict.Abbreviations")()
        self.abbreviations.loadFromFile(ABBREVIATIONS)

    def laid_out(self, smiles: str) -> Any:
        """The molecule of `smiles` with CDK's 2-D layout (atoms in the SMILES's order)."""
        try:
            molecule = self.parser.parseSmiles(smiles)
            self.layout_generator.generateCoordinates(molecule)
        except self.CDKException as error:
            raise AttnkitError(f"CDK cannot read the SMILES {smiles!r}: "
                               f"{str(error.getMessage())[:200]}") from None
        return molecule

    def rotate(self, molecule: Any, degrees: float) -> None:
        """Turn the layout about its centre, counter-clockwise."""
        centre = self.GeometryUtil.get2DCenter(molecule)
        self.GeometryUtil.rotate(molecule, centre, float(np.deg2rad(degrees)))

    def layout(self, molecule: Any) -> tuple[np.ndarray, list[str]]:
        """Atom coordinates (N, 2), y pointing down as in the picture, and element symbols."""
        points, symbols = [], []
        for atom in molecule.atoms():
            point = atom.getPoint2d()
            points.append((float(point.x), -float(point.y)))
            symbols.append(str(atom.getSymbol()))
        return np.array(points, dtype=np.float64).reshape(-1, 2), symbols

    def bonds(self, molecule: Any) -> list[tuple[int, int]]:
        return [(int(b.getBegin().getIndex()), int(b.getEnd().getIndex()))
                for b in molecule.bonds()]

    def line_bonds(self, molecule: Any, aromatic_as_line: bool) -> list[tuple[int, int]]:
        """The bonds CDK draws as one line along their axis: single bonds (of the Kekulé
        structure) where aromatic rings are drawn as such, single bonds out of aromatic rings
        and every aromatic bond where they are drawn delocalised."""
        chosen = []
        for bond in molecule.bonds():
            aromatic = bool(bond.isAromatic()) and aromatic_as_line
            single = bond.getOrder() == self.Order.SINGLE and not aromatic
            if single or aromatic:
                chosen.append((int(bond.getBegin().getIndex()), int(bond.getEnd().getIndex())))
        return chosen

    def tint_bonds(self, molecule: Any, pairs: list[tuple[int, int]], ink: float,
                   tint: float) -> None:
        colour = self.Color(*[float(value) for value in tinted_color(ink, tint)])
        for begin, end in pairs:
            bond = molecule.getBond(molecule.getAtom(begin), molecule.getAtom(end))
            bond.setProperty(self.Standard.HIGHLIGHT_COLOR, colour)

    def abbreviate(self, molecule: Any) -> int:
        """Contract the groups of CDK's abbreviation list into labels (COOH, CF3, ...); how
        many groups were contracted."""
        return int(self.abbreviations.apply(molecule))

    def render(self, molecule: Any, style: CdkStyle | None) -> np.ndarray:
        """The molecule drawn at CDK's natural size: (H, W, 3) float64 RGB on white."""
        generator = self.generator(style)
        if style is not None and style.title:
            molecule.setTitle(style.title)
        try:
            picture = generator.depict(molecule).toImg()
        except self.CDKException as error:
            raise AttnkitError(f"CDK cannot draw the molecule: {error.getMessage()}") from None
        W, H = int(picture.getWidth()), int(picture.getHeight())
        packed = picture.getRGB(0, 0, W, H, None, 0, W)  # Java int[]: read through its buffer
        argb = np.asarray(memoryview(packed)).view(np.uint32).astype(np.int64).reshape(H, W)
        alpha = ((argb >> 24) & 255)[..., None] / 255.0
        rgb = np.stack([(argb >> 16) & 255, (argb >> 8) & 255, argb & 255], axis=-1)
        return rgb * alpha + 255 * (1 - alpha)

    def generator(self, style: CdkStyle | None) -> Any:
        """A DepictionGenerator for `style` (CDK's defaults for None), highlight colours on."""
        highlight = (self.Standard.Highlighting.class_, self.Standard.HighlightStyle.Colored)
        if style is None:
            return self.DepictionGenerator().withParam(*highlight)
        font = self.Font(style.font, self.Font.BOLD if style.bold else self.Font.PLAIN,
                         round(style.font_size))
        generator = self.DepictionGenerator(font).withParam(*highlight).withParam(
            self.Scene.BondLength.class_, self.Double(style.bond_length))
        for parameter, value in ((self.Standard.StrokeRatio, style.stroke_ratio),
                                 (self.Standard.BondSeparation, style.bond_separation),
                                 (self.Standard.WedgeRatio, style.wedge_ratio),
                                 (self.Standard.HashSpacing, style.hash_spacing)):
            generator = generator.withParam(parameter.class_, self.Double(value))
        if style.carbons == "terminal":
            generator = generator.withTerminalCarbons()
        elif style.carbons == "all":
            generator = generator.withCarbonSymbols()
        if style.aromatic != "kekule":
            generator = generator.withAromaticDisplay().withParam(
                self.Standard.DelocalisedDonutsBondDisplay.class_,
                self.Boolean(style.aromatic == "donuts"))
        ink = int(round(255 * style.ink))
        generator = generator.withAtomColors(
            self.CDK2DAtomColors() if style.atom_colors else self.UniColor(self.Color(ink, ink,
                                                                                       ink)))
        if style.atom_numbers:
            generator = generator.withAtomNumbers()
        return generator.withMolTitle() if style.title else generator
