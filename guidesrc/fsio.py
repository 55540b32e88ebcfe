"""Atomic file writes: a reader sees the old file or the new one, never a part of either.

The one way guidesrc replaces a file it owns (published files, keys, caches): the data is written
beside the file under a dot name (never listed by a channel or served), flushed to disk unless
``durable=False`` (caches, which are only slower when lost), and renamed over the file. A failure
leaves the file as it was and removes the temporary one.

While a publish runs, every file written here or noted with :func:`note` is recorded in the run's
**journal** (:func:`journal`): the signing step lists exactly these files as the run's own
(:mod:`guidesrc.channel_audit`); a file in a channel folder that the journal does not name was not
written by the run.

Within :func:`staged`, the writes of the thread are made together: each file is written beside
its path, the lot is flushed to disk at the end (one ``syncfs`` for a batch instead of an fsync
per file), and only then renamed over their paths, so that a reader still sees the old file or
the new one, never a part of either, even after a power cut.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The journals of the runs in progress in this process (innermost last).
_journals: list[set[str]] = []
#: Per thread: the files written aside by the innermost :func:`staged` block (temporary, final).
_local = threading.local()
#: Staged files up to which each is synced by itself; above, one ``syncfs`` syncs them all.
FEW = 16


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
    """Replace ``path`` with ``data`` (file mode ``mode``; None: mkstemp's 0600); inside
    :func:`staged`, at the end of the block."""
    stage: list[tuple[str, Path]] | None = getattr(_local, "stage", None)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable and stage is None:
                handle.flush()
                os.fsync(handle.fileno())
        if stage is not None:
            stage.append((tmp, path))
            return
        os.replace(tmp, path)
        note(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def staged() -> Iterator[None]:
    """Make the :func:`write_atomic` calls of this thread inside the block together: each file is
    written aside; at the end the files are flushed to disk (each by itself when there are at
    most :data:`FEW`, else by one ``syncfs`` of their file system), then renamed over their paths
    in the order written. An exception leaves every path as it was (the files aside removed).
    A path is written at most once in a block, and not read back before its end."""
    stage: list[tuple[str, Path]] = []
    outer = getattr(_local, "stage", None)
    _local.stage = stage
    try:
        yield
        _local.stage = outer
        _flush([tmp for tmp, _path in stage])
        for tmp, path in stage:
            os.replace(tmp, path)
            note(path)
    except BaseException:
        for tmp, _path in stage:
            Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        _local.stage = outer


def _flush(paths: list[str]) -> None:
    if len(paths) <= FEW:
        for path in paths:
            fsync_path(path)
        return
    folders = {os.path.dirname(path) for path in paths}
    for folder in {os.stat(folder).st_dev: folder for folder in folders}.values():
        syncfs(Path(folder))  # once per file system


def fsync_path(path: Path | str) -> None:
    """Flush a file or a folder (its entries: renames, removals) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def syncfs(path: Path) -> None:
    """Flush the file system holding the folder ``path`` (Linux ``syncfs``; ``sync`` elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()
