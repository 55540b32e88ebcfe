"""The site's manifest on disk: a small top file and parts addressed by their hash.

::

    _state/manifest.json          format 3: build, fingerprint, forms, pinyin, and per shard
                                  the SHA-256 of its part
    _state/parts/<sha256>.json    one shard: the guides whose id falls in it (by the first byte
                                  of the id's SHA-256), their change notices and applied keys

A publish that changes one guide writes one new part and the top file, and keeps the other
parts as they are (the signed manifests keep their shards so too,
:mod:`guidesrc.manifest_shards`). New parts are written aside and renamed into place before the
top file is renamed over the old one (:mod:`guidesrc.site.store`), so a crash leaves the old top
file and every part it names; the parts no top file names any more are removed after it.
A site whose manifest is one file (format 1, before the parts) is read as it is; the next publish
writes it in parts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

#: 3: a listing keeps its search texts as one JSON text (:func:`guidesrc.site.search.search_text`;
#: an older guidesrc, which would take that text for a list of texts, refuses it).
FORMAT = 3
#: Parts whose listings keep their search texts as lists (read as they are; a full build
#: keeps them as JSON text, :func:`guidesrc.site.search.keep_as_text`).
LIST_FORMAT = 2
SINGLE_FORMAT = 1  # the whole manifest in one file
PARTS = "_state/parts"

Section = dict[str, dict[str, Any]]
#: A shard's share of the manifest: its guides, notices and applied delivery keys.
SECTIONS = ("guides", "notices", "applied")


def shard_of(guide_id: str) -> str:
    return hashlib.sha256(guide_id.encode()).hexdigest()[:2]


def applied_guide(key: str) -> str:
    """The guide of a delivery key (``<guide>@<version>:<action>``)."""
    return key.rsplit("@", 1)[0]


def part_name(digest: str) -> str:
    return f"{PARTS}/{digest}.json"


def part_body(sections: Mapping[str, Section]) -> tuple[str, bytes]:
    """A part's bytes and their SHA-256."""
    data = orjson.dumps({k: sections[k] for k in SECTIONS}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(data).hexdigest(), data


def split(guides: Section, notices: Section, applied: Section) -> dict[str, dict[str, Section]]:
    """Every shard's sections (the whole manifest, grouped)."""
    shards: dict[str, dict[str, Section]] = {}

    def into(shard: str) -> dict[str, Section]:
        return shards.setdefault(shard, {k: {} for k in SECTIONS})

    for gid, rec in guides.items():
        into(shard_of(gid))["guides"][gid] = rec
    for key, summary in notices.items():
        into(shard_of(summary["guide"]))["notices"][key] = summary
    for key, receipt in applied.items():
        into(shard_of(applied_guide(key)))["applied"][key] = receipt
    return shards


def read_parts(root: Path, parts: Mapping[str, str]) -> dict[str, dict[str, Section]]:
    """The shards a top file names, read from their parts (plain names: no path objects)."""
    folder = f"{root}/{PARTS}"
    out = {}
    for shard, digest in parts.items():
        with open(f"{folder}/{digest}.json", "rb") as handle:
            out[shard] = orjson.loads(handle.read())
    return out


def unused_parts(root: Path, keep: Iterable[str]) -> list[Path]:
    """The part files of ``root`` no top file names (replaced, or left by a crash)."""
    folder = root / PARTS
    wanted = {Path(part_name(digest)).name for digest in keep}
    try:
        return [p for p in folder.iterdir() if p.name not in wanted and not p.name.startswith(".")]
    except FileNotFoundError:
        return []
