"""The site's largest library-wide files edited in their bytes: an incremental publish replaces,
removes or inserts the entries of the guides it changes in ``api/index.json`` and
``sitemap.xml`` and puts its new notices into ``api/notices.json``; the other entries are
neither built nor dumped again.

The JSON files are dumped without indentation, so an entry is the bytes ``orjson`` gives for it
alone, and the entries are told apart by how each begins: ``{"id":"`` (an index entry's first
key) and ``{"action":"`` (a notice's first key, the keys sorted). Inside a JSON string a quote is
always escaped, so neither sequence can occur in a value. The sitemap has a line per guide. Whatever
does not look as expected (no file, another shape, a count that does not add up — a publish
that crashed after the file was renamed into place, say) gives None: the caller renders the
file whole. Either way the bytes are those of a full build (``tests/test_site_splice.py``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

#: More changed entries than this: the file is rendered whole (each splice copies the file).
MOST = 50

_GUIDE = b'{"id":"'
_NOTICE = b'{"action":"'
_END = b"]}"


@dataclass(frozen=True, slots=True)
class Served:
    """What an incremental publish splices into: the files as served, and what changes."""

    index: bytes | None
    notices: bytes | None
    sitemap: bytes | None
    guides: frozenset[str]  # the guides whose entries are made again
    new_notices: frozenset[str]  # the keys of the notices new to the site

    @classmethod
    def read(cls, root: Path, guides: Sequence[str], new_notices: Sequence[str]) -> Served:
        return cls(
            _read(root / "api/index.json"),
            _read(root / "api/notices.json"),
            _read(root / "sitemap.xml"),
            frozenset(guides),
            frozenset(new_notices),
        )


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


@dataclass(frozen=True, slots=True)
class Entries:
    """How a file lists one entry per guide, in id order: after ``head``, each entry begins
    with ``marker``, the guide's id and ``close``; entries are joined by ``sep``; ``tail``
    ends the file. ``sep`` + ``marker`` occurs nowhere else in the file."""

    head: bytes
    marker: bytes
    close: bytes
    sep: bytes
    tail: bytes

    def find(self, data: bytes, gid: str) -> int:
        return data.find(self.marker + gid.encode() + self.close, len(self.head))


def index_entries(title: str, base_url: str) -> Entries:
    """``api/index.json``'s entries."""
    empty = orjson.dumps({"format": 1, "title": title, "base_url": base_url, "guides": []})
    return Entries(empty[: -len(_END)], _GUIDE, b'",', b",", _END)


def spliced(
    data: bytes | None,
    form: Entries,
    entries: Mapping[str, bytes | None],
    ids: Callable[[], list[str]],
) -> bytes | None:
    """``data`` with the entries of the guides in ``entries`` (id → their bytes; None: the
    guide has none any more) replaced, removed, or inserted in id order (``ids``: the id of
    every guide with an entry, sorted)."""
    if (
        data is None
        or len(entries) > MOST
        or not data.startswith(form.head + form.marker)
        or not data.endswith(form.tail)
    ):
        return None
    for gid in sorted(entries):
        body, start = entries[gid], form.find(data, gid)
        if start < 0:
            data = data if body is None else _inserted(data, form, gid, body, ids())
            continue
        last = len(data) - len(form.tail)  # where the last entry ends
        end = data.find(form.sep + form.marker, start)
        end = last if end < 0 else end
        if body is not None:
            data = data[:start] + body + data[end:]
        elif end < last:  # the entry and the separator after it
            data = data[:start] + data[end + len(form.sep) :]
        elif start > len(form.head):  # the last entry and the separator before it
            data = data[: start - len(form.sep)] + data[end:]
        else:
            return None  # the only entry: the file is made whole
    return data


def _inserted(data: bytes, form: Entries, gid: str, entry: bytes, ids: list[str]) -> bytes:
    """``data`` with the entry of a guide it does not have put before the next one it has."""
    for later in ids[bisect_right(ids, gid) :]:
        at = form.find(data, later)
        if at >= 0:
            return data[:at] + entry + form.sep + data[at:]
    end = len(data) - len(form.tail)
    return data[:end] + form.sep + entry + data[end:]


def spliced_notices(
    data: bytes | None,
    head: bytes,
    latest: Sequence[Mapping[str, Any]],
    new: Sequence[tuple[Mapping[str, Any], bytes]],
) -> bytes | None:
    """``data`` (``api/notices.json``) with the notices ``new`` (each summary, as in
    ``latest``, and its bytes) put where they fall in ``latest`` (every notice, in the file's
    order)."""
    if (
        data is None
        or len(new) > MOST
        or not data.startswith(head + _NOTICE)
        or not data.endswith(_END)
        or not all(body.startswith(_NOTICE) for _summary, body in new)
    ):
        return None
    between = b"," + _NOTICE
    count = data.count(between, len(head)) + 1  # the notices in the file
    try:  # the same objects: found at once (a new notice is mostly the first)
        at = sorted((latest.index(summary), body) for summary, body in new)
    except ValueError:
        return None
    if count + len(new) != len(latest):
        return None
    out, done, offset, entry = [], 0, len(head), 0  # the file's entry at ``offset``
    for inserted, (n, body) in enumerate(at):
        if n - inserted == count:  # after the last one
            offset, body = len(data) - len(_END), b"," + body
        else:
            while entry < n - inserted:  # the new notice goes before the old entry n - inserted
                offset = data.index(between, offset + 1) + 1
                entry += 1
            body += b","
        out += [data[done:offset], body]
        done = offset
    out.append(data[done:])
    return b"".join(out)
