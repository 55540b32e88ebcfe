"""The hotline's FAQ state: which guides give which FAQ entry, kept between runs, in shards.

The FAQ entries of the knowledge base are library-wide (an entry is taken from the guide that
carries it approved last, with every guide and issuer that uses it), so a run that changes one
guide must know every other guide's contributions to the entries it touches, without reading
every shard of the manifest. This state keeps, per FAQ entry, per guide, the guide's
contribution ``[approval time, issuer, entry]`` (``by``), and the entry as the FAQ files list it
(``entry``). It is spread over the 256 shards of :func:`guidesrc.adapters.shards.shard_of`, by
FAQ id::

    <path>/_state/hotline-faq-<hh>.<n>.json   {kind, shard, entries: {FAQ id: {by, entry}}}

A run that changes guides reads only the shards of the entries those guides gave before (their
committed states: :attr:`GuideStates.before`) and give now, replaces their contributions, makes
again only the entries touched, and writes the changed shards as new generations (synced with
the run's other files) before the manifest's commit, which names them (``faq_state``: per shard
its generation; the superseded files are removed after it, as the manifest's own shards). The
whole FAQ (``items/faq.csv``, ``json/faq.json``) is made again, from every shard, only when a
touched entry is not what it was.

The one-file layout before (``_state/hotline-faq.<n>.json``, ``faq_state`` its generation ``n``)
is read once, written into shards, and removed by the clean-up after the commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from guidesrc.adapters.shards import STATE, GuideStates, not_ours
from guidesrc.errors import ChannelError
from guidesrc.i18n import _

Contributions = dict[str, list[Any]]  # FAQ id → [approved_at, issuer, entry]
By = dict[str, dict[str, list[Any]]]  # FAQ id → guide id → its contribution

#: The shards' files are ``_state/hotline-faq-<hh>.<n>.json``.
KIND = "hotline-faq"


class FaqShards(GuideStates):
    """The FAQ state's shards: per FAQ id, ``{"by": {guide id: contribution}, "entry": …}``."""

    field = "entries"


class FaqState:
    """The FAQ state of a run: its shards, read as they are asked for, and the entries whose
    contributions the run changed (``touched``)."""

    def __init__(self, folder: Path, generations: dict[str, int], whole: bool) -> None:
        self.folder = folder
        self.shards = FaqShards(folder, KIND, generations)
        #: made from every guide (no state yet, or everything rendered again): the files too
        self.whole = whole
        self.touched: set[str] = set()

    @classmethod
    def load(cls, folder: Path, named: Any, *, everything: bool = False) -> FaqState:
        """The state the manifest's ``faq_state`` names (per shard, its generation); a
        generation of the one-file layout (an int) is taken over; None: no state yet.
        ``everything``: the state is made anew (its generations numbered on)."""
        if isinstance(named, dict):
            if not all(isinstance(g, int) for g in named.values()):
                raise not_ours(folder / ".hotline-manifest.json", "hotline")
            return cls(folder, named, everything)
        state = cls(folder, {}, everything or not isinstance(named, int))
        if not state.whole:
            state.take_over(folder / STATE / f"hotline-faq.{named}.json")
        return state

    def take_over(self, path: Path) -> None:
        """Read the state of the one-file layout into the shards (each written at :meth:`save`;
        the file itself, no longer named, is removed after the commit)."""
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
            raise not_ours(path, "hotline")
        for fid, used in sorted(body["by"].items()):
            self.shards[fid] = {"by": used, "entry": body["entries"].get(fid)}

    @staticmethod
    def gather(given: dict[str, Contributions]) -> By:
        """Per FAQ entry, per guide, the contributions ``given`` per guide."""
        by: By = {}
        for gid, found in given.items():
            for fid, contribution in found.items():
                by.setdefault(fid, {})[gid] = contribution
        return by

    def replace(self, given: dict[str, Contributions]) -> None:
        """Every guide's contributions (the state made anew: every shard written again)."""
        self.shards.reset()
        by = self.gather(given)
        for fid, used in by.items():
            self.shards[fid] = {"by": used, "entry": None}
        self.whole = True
        self.touched = set(by)

    def update(self, before: dict[str, Contributions], now: dict[str, Contributions]) -> None:
        """The contributions of the guides ``now`` lists, which gave ``before`` (the others'
        stay): only the shards of the entries these name are read."""
        for gid, found in now.items():
            for fid in sorted(before.get(gid, {}).keys() - found.keys()):
                record = self.shards.get(fid)
                if record is not None and gid in record["by"]:
                    del record["by"][gid]
                    self._touch(fid, record)
            for fid, contribution in found.items():
                record = self.shards.get(fid) or {"by": {}, "entry": None}
                if record["by"].get(gid) != contribution:
                    record["by"][gid] = contribution
                    self._touch(fid, record)

    def _touch(self, fid: str, record: dict[str, Any]) -> None:
        self.shards[fid] = record  # its shard is written
        self.touched.add(fid)

    def refresh(self, make: Any) -> bool:
        """Make the touched entries again (``make(fid, contributions)``); whether the FAQ files
        must be written (one of them is not what it was, or the state was made whole)."""
        moved = self.whole
        for fid in sorted(self.touched):
            record = self.shards.get(fid)
            if record is None:
                continue
            if not record["by"]:  # no guide gives it any more
                del self.shards[fid]
                moved = moved or record["entry"] is not None
                continue
            entry = make(fid, record["by"])
            if entry != record["entry"]:
                record["entry"] = entry
                moved = True
        return moved

    def listed(self) -> list[dict[str, Any]]:
        """The FAQ entries, by id (reads every shard)."""
        return [record["entry"] for _fid, record in self.shards.items()]

    def save(self, guides: GuideStates) -> dict[str, int]:
        """Write the changed shards as new generations; the generations the manifest names
        (their files kept by the manifest's clean-up through ``guides.extra``)."""
        generations = self.shards.save()
        guides.extra |= self.shards.names()
        return generations
