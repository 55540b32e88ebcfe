"""A channel's signed manifest in shards (format 3): a small signed top file that binds, by
SHA-256, the shard files that list the guides and the files.

::

    guides-manifest.json                  format, channel, library, created_at, key id,
                                          algorithm; "shards": shard → SHA-256 of its file
    guides-manifest.json.sig              the base64 Ed25519 signature of the top file's bytes
    guides-manifest.d/<hh>.<sha16>.json   {"guides": {…}, "files": {…}}: the guides whose id,
                                          and the files whose path, has a SHA-256 beginning
                                          with the two hex digits <hh>; <sha16>: the first 16
                                          hex digits of the shard file's own SHA-256

A shard file is named by its content, so a publish writes the shards that changed as new files
beside the old ones, then the signature and the top file (the commit), and only then removes the
shards the new top file no longer names: one change rewrites O(1) shards and the small top file,
and a crash before the commit leaves the old manifest whole. The top file's signature covers
every shard through its hash: a shard changed, put back from an earlier publish, removed or
added is found (``guides verify``), and the print check reads only the shard of its sheet.

A manifest of format 2 or 1 (one file listing everything) is read as it is and replaced by the
next publish. Everything here is pure reading and writing; the writer is :mod:`guidesrc.manifest`.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from guidesrc.fsio import write_atomic
from guidesrc.i18n import _
from guidesrc.manifest_names import MANIFEST, SHARD_DIR

SHARDED = 3  # the first format in shards
_SHARD = re.compile(r"^[0-9a-f]{2}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")

Reader = Callable[[str], bytes | None]
#: A manifest shard's keys: the ids of its guides and the paths of its files.
KeyIndex = Callable[[str], tuple[list[str], list[str]]]


def shard_of(key: str) -> str:
    """The shard of a guide id or a file path: the first two hex digits of its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:2]


def shard_file(shard: str, digest: str) -> str:
    """The shard file's path in the channel's folder."""
    return f"{SHARD_DIR}/{shard}.{digest[:16]}.json"


def manifest_bytes(header: Mapping[str, Any], parts: Mapping[str, Mapping[str, Any]]) -> bytes:
    """JSON with one entry per line (sorted): ``grep HASH`` finds a name with its hash. The
    same input always gives the same bytes. ``parts`` ("guides", "files", "shards"): entries."""
    opt = orjson.OPT_SORT_KEYS
    lines = [b"{"]
    lines += [orjson.dumps(k) + b":" + orjson.dumps(header[k], option=opt) + b"," for k in header]
    last = len(parts) - 1
    for at, (name, items) in enumerate(parts.items()):
        lines.append(orjson.dumps(name) + b":{")
        body = [orjson.dumps(k) + b":" + orjson.dumps(items[k], option=opt) for k in sorted(items)]
        if body:
            lines.append(b",\n".join(body))
        lines.append(b"}," if at < last else b"}")
    lines.append(b"}")
    return b"\n".join(lines) + b"\n"


def shard_bodies(
    guides: Mapping[str, Any],
    files: Mapping[str, Any],
    only: set[str] | None = None,
    keys: KeyIndex | None = None,
) -> dict[str, bytes]:
    """Each shard's file content (only shards that list something; with ``only``, those). With
    ``keys`` (and ``only``), only the entries the key index gives for those shards are read."""
    split: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    if only is not None and keys is not None:
        for shard in only:
            ids, rels = keys(shard)
            if ids or rels:
                split[shard] = ({k: guides[k] for k in ids}, {k: files[k] for k in rels})
    else:
        _split(split, guides, files, only)
    return {shard: manifest_bytes({}, {"guides": g, "files": f}) for shard, (g, f) in split.items()}


def _split(
    split: dict[str, tuple[dict[str, Any], dict[str, Any]]],
    guides: Mapping[str, Any],
    files: Mapping[str, Any],
    only: set[str] | None,
) -> None:
    for at, items in enumerate((guides, files)):
        for key, entry in items.items():
            shard = shard_of(key)
            if only is None or shard in only:
                split.setdefault(shard, ({}, {}))[at][key] = entry


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Expanded:
    """A manifest's guides and files, read from its shards; ``problems``: (kind, path, message)
    of each shard that could not be proven against the top file."""

    guides: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # the shard files the top file names
    problems: list[tuple[str, str, str]] = field(default_factory=list)


def sharded(top: Mapping[str, Any]) -> bool:
    return isinstance(top.get("format"), int) and top["format"] >= SHARDED


def expand(top: Mapping[str, Any], read: Reader) -> Expanded:
    """The guides and files of a manifest: a sharded one's from the shards its top file names
    (each checked against its SHA-256 there), an older one's as it lists them."""
    found = Expanded()
    if not sharded(top):
        found.guides = dict(top.get("guides") or {})
        found.files = dict(top.get("files") or {})
        return found
    shards = top.get("shards")
    if not isinstance(shards, dict):
        found.problems.append(("modified", SHARD_DIR, _("the manifest names no shards")))
        return found
    for shard, digest in sorted(shards.items()):
        if not _SHARD.match(str(shard)) or not _DIGEST.match(str(digest)):
            message = _("the manifest names a shard wrongly: {shard}").format(shard=shard)
            found.problems.append(("modified", SHARD_DIR, message))
            continue
        rel = shard_file(shard, digest)
        found.names.add(rel)
        body = _shard_body(found, rel, digest, read(rel))
        if body is not None:
            found.guides.update(body.get("guides") or {})
            found.files.update(body.get("files") or {})
    return found


def _shard_body(
    found: Expanded, rel: str, digest: str, data: bytes | None
) -> dict[str, Any] | None:
    if data is None:
        found.problems.append(("missing", rel, _("a shard of the manifest is missing")))
        return None
    if hashlib.sha256(data).hexdigest() != digest:
        message = _("the shard's SHA-256 is not the one the signed manifest gives it")
        found.problems.append(("modified", rel, message))
        return None
    body = orjson.loads(data)
    return body if isinstance(body, dict) else {}


def read_manifest(out: Path) -> dict[str, Any]:
    """The folder's manifest as one mapping: its top file's fields, with the guides and files of
    its shards (for readers that want it whole: tests, tools; verify reports each shard)."""
    top = orjson.loads((out / MANIFEST).read_bytes())
    found = expand(top, folder_reader(out))
    return {**top, "guides": found.guides, "files": found.files}


def lookup_file(top: Mapping[str, Any], rel: str, read: Reader) -> Any:
    """The manifest's entry of the file ``rel``, reading only its shard (checked against the
    top file); None when it is not listed or its shard cannot be proven."""
    if not sharded(top):
        return (top.get("files") or {}).get(rel)
    shard = shard_of(rel)
    digest = (top.get("shards") or {}).get(shard)
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        return None
    data = read(shard_file(shard, digest))
    if data is None or hashlib.sha256(data).hexdigest() != digest:
        return None
    return (orjson.loads(data).get("files") or {}).get(rel)


def folder_reader(out: Path) -> Reader:
    """Read a file of the folder (never through a symbolic link); None if there is none."""
    return lambda rel: read_regular(out / rel)


def read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file (never through a symbolic link); None if there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read() if stat.S_ISREG(os.fstat(fd).st_mode) else None


def shard_folder_names(out: Path) -> list[str]:
    """The entries of the folder's shard folder, as paths in the channel's folder."""
    try:
        with os.scandir(out / SHARD_DIR) as listing:
            return sorted(f"{SHARD_DIR}/{entry.name}" for entry in listing)
    except (FileNotFoundError, NotADirectoryError):
        return []


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Previous:
    """The signed manifest a publish builds on: its shards (shard → SHA-256), untouched in the
    folder since it was signed, and the guide ids and file paths whose entries may differ now."""

    shards: Mapping[str, str]
    changed: set[str]
    keys: KeyIndex | None = None  # per shard, its keys now (else every entry is walked)


def write_shards(
    out: Path,
    guides: Mapping[str, Any],
    files: Mapping[str, Any],
    previous: Previous | None = None,
) -> dict[str, str]:
    """Write the shard files that are not there as they should be; shard → SHA-256, for the
    top file. Shards are named by their content: a file there already with the same bytes stays.
    With ``previous``, only the shards of what changed are built again, the others kept."""
    folder = out / SHARD_DIR
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()  # never written through a link
    folder.mkdir(exist_ok=True)
    touched = None if previous is None else {shard_of(key) for key in previous.changed}
    digests: dict[str, str] = {}
    if previous is not None and touched is not None:
        digests = {s: d for s, d in previous.shards.items() if s not in touched}
    keys = None if previous is None else previous.keys
    for shard, data in shard_bodies(guides, files, touched, keys).items():
        digest = hashlib.sha256(data).hexdigest()
        digests[shard] = digest
        rel = shard_file(shard, digest)
        if read_regular(out / rel) != data:
            write_atomic(out / rel, data, 0o644)
    return digests


def remove_unnamed(out: Path, digests: Mapping[str, str]) -> None:
    """After the commit: remove every entry of the shard folder the top file does not name."""
    named = {shard_file(s, d) for s, d in digests.items()}
    for rel in shard_folder_names(out):
        if rel not in named:
            path = out / rel
            if path.is_dir() and not path.is_symlink():
                continue  # a folder nobody writes there: verify reports it, nothing is deleted
            path.unlink(missing_ok=True)
