"""Where the site lives on disk, and how a publish reaches it atomically for readers.

::

    <path>                 a symbolic link to the build being served: point the web server here
    <path>.builds/b000007  one complete build (the site's files and its _state/manifest.json,
                           with the parts it names: :mod:`guidesrc.site.state`)
    <path>.builds/b000006  the build before it, kept until the next full build

**Full build** (the first publish, a new guidesrc version or new settings, or a batch that
changes many guides): every file is written into a new build folder, the file system is synced,
the manifest is written last, and the link is switched with one ``rename`` of a new link over the
old one. Readers see the old build or the new one, never a mix.

**Incremental publish**: the files that change are first written beside their targets under
temporary names (``.<name>.~<token>``, fsync'd), listed beforehand in ``_state/pending.json``;
then renamed into place in three stages — the guides' own pages and documents, then the lists
that link to them, then the indexes, feeds, search files and sitemap — then files that are gone
are removed, the manifest's new parts are renamed into place (the parts a publish did not
change stay as they are), and the manifest is renamed last; the parts it no longer names are
removed after it. Each file is always whole (old or new); a page is
in place before any page that links to it; the manifest names a delivery as applied only once
every file of it is in place. A crash leaves the old manifest, so the deliveries are made again;
temporary files a crash left behind are removed by the next publish (``pending.json``).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import orjson

from guidesrc import faults
from guidesrc.errors import ChannelError
from guidesrc.fsio import fsync_path, note, syncfs
from guidesrc.i18n import _
from guidesrc.site.state import PARTS, unused_parts

PENDING = "_state/pending.json"
STAGES = 3  # 0: a guide's own files; 1: lists linking to them; 2: indexes, feeds, search, sitemap


def builds_dir(link: Path) -> Path:
    return link.with_name(link.name + ".builds")


def current_build(link: Path) -> Path | None:
    """The build folder ``link`` points to; None if there is no site yet."""
    if link.is_symlink():
        target = link.parent / os.readlink(link)
        return target if target.is_dir() else None
    if link.exists():
        if link.is_dir() and not any(link.iterdir()):
            return None  # an empty folder made for us: replaced by the first build
        raise ChannelError(
            _(
                "{path} exists and is not a site made by the site channel (it should be a link to a build): remove it or choose another path"
            ).format(path=link)
        )
    return None


def write_file(path: Path, data: bytes) -> None:
    """A new file in a new build (nothing reads it yet: no temporary name, synced later)."""
    try:
        path.write_bytes(data)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


class NewBuild:
    """A full build: a fresh folder, switched in by replacing the link."""

    def __init__(self, link: Path, number: int) -> None:
        self.link = link
        self.root = builds_dir(link) / f"b{number:06d}"
        if self.root.exists():  # left by a crashed build
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)

    def write(self, rel: str, data: bytes) -> None:
        write_file(self.root / rel, data)

    def switch(self, manifest: bytes, parts: Mapping[str, bytes]) -> None:
        """Make the build the one served: its manifest's parts and every file synced, then the
        manifest renamed into place, then the link switched."""
        for rel, data in parts.items():
            self.write(rel, data)
        syncfs(self.root)
        self.write("_state/manifest.json.tmp", manifest)
        os.replace(self.root / "_state/manifest.json.tmp", self.root / "_state/manifest.json")
        fsync_path(self.root / "_state")
        faults.point("site.built")
        previous = current_build(self.link)
        if self.link.exists() and not self.link.is_symlink():
            self.link.rmdir()  # the empty folder current_build accepted
        temporary = self.link.with_name(f".{self.link.name}.~{secrets.token_hex(4)}")
        os.symlink(os.path.relpath(self.root, self.link.parent), temporary)
        os.replace(temporary, self.link)
        fsync_path(self.link.parent)
        faults.point("site.switched")
        self._prune(previous)

    def _prune(self, previous: Path | None) -> None:
        """Keep this build and the one before it (a reader may still be on it)."""
        keep = {self.root.name, previous.name if previous else ""}
        for old in builds_dir(self.link).iterdir():
            if old.name not in keep and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)


class Update:
    """An incremental publish into the build being served: files written aside, then renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.token = secrets.token_hex(4)
        self.staged: list[list[tuple[Path, Path]]] = [[] for _ in range(STAGES)]
        self.removed: list[Path] = []
        self.written: list[str] = []
        self._pending: list[str] = []
        self._data: dict[Path, bytes] = {}
        recover(root)

    def write(self, rel: str, data: bytes, stage: int) -> None:
        """Stage ``data`` for ``rel``, unless the file already holds exactly these bytes."""
        target = self.root / rel
        try:
            if target.read_bytes() == data:
                return
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._aside(target)
        self._pending.append(str(temporary.relative_to(self.root)))
        self.staged[stage].append((temporary, target))
        self.written.append(rel)
        self._data[temporary] = data

    def remove(self, rel: str) -> None:
        target = self.root / rel
        if target.exists():
            self.removed.append(target)
            self.written.append(rel)

    def commit(self, manifest: bytes, parts: Mapping[str, bytes], keep: Iterable[str]) -> None:
        """Write every staged file aside (fsync), rename them stage by stage, remove what is
        gone, then the manifest's new ``parts``, then put the manifest in place; last remove
        the parts it does not name (it names ``keep``)."""
        manifest_tmp = self.root / f"_state/.manifest.json.~{self.token}"
        parts_tmp = [(self._aside(self.root / rel), self.root / rel) for rel in parts]
        self._pending += [
            str(t.relative_to(self.root)) for t in (manifest_tmp, *(t for t, _ in parts_tmp))
        ]
        _write_synced(self.root / PENDING, orjson.dumps(sorted(self._pending)))
        for stage in self.staged:
            for temporary, _target in stage:
                _write_synced(temporary, self._data[temporary])
        if parts:
            (self.root / PARTS).mkdir(exist_ok=True)
        for (temporary, _target), data in zip(parts_tmp, parts.values(), strict=True):
            _write_synced(temporary, data)
        _write_synced(manifest_tmp, manifest)
        faults.point("site.staged")
        folders: set[Path] = set()
        for stage in self.staged:
            for temporary, target in stage:
                os.replace(temporary, target)
                note(target)
                folders.add(target.parent)
            faults.point("site.renamed")
        for target in self.removed:
            target.unlink(missing_ok=True)
            folders.add(target.parent)
        for temporary, target in parts_tmp:
            os.replace(temporary, target)
            note(target)
            folders.add(target.parent)
        for folder in folders:
            fsync_path(folder)
        os.replace(manifest_tmp, self.root / "_state/manifest.json")
        note(self.root / "_state/manifest.json")
        (self.root / PENDING).unlink(missing_ok=True)
        fsync_path(self.root / "_state")
        for old in unused_parts(self.root, keep):
            old.unlink(missing_ok=True)

    def _aside(self, target: Path) -> Path:
        return target.with_name(f".{target.name}.~{self.token}")


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def recover(root: Path) -> None:
    """Remove the temporary files of a publish that crashed before it finished."""
    pending = root / PENDING
    try:
        names: Iterable[str] = orjson.loads(pending.read_bytes())
    except FileNotFoundError:
        return
    except orjson.JSONDecodeError:
        names = []  # the crash came while writing the list itself: nothing was staged yet
    for name in names:
        (root / name).unlink(missing_ok=True)
    pending.unlink(missing_ok=True)
