"""The hotline's FAQ state: which guides give which FAQ entry, kept between runs.

The FAQ entries of the knowledge base are library-wide (an entry is taken from the guide that
carries it approved last, with every guide and issuer that uses it), so a run that changes one
guide must know every other guide's entries without reading every shard of the manifest. This
state keeps, per FAQ entry, per guide, the guide's contribution ``[approval time, issuer,
entry]``, and each entry as the FAQ files list it; a run replaces the contributions of the
guides it changed and makes again only the entries those touch. It is written as a new file
``_state/hotline-faq.<n>.json`` before the manifest's commit, which names its generation ``n``
(the state and the manifest are committed together; :mod:`guidesrc.adapters.shards`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from guidesrc.adapters.shards import STATE, GuideStates
from guidesrc.errors import ChannelError
from guidesrc.fsio import write_atomic
from guidesrc.i18n import _

Contributions = dict[str, list[Any]]  # FAQ id → [approved_at, issuer, entry]
By = dict[str, dict[str, list[Any]]]  # FAQ id → guide id → its contribution


def _path(folder: Path, generation: int) -> Path:
    return folder / STATE / f"hotline-faq.{generation}.json"


class FaqState:
    """Per FAQ entry, per guide, its contribution (``by``), and each entry as the files list it
    (``entries``, made from its contributions: kept, so that a run makes again only the entries
    whose contributions it changed)."""

    def __init__(
        self, folder: Path, generation: int | None, by: By, entries: dict[str, Any]
    ) -> None:
        self.folder = folder
        self.generation = generation  # None: no state yet (every guide is read)
        self.by = by
        self.entries = entries
        self.changed = False
        self.touched: set[str] | None = set()  # None: every entry

    @classmethod
    def load(cls, folder: Path, generation: Any) -> FaqState:
        if not isinstance(generation, int):
            return cls(folder, None, {}, {})
        path = _path(folder, generation)
        try:
            body = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ChannelError(
                _("the {kind} manifest {path} cannot be read: {reason}").format(
                    kind="hotline", path=path, reason=exc
                )
            ) from exc
        if not (
            isinstance(body, dict)
            and isinstance(body.get("by"), dict)
            and isinstance(body.get("entries"), dict)
        ):
            raise ChannelError(
                _("{path} is not a manifest of a {kind} channel written by this guidesrc").format(
                    path=path, kind="hotline"
                )
            )
        return cls(folder, generation, body["by"], body["entries"])

    @staticmethod
    def gather(given: dict[str, Contributions]) -> By:
        """Per FAQ entry, per guide, the contributions ``given`` per guide."""
        by: By = {}
        for gid, found in given.items():
            for fid, contribution in found.items():
                by.setdefault(fid, {})[gid] = contribution
        return by

    def replace(self, given: dict[str, Contributions]) -> None:
        """Every guide's contributions (the state made anew)."""
        self.by = self.gather(given)
        self.changed = True
        self.touched = None

    def update(self, given: dict[str, Contributions]) -> None:
        """The contributions of the guides ``given`` (the others' stay)."""
        for gid, found in given.items():
            for fid in [f for f, used in self.by.items() if gid in used and f not in found]:
                del self.by[fid][gid]
                if not self.by[fid]:
                    del self.by[fid]
                self._touch(fid)
            for fid, contribution in found.items():
                used = self.by.setdefault(fid, {})
                if used.get(gid) != contribution:
                    used[gid] = contribution
                    self._touch(fid)

    def _touch(self, fid: str) -> None:
        self.changed = True
        if self.touched is not None:
            self.touched.add(fid)

    def refresh(self, make: Any) -> bool:
        """Make the touched entries again (``make(fid, contributions)``); whether any of them
        is not what it was (the FAQ files must then be written)."""
        fids = sorted(self.by) if self.touched is None else sorted(self.touched)
        if self.touched is None:
            self.entries = {}
        moved = False
        for fid in fids:
            entry = make(fid, self.by[fid]) if fid in self.by else None
            if entry != self.entries.get(fid):
                moved = True
                if entry is None:
                    del self.entries[fid]
                else:
                    self.entries[fid] = entry
        return moved

    def listed(self) -> list[dict[str, Any]]:
        """The FAQ entries, by id."""
        return [self.entries[fid] for fid in sorted(self.entries)]

    def save(self, guides: GuideStates) -> int | None:
        """Write the state as a new generation when it changed; the generation the manifest
        names (kept by the manifest's clean-up through ``guides.extra``)."""
        if self.changed or self.generation is None:
            self.generation = (self.generation or 0) + 1
            body = {"by": self.by, "entries": self.entries}
            data = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
            write_atomic(_path(self.folder, self.generation), data, 0o644)
        guides.extra.add(_path(self.folder, self.generation).name)
        return self.generation
