"""A notice board channel for guidesrc: a plain-text file per guide in a folder of its own.

::

    <path>/<id>.txt            the version in force, or the withdrawal
    <path>/<id>.upcoming.txt   a version announced for later

It uses only the public contract of ``guidesrc.adapters`` (docs/publishing.md).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from guidesrc.adapters import (
    Delivery,
    FileAdapter,
    FolderSettings,
    Receipt,
    Shown,
    safe_id,
)

STATES = {"publish": "current", "activate": "current", "announce": "upcoming"}


class BoardSettings(FolderSettings):
    heading: str = Field(default="办事指南公告", min_length=1, max_length=40)


class BoardAdapter(FileAdapter[BoardSettings]):
    Settings = BoardSettings  # checks the channel's settings in library.yaml
    incremental = True  # a delivery rewrites its own guide's file only
    readable = True  # read_back reads a guide's files

    def deliver(self, delivery: Delivery) -> Receipt:
        state = STATES.get(delivery.action, "withdrawn")
        upcoming = self._file(delivery.guide_id, "upcoming")
        if state != "upcoming":
            shown = self._read(upcoming)
            if shown is not None and int(shown["version"]) <= delivery.version:
                upcoming.unlink(missing_ok=True)  # in force now, or withdrawn
        text = "\n".join(
            [
                f"{self.settings.heading}（{self.config.name}）",
                f"name: {delivery.name}",
                f"key: {delivery.key}",
                f"state: {state}",
                f"version: {delivery.version}",
                f"content_hash: {delivery.content_hash or ''}",
                f"reason: {delivery.reason or ''}",
            ]
        )
        path = self._file(delivery.guide_id, state)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_text(text + "\n", encoding="utf-8")
        partial.replace(path)  # a reader never sees half a file; the same delivery, the same bytes
        return {"file": path.name, "key": delivery.key}

    def lookup(self, delivery: Delivery) -> Receipt | None:
        state = STATES.get(delivery.action, "withdrawn")
        shown = self._read(self._file(delivery.guide_id, state))
        if shown is None or shown["key"] != delivery.key:
            return None  # not there: the publisher delivers it (again)
        return {"file": self._file(delivery.guide_id, state).name, "key": delivery.key}

    def read_back(self, guide_id: str, expected: Shown | None = None) -> Shown | None:
        entries = [
            _entry(fields)
            for state in ("current", "upcoming")
            if (fields := self._read(self._file(guide_id, state))) is not None
        ]
        if not entries:
            return None  # the board shows nothing of this guide
        shown = entries[0]
        if len(entries) == 2:
            shown["upcoming"] = {k: entries[1][k] for k in ("version", "content_hash")}
        return shown

    def _file(self, guide_id: str, state: str) -> Path:
        suffix = ".upcoming.txt" if state == "upcoming" else ".txt"
        return self.folder / (safe_id(guide_id) + suffix)

    def _read(self, path: Path) -> dict[str, str] | None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()[1:]
        except FileNotFoundError:
            return None
        return dict(line.split(": ", 1) for line in lines)


def _entry(fields: dict[str, str]) -> Shown:
    entry: Shown = {"state": fields["state"], "version": int(fields["version"])}
    if fields["state"] != "withdrawn":
        entry["content_hash"] = fields["content_hash"]
    return entry
