"""Atomic file writes: a reader sees the old file or the new one, never a part of either.

The one way guidesrc replaces a file it owns (published files, keys, caches): the data is written
beside the file under a dot name (never listed by a channel or served), flushed to disk unless
``durable=False`` (caches, which are only slower when lost), and renamed over the file. A failure
leaves the file as it was and removes the temporary one.

While a publish runs, every file written here or noted with :func:`note` is recorded in the run's
**journal** (:func:`journal`): the signing step lists exactly these files as the run's own
(:mod:`guidesrc.channel_audit`); a file in a channel folder that the journal does not name was not
written by the run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The journals of the runs in progress in this process (innermost last).
_journals: list[set[str]] = []


@contextmanager
def journal() -> Iterator[set[str]]:
    """Record the real paths of the files written while the block runs."""
    written: set[str] = set()
    _journals.append(written)
    try:
        yield written
    finally:
        _journals.remove(written)


def note(path: Path | str) -> None:
    """Record ``path`` (written or replaced in place) in the journals of the runs in progress."""
    if _journals:
        real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        for written in _journals:
            written.add(real)


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
        note(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
