"""The site's search files: the index of :mod:`guidesrc.search` over the listed guides, written
as the static shards of :mod:`guidesrc.search.shards` for ``static/search.js``.

A guide's listing (``site/data.py``) keeps its search document (texts by field, as JSON text),
so a publish builds the index of every listed guide from the manifest alone, and an incremental
publish edits the changed guides into the files present (:mod:`guidesrc.search.patch`), writing
only the files whose bytes change. See docs/search.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from guidesrc.search.build import build
from guidesrc.search.documents import search_fields
from guidesrc.search.patch import Documents, update
from guidesrc.search.shards import files
from guidesrc.search.synonyms import Groups


def search_text(guide: Mapping[str, Any]) -> str:
    """What a listing keeps of a guide for search (``search``): its texts by field, as JSON
    text. The manifest is read on every publish and search needs the texts of a few guides
    only: one string per guide parses much faster than its lists of texts."""
    return orjson.dumps(search_fields(guide), option=orjson.OPT_SORT_KEYS).decode()


def keep_as_text(listings: Iterable[dict[str, Any]]) -> None:
    """Listings of an older guidesrc that keep their search texts as lists, kept as JSON text
    from now on (as :func:`search_text` writes it: a full build writes every part again)."""
    for listing in listings:
        if isinstance(listing["search"], Mapping):
            listing["search"] = orjson.dumps(
                listing["search"], option=orjson.OPT_SORT_KEYS
            ).decode()


def document(guide_id: str, listing: Mapping[str, Any]) -> dict[str, Any]:
    fields = listing["search"]
    if isinstance(fields, str):  # JSON text (search_text)
        fields = orjson.loads(fields)
    elif not isinstance(fields, Mapping):  # a manifest of an older guidesrc: texts only
        fields = {"body": list(fields)}
    return {"id": guide_id, "name": listing["name"], "department": listing["department"], **fields}


def themes(listings: Mapping[str, Mapping[str, Any]]) -> Callable[[str], Iterable[str]]:
    """A listed guide's themes as its :func:`document` holds them, without parsing its texts
    (nor reading them: a listing without them as read is one of a JSON text):
    the listing's ``themes`` are the guide's too (as a set, all :func:`theme_counts` counts);
    none in an older manifest's listing that kept the texts only."""

    def of(gid: str) -> Iterable[str]:
        listing = listings[gid]
        fields = listing.get("search")
        if fields is None or isinstance(fields, str):
            return listing["themes"]  # type: ignore[no-any-return]
        return fields.get("themes", ()) if isinstance(fields, Mapping) else ()

    return of


def searchable_text(listing: Mapping[str, Any]) -> str:
    """All the text of a listing that search looks at (a listing that cannot give it fails)."""
    fields = document("", listing)
    texts = [fields["name"], fields["department"]]
    texts += [t for k, v in fields.items() if isinstance(v, list) for t in v]
    return " ".join(t for t in texts if t)


def build_index(listings: Mapping[str, Mapping[str, Any]], groups: Groups) -> dict[str, bytes]:
    """Every file of ``search/`` for these listed guides (id → listing entry)."""
    return files(build((document(g, entry) for g, entry in listings.items()), groups))


def update_index(
    read: Callable[[str], bytes | None],
    present: Iterable[str],
    before: Mapping[str, Mapping[str, Any] | None],
    listings: Mapping[str, Mapping[str, Any]],
    groups: Groups,
    texts: Callable[[str], None] = lambda _gid: None,
) -> tuple[dict[str, bytes], list[str]]:
    """The files of ``search/`` to write and those to remove when the guides of ``before``
    (their listings before the publish; None: not listed) change to ``listings`` (every listed
    guide now), given the files ``present`` and ``read`` to read one (None: missing).
    ``texts``: reads a guide's search texts into its listing (the manifest's parts read only
    for the guides whose documents are made)."""

    def make(gid: str) -> dict[str, Any]:
        texts(gid)
        return document(gid, listings[gid])

    every = Documents(sorted(listings), make, themes(listings))
    if all(entry is not None and gid in listings for gid, entry in before.items()):
        old = {gid: document(gid, entry) for gid, entry in before.items() if entry is not None}
        patched = update(read, every, old, groups)
        if patched is not None:
            return patched
    wanted = files(build(every, groups))  # guides came or went: the numbers change
    changed = {rel: data for rel, data in wanted.items() if read(rel) != data}
    return changed, sorted(set(present) - set(wanted))
