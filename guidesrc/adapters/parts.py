"""Rendered pieces of an export's library-wide files, kept per guide between runs.

The hotline knowledge base and the mobile index hold one record per guide of the library. A run
that delivers one guide must not render the other 9,999 again: each guide's pieces (its JSON
record as it sits in the file, its CSV row) are kept in ``<path>/.<kind>-parts.json`` with the
guide's **token**, a digest of the delivery keys applied to it in the export's manifest. Pieces
are reused while the token, the header (the export's settings that shape every record) and the
code fingerprint are the same; anything else is rendered again. The combined files are then
joined from the pieces: their bytes are exactly those of a full rebuild (tests/test_exports.py
checks it), so the cache only saves time.

The pieces file lives in the channel's folder beside the manifest and is trusted as that
manifest is (both are written by the export only, listed and signed with the channel).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from guidesrc.adapters.batchfiles import write_if_changed

PARTS_FORMAT = 1
_INDENT = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2

Pieces = list[str]


@cache
def code_fingerprint(*modules: str) -> str:
    """A digest of the named source files (relative to the package) and this module."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in modules:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()


def token(state: dict[str, Any]) -> str:
    """What a guide's pieces are valid for: the delivery keys applied to it, in order."""
    return hashlib.sha1("\n".join(state["keys"]).encode(), usedforsecurity=False).hexdigest()


class Parts:
    """The pieces of every guide, as kept in ``path`` for ``header``; :meth:`save` writes them."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        self.header = {"format": PARTS_FORMAT, **header}
        self.guides: dict[str, list[Any]] = {}
        try:
            body = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return  # none yet, or unreadable: everything is rendered again
        if isinstance(body, dict) and body.get("header") == self.header:
            guides = body.get("guides")
            self.guides = guides if isinstance(guides, dict) else {}

    def pieces(self, gid: str, state: dict[str, Any], render: Callable[[], Pieces]) -> Pieces:
        """The guide's pieces: kept ones if still valid, else ``render()`` (then kept)."""
        valid = token(state)
        kept = self.guides.get(gid)
        if (
            isinstance(kept, list)
            and len(kept) > 1
            and kept[0] == valid
            and all(isinstance(p, str) for p in kept)
        ):
            return kept[1:]
        fresh = render()
        self.guides[gid] = [valid, *fresh]
        return fresh

    def save(self, shown: Iterable[str]) -> None:
        """Keep the pieces of the guides ``shown`` (others are gone from the export)."""
        wanted = set(shown)
        guides = {gid: p for gid, p in sorted(self.guides.items()) if gid in wanted}
        write_if_changed(self.path, orjson.dumps({"header": self.header, "guides": guides}))


# --- joining pieces into the bytes a full rebuild writes -----------------------------------------


def record(value: Any, depth: int = 2) -> str:
    """``value`` as ``json_bytes`` writes it as an item of a list ``depth`` levels deep."""
    return _indented(orjson.dumps(value, option=_INDENT), depth).decode("utf-8")


def _indented(data: bytes, depth: int) -> bytes:
    pad = b"  " * depth
    return pad + data.replace(b"\n", b"\n" + pad)


def json_object(fields: dict[str, Any], lists: dict[str, list[str]]) -> bytes:
    """``json_bytes({**fields, **lists})``, where each list is given as its items' :func:`record`
    texts: sorted keys, two-space indent, a final newline."""
    parts: list[bytes] = []
    for key in sorted({*fields, *lists}):
        name = orjson.dumps(key)
        if key in lists:
            items = lists[key]
            if not items:
                parts.append(b"  " + name + b": []")
            else:
                body = ",\n".join(items).encode("utf-8")
                parts.append(b"  " + name + b": [\n" + body + b"\n  ]")
        else:
            value = orjson.dumps(fields[key], option=_INDENT)
            parts.append(b"  " + name + b": " + value.replace(b"\n", b"\n  "))
    if not parts:
        return b"{}\n"
    return b"{\n" + b",\n".join(parts) + b"\n}\n"


def csv_row(cells: list[str]) -> str:
    """One CSV row as ``csv.writer`` writes it (``\\r\\n`` at the end)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()
