"""Where things are in a content library.

::

    library.yaml                 name, region code, base URL, time zone, channels, rule levels
    guides/<id>.yaml             one guide per service item (sub-folders allowed, e.g. by department)
    catalogues/materials.yaml    材料目录
    catalogues/legal-bases.yaml  法律法规库
    catalogues/offices.yaml      办理地点 (halls, windows, hours, phones)
    catalogues/faq.yaml          咨询问答知识库
    files/                       blank forms, samples (referenced from guides)
    .guides/                     tool state: cache, ledger (not content; ignored by git)

Every file guidesrc reads from a library is read through :func:`read_file`: a symbolic link (to
``/dev/zero``, to a file outside the library) or anything but a regular file is refused with an
error naming the file, and no file is read past its kind's size limit.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from guidesrc.errors import LibraryIOError, LibraryNotFoundError
from guidesrc.i18n import _

CONFIG_FILE = "library.yaml"
APPROVERS_FILE = "approvers.yaml"  # who may approve (guidesrc.approvers); optional
CALENDAR_FILE = "calendar.yaml"
SYNONYMS_FILE = "catalogues/synonyms.yaml"  # the library's own search synonyms; optional
GUIDES_DIR = "guides"
CATALOGUE_DIR = "catalogues"
FILES_DIR = "files"
STATE_DIR = ".guides"
YAML_SUFFIXES = (".yaml", ".yml")

#: Size limits by kind of file: a guide is a few KB, library.yaml and calendar.yaml a few hundred
#: lines; anything near these is a mistake (or an attack), not content.
MAX_GUIDE_BYTES = 1024 * 1024
MAX_CATALOGUE_BYTES = 32 * 1024 * 1024
MAX_CONFIG_BYTES = 256 * 1024
MAX_CALENDAR_BYTES = 256 * 1024


def size_limit(rel: str) -> int:
    """The most bytes the file at ``rel`` (relative to the library) may hold."""
    if rel == CONFIG_FILE:
        return MAX_CONFIG_BYTES
    if rel == CALENDAR_FILE:
        return MAX_CALENDAR_BYTES
    if rel.startswith(f"{CATALOGUE_DIR}/"):
        return MAX_CATALOGUE_BYTES
    return MAX_GUIDE_BYTES


@dataclass(frozen=True, slots=True)
class LibraryLayout:
    root: Path
    guides: list[str]  # paths relative to root, "/"-separated, sorted
    files: frozenset[str]

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR


def find_root(start: Path) -> Path:
    """The library folder: ``start`` or the nearest parent holding ``library.yaml``."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file() or os.path.islink(folder / CONFIG_FILE):
            return folder  # a link is refused when the file is read
    if not start.exists():
        raise LibraryNotFoundError(_("{path}: no such folder").format(path=start))
    raise LibraryNotFoundError(
        _(
            "{path}: not a guides library ({config} not found here or above); create one with: guides init DIR"
        ).format(path=start, config=CONFIG_FILE)
    )


def scan(root: Path) -> LibraryLayout:
    for folder in (GUIDES_DIR, CATALOGUE_DIR, FILES_DIR):
        refuse_link(root, folder)
    return LibraryLayout(
        root=root,
        guides=sorted(_walk(root, GUIDES_DIR, YAML_SUFFIXES)),
        files=frozenset(_walk(root, FILES_DIR, None)),
    )


def _walk(root: Path, folder: str, suffixes: tuple[str, ...] | None) -> list[str]:
    """Relative paths of the files below ``root/folder``, skipping hidden entries; a symbolic
    link is refused."""
    found: list[str] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(root / current))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = f"{current}/{entry.name}"
            if entry.is_symlink():
                raise symlink_error(rel)
            if entry.is_dir():
                stack.append(rel)
            elif suffixes is None or entry.name.endswith(suffixes):
                found.append(rel)
    return found


def symlink_error(rel: str) -> LibraryIOError:
    return LibraryIOError(
        _(
            "{file}: is a symbolic link; a library holds only plain files and folders: replace the"
            " link with the file itself (git rm --cached {file}, then add the real file)"
        ).format(file=rel)
    )


def refuse_link(root: Path, rel: str) -> None:
    """Raise :func:`symlink_error` when ``root/rel`` is a symbolic link (a missing one is fine)."""
    try:
        if stat.S_ISLNK(os.lstat(os.path.join(root, rel)).st_mode):
            raise symlink_error(rel)
    except (FileNotFoundError, NotADirectoryError):
        pass


def read_file(
    root: Path | str, rel: str, limit: int | None = None, *, folders_checked: bool = False
) -> bytes:
    """:func:`read_sized` without the size."""
    return read_sized(root, rel, limit, folders_checked=folders_checked)[0]


def read_sized(
    root: Path | str, rel: str, limit: int | None = None, *, folders_checked: bool = False
) -> tuple[bytes, int]:
    """The bytes of the library file ``rel``, at most ``limit`` + 1 of them (default: its kind's
    :func:`size_limit`), so that a caller sees it is too large without reading it all; and the
    file's size, for the message.

    The file itself is opened without following a link, and every folder between the library and
    the file is checked with ``lstat``; a link, a device or a pipe raises :class:`LibraryIOError`.
    A missing file raises :class:`FileNotFoundError`. ``folders_checked``: the caller found the file
    with :func:`scan`, which already refused links among its folders.
    """
    limit = size_limit(rel) if limit is None else limit
    parts = rel.split("/")
    for depth in range(1, 0 if folders_checked else len(parts)):
        refuse_link(Path(root), "/".join(parts[:depth]))
    try:
        fd = os.open(os.path.join(root, rel), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise symlink_error(rel) from None
        if isinstance(exc, FileNotFoundError):
            raise
        raise LibraryIOError(
            _("{file}: cannot read: {error}").format(file=rel, error=exc.strerror)
        ) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LibraryIOError(
                _("{file}: is not a plain file (a device, a pipe or a folder); remove it").format(
                    file=rel
                )
            )
        data = _read_upto(fd, limit + 1)
        return data, max(info.st_size, len(data))
    finally:
        os.close(fd)


def _read_upto(fd: int, most: int) -> bytes:
    chunks: list[bytes] = []
    left = most
    while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
