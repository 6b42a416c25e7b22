"""Files that are records: written once, whole, and never replaced."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file at ``path``: to a temporary file beside it first,
    synced, then linked into place, which fails (FileExistsError) rather than replace a
    file that is there; the directory is synced so the name survives a crash too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
