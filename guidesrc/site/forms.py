"""The library's forms on the site: the blank forms and sample sheets (``files/…``) the guides'
materials name, and the samples of their results, published beside the pages so that a citizen downloads them (the page links each
one). Each is published as the library holds it when the site is written; its SHA-256 and size
go into the site's manifest (``_state/manifest.json``, ``files``), and the signed channel
manifest lists it like every file of the site, so ``guides verify`` proves it."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from guidesrc.errors import GuidesError
from guidesrc.library import read_sized

FOLDER = "files/"
MAX_FORM_BYTES = 20 * 1024 * 1024  # a form larger than this is not published (the page says so)


def guide_forms(doc: Mapping[str, Any]) -> list[str]:
    """The files the guide's versions on the site name (in force and announced): its materials'
    blank forms and sample sheets, its results' samples; sorted."""
    paths: set[str] = set()
    for slot in ("current", "upcoming"):
        version = doc.get(slot)
        guide = (version.get("guide") if version else None) or {}
        named = [
            m.get(k) for m in guide.get("materials", []) for k in ("blank_form", "sample_form")
        ]
        named += [r.get("sample") for r in guide.get("results", [])]
        paths.update(
            p for p in named if isinstance(p, str) and p.startswith(FOLDER) and ".." not in p
        )
    return sorted(paths)


def read_forms(library: Path, paths: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each form the library has (a missing, linked or oversized one is left out:
    its page names it and sends the reader to the hall's window)."""
    found: dict[str, bytes] = {}
    for rel in paths:
        try:
            data, size = read_sized(library, rel, MAX_FORM_BYTES)
        except (OSError, GuidesError):
            continue
        if size <= MAX_FORM_BYTES:
            found[rel] = data
    return found


def file_status(library: Path, rel: str) -> list[int] | None:
    """What changes when a form's file is written, replaced or renamed over (device, inode,
    size, modification and status-change times in nanoseconds); None when it is not a plain
    file. The status-change time cannot be set back by the file's owner."""
    try:
        info = os.lstat(os.path.join(library, rel))
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def unchanged_forms(
    library: Path,
    paths: Iterable[str],
    status: Mapping[str, list[int]],
    published: Mapping[str, dict[str, Any]],
) -> tuple[dict[str, dict[str, Any]], dict[str, list[int]]]:
    """Of ``paths``, the forms published before whose file has the status it had when read
    (their index entries, reused without reading them), and the status of every path."""
    now = {rel: found for rel in paths if (found := file_status(library, rel)) is not None}
    kept = {
        rel: published[rel]
        for rel, found in now.items()
        if rel in published and status.get(rel) == found
    }
    return kept, now


def form_index(forms: Mapping[str, bytes]) -> dict[str, dict[str, Any]]:
    """Each form's SHA-256 and size, as the site's manifest keeps them."""
    return {
        rel: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for rel, data in sorted(forms.items())
    }
