"""Where data lives: a data folder (flag, then $ATTNKIT_DATA, then a user cache) and downloads.

Downloads happen only when a loader is asked for a file that is missing, never at import or
test time, and every downloaded file is checked against its published SHA-256 before use.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from attnkit.errors import AttnkitError
from attnkit.files import write_atomically
from attnkit.progress import progress_bar

ENVIRONMENT_VARIABLE = "ATTNKIT_DATA"


def resolve_data_dir(flag: str | Path | None = None) -> Path:
    """The data folder: the flag if given, else $ATTNKIT_DATA, else ~/.cache/attnkit."""
    if flag:
        return Path(flag).expanduser()
    if os.environ.get(ENVIRONMENT_VARIABLE):
        return Path(os.environ[ENVIRONMENT_VARIABLE]).expanduser()
    return Path.home() / ".cache" / "attnkit"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, destination: Path, sha256: str, timeout: float = 60.0) -> Path:
    """Fetch `url` to `destination` through a temporary file; refuse it unless the checksum fits."""

    def fetch(temporary: Path) -> None:
        try:
            with temporary.open("wb") as out, \
                    urllib.request.urlopen(url, timeout=timeout) as reply:
                size = int(reply.headers.get("Content-Length") or 0) or None
                with progress_bar(total=size, unit="B", unit_scale=True,
                                  desc=f"downloading {destination.name}") as bar:
                    for block in iter(lambda: reply.read(1 << 20), b""):
                        out.write(block)
                        bar.update(len(block))
        except (urllib.error.URLError, OSError) as error:
            raise AttnkitError(f"cannot download {url} ({error}); put the file at {destination} "
                               f"or point --data-dir / ${ENVIRONMENT_VARIABLE} at a copy") from None
        actual = sha256_of(temporary)
        if actual != sha256:
            raise AttnkitError(f"download of {url} has SHA-256 {actual}, expected {sha256}; "
                               "the file was not kept")

    return write_atomically(destination, fetch)
