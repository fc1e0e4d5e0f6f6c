"""The TrueType/OpenType fonts this machine has that look like those of papers, patents and
catalogues: sans (Helvetica-like: Arial, the ChemDraw default) and serif (Times-like: patent
offices). Found by file name under the usual font folders; a machine without them gets an empty
list, and each renderer then keeps its own built-in font.

On Debian: fonts-dejavu-core, fonts-liberation (Arial and Times metrics), fonts-urw-base35
(Nimbus Sans and Roman, the Helvetica and Times of PostScript).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_FOLDERS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
                Path("/Library/Fonts"), Path("C:/Windows/Fonts"))
SANS_FONTS = ("DejaVuSans.ttf", "DejaVuSansCondensed.ttf", "DejaVuSans-Bold.ttf",
              "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf",
              "LiberationSansNarrow-Regular.ttf", "NimbusSans-Regular.otf",
              "NimbusSans-Bold.otf", "Arial.ttf", "arial.ttf")
SERIF_FONTS = ("DejaVuSerif.ttf", "DejaVuSerifCondensed.ttf", "LiberationSerif-Regular.ttf",
               "LiberationSerif-Bold.ttf", "NimbusRoman-Regular.otf", "Times New Roman.ttf",
               "times.ttf")


@lru_cache(maxsize=1)
def document_fonts() -> tuple[Path, ...]:
    """Paths of the installed fonts named in SANS_FONTS and SERIF_FONTS, in that order (one file
    per name, the first found); () when there is none."""
    wanted = SANS_FONTS + SERIF_FONTS
    found: dict[str, Path] = {}
    for folder in FONT_FOLDERS:
        try:
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*")):
                if path.name in wanted and path.name not in found and path.is_file():
                    found[path.name] = path
        except OSError:  # an unreadable folder: use what the others have
            continue
    return tuple(found[name] for name in wanted if name in found)
