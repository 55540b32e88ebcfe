"""The pdf channel's manifest on disk: a small top file, the guides' entries in parts, a file per
publish's changes.

::

    manifest.json                  format 2: per shard the SHA-256 of its part; the publishes
                                   kept (sequence number, time, the file of their changes)
    _state/guides-<sha256>.json    one shard: the entries of the guides whose id falls in it (by
                                   the first byte of the id's SHA-256), named by its own SHA-256
    _state/run-<seq>.json          one publish's changes (kept for the newest RUNS_KEPT)

A publish that changes one guide writes that guide's part, its run's file and the top file; the
other parts stay as they are. New parts and the run's file are written first, the top file is
replaced last, and the files no top file names any more are removed after it: a crash leaves the
old top file and every file it names, so a reader sees the old manifest or the new one, never a
mix. Every file lies inside the channel folder and is signed with the sheets; the ``_state/``
files are checked file by file before each publish (a part edited by hand holds the channel,
:mod:`guidesrc.channel_audit`), and a reader checks a part against the SHA-256 the top file names.

A manifest in one file (format 1: ``guides`` and ``runs`` in ``manifest.json``) is read as it is;
the next publish writes it in parts.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from guidesrc import faults
from guidesrc.errors import SheetProblem
from guidesrc.fsio import fsync_path, staged, write_atomic
from guidesrc.i18n import _

MANIFEST = "manifest.json"
FORMAT = 2
SINGLE_FORMAT = 1  # the whole manifest in one file
STATE = "_state"
_TOP_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2

Entries = dict[str, dict[str, Any]]


def shard_of(guide_id: str) -> str:
    return hashlib.sha256(guide_id.encode()).hexdigest()[:2]


def part_rel(digest: str) -> str:
    return f"{STATE}/guides-{digest}.json"


def run_rel(seq: int) -> str:
    return f"{STATE}/run-{seq:06d}.json"


def empty_top() -> dict[str, Any]:
    return {"format": FORMAT, "parts": {}, "runs": []}


def read_top(folder: Path) -> dict[str, Any] | None:
    """The top file as written (either format); None when there is none."""
    try:
        data: dict[str, Any] = orjson.loads((folder / MANIFEST).read_bytes())
    except FileNotFoundError:
        return None
    return data


def split(guides: Mapping[str, dict[str, Any]]) -> dict[str, Entries]:
    """The guides' entries by shard."""
    shards: dict[str, Entries] = {}
    for gid, entry in guides.items():
        shards.setdefault(shard_of(gid), {})[gid] = entry
    return shards


def part_body(entries: Mapping[str, dict[str, Any]]) -> tuple[str, bytes]:
    """A part's bytes and their SHA-256."""
    data = orjson.dumps(dict(entries), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(data).hexdigest(), data


def read_part(folder: Path, digest: str, check: bool = False) -> Entries:
    """One part's entries; with ``check``, SheetProblem unless its bytes have its SHA-256."""
    rel = part_rel(digest)
    data = (folder / rel).read_bytes()
    if check and hashlib.sha256(data).hexdigest() != digest:
        raise SheetProblem(
            _(
                "the print manifest's part {file} is not the one published (its SHA-256 differs from the manifest's)"
            ).format(file=rel)
        )
    entries: Entries = orjson.loads(data)
    return entries


def read_guides(folder: Path, guide_id: str | None = None) -> Entries:
    """The guides' entries as the folder's manifest has them (all, or only ``guide_id``'s
    shard), each part checked against its SHA-256. A part removed while it was being read (a
    publish replaced the top file meanwhile) is read again from the new top file."""
    for attempt in range(2):
        top = read_top(folder) or empty_top()
        if top.get("format", SINGLE_FORMAT) == SINGLE_FORMAT:
            guides: Entries = top.get("guides") or {}
            return guides
        parts: dict[str, str] = top.get("parts") or {}
        wanted = parts if guide_id is None else {shard_of(guide_id): parts.get(shard_of(guide_id))}
        try:
            found: Entries = {}
            for digest in wanted.values():
                if digest is not None:
                    found.update(read_part(folder, digest, check=True))
            return found
        except FileNotFoundError as exc:
            if attempt:
                raise SheetProblem(
                    _(
                        "the print manifest names the part {file}, which is not in the folder: the print bundle is not as published; rewrite it with guides publish --rebuild CHANNEL"
                    ).format(file=Path(str(exc.filename)).relative_to(folder).as_posix())
                ) from exc
    raise AssertionError("unreachable")


def read_whole(folder: Path) -> dict[str, Any]:
    """The whole manifest as format 1 had it: ``guides`` (sorted) and ``runs`` with their
    changes (for tests and tools; the channel's readers read only what they need)."""
    top = read_top(folder) or empty_top()
    if top.get("format", SINGLE_FORMAT) == SINGLE_FORMAT:
        return {"guides": {}, "runs": [], **top}
    guides = read_guides(folder)
    runs = [
        {"seq": run["seq"], "at": run["at"], "changes": read_run(folder, run)}
        for run in top.get("runs", [])
    ]
    return {"format": FORMAT, "guides": dict(sorted(guides.items())), "runs": runs}


def read_run(folder: Path, run: Mapping[str, Any]) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = orjson.loads((folder / str(run["file"])).read_bytes())
    return changes


def write(
    folder: Path,
    top: dict[str, Any],
    parts: Mapping[str, bytes],
    runs: Mapping[str, list[dict[str, Any]]],
) -> None:
    """Put a new manifest in place: the new parts (by their digest) and run files first, then
    the top file; then remove the ``_state/`` files it does not name."""
    with staged():  # flushed together (one syncfs for a first publish's 256 parts)
        for digest, data in parts.items():
            write_atomic(folder / part_rel(digest), data)
        for rel, changes in runs.items():
            write_atomic(folder / rel, orjson.dumps(changes, option=orjson.OPT_SORT_KEYS))
    if parts or runs:
        fsync_path(folder / STATE)  # their names on disk before the top file names them
    faults.point("print.parts")
    write_atomic(folder / MANIFEST, orjson.dumps(top, option=_TOP_OPTIONS))
    faults.point("print.manifest")
    for path in unused(folder, top["parts"].values(), (run["file"] for run in top["runs"])):
        path.unlink(missing_ok=True)


def unused(folder: Path, parts: Iterable[str], runs: Iterable[str]) -> list[Path]:
    """The part and run files of ``folder`` no top file names (replaced, or left by a crash)."""
    wanted = {Path(part_rel(digest)).name for digest in parts} | {Path(r).name for r in runs}
    try:
        with os.scandir(folder / STATE) as listing:
            names = [e.name for e in listing if e.is_file(follow_symlinks=False)]
    except FileNotFoundError:
        return []
    ours = [n for n in names if n.startswith(("guides-", "run-")) and n.endswith(".json")]
    return [folder / STATE / n for n in ours if n not in wanted]
