"""Atomic file writes: a reader sees the old file or the new one, never a part of either.

The one way guidesrc replaces a file it owns (published files, keys, caches): the data is written
beside the file under a dot name (never listed by a channel or served), flushed to disk unless
``durable=False`` (caches, which are only slower when lost), and renamed over the file. A failure
leaves the file as it was and removes the temporary one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, mode: int | None = None, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` (file mode ``mode``; None: mkstemp's 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
