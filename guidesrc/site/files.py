"""Where a publish reads and writes the site's files: the documents of the build being served
(read when needed), and a new build's folder (written directly, nothing serves it yet)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import orjson

from guidesrc.errors import ChannelError
from guidesrc.i18n import _
from guidesrc.site.data import (
    Doc,
    current_form,
    release_key,
)


class Sink(Protocol):
    def write(self, rel: str, data: bytes, stage: int) -> None: ...


def put_files(sink: Any, files: Iterable[tuple[str, bytes | None, int]]) -> None:
    for rel, data, stage in files:
        if data is None:
            sink.remove(rel)
        else:
            sink.write(rel, data, stage)


class Loader:
    """Guide and notice documents of the build being served (read when needed)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._releases: dict[str, dict[str, Doc]] = {}

    def doc(self, gid: str) -> Doc:
        return current_form(self._read(f"api/guides/{gid}.json"))

    def notice(self, key: str, approved_at: str) -> Doc:
        rkey = release_key(approved_at)
        if rkey not in self._releases:
            body = self._read(f"api/releases/{rkey}.json")
            self._releases[rkey] = {n["key"]: n for n in body["notices"]}
        try:
            return self._releases[rkey][key]
        except KeyError:
            raise ChannelError(
                _("the site has no {file}").format(file=f"api/releases/{rkey}.json#{key}")
            ) from None

    def _read(self, rel: str) -> Doc:
        if self.root is None:
            raise ChannelError(_("the site has no {file}").format(file=rel))
        try:
            body: Doc = orjson.loads((self.root / rel).read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ChannelError(
                _("the site's document {path} cannot be read: {reason}").format(
                    path=self.root / rel, reason=exc
                )
            ) from exc
        return body


class FolderSink:
    """Writes a new build's files directly (nothing serves the folder yet)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[str] = []
        self._folders: set[Path] = set()

    def write(self, rel: str, data: bytes, stage: int) -> None:
        path = self.root / rel
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        self.written.append(rel)

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink(missing_ok=True)


def read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
