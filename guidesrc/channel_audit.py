"""What a publish may sign: the files it wrote, and files exactly as the last signed manifest.

Two ways to the same judgement. **Incremental** (the usual one): the folder's state at its last
signature is known (the MAC'd stat cache, :mod:`guidesrc.manifest`: per file size, mtime, inode,
SHA-256 and ctime, per folder inode and ctime). Before delivering, :func:`incremental_snapshot`
records each folder's (inode, ctime) and checks the state files (top level and ``_state/``) by
their status: one that is not as signed *holds* the channel (no delivery builds on it). Before
signing, :func:`audit_changes` lists the files the run's journal (:func:`guidesrc.fsio.journal`)
names, lists again every folder whose (inode, ctime) changed, and checks the state files again;
every other file keeps the entry it was signed with — an edit in place elsewhere is never signed,
and ``guides verify`` finds it. **Whole** (no usable cache): :func:`snapshot` records every entry
before the run (inode and change time: no hashing) and :func:`audit` walks the folder again, every
entry (dot-files and files in dot-folders included):

- a file whose inode or change time (``ctime``, which no user can set back) differs from the
  snapshot, or that was not there before, was written by this run: it is listed as it is;
- any other file must be in the channel's last signed manifest with the same SHA-256. That
  manifest is kept in the ledger (``signed_manifest``), so deleting ``guides-manifest.json`` from
  the folder gains nothing;
- a symbolic link, or anything that is not a regular file, is never listed.

Anything else is a :class:`Finding` (planted, modified, removed, link, special): the channel is not
signed (its previous signature stays, so ``guides verify`` keeps flagging the difference), the
finding is logged in the ledger (``manifest.refused``), ``guides status`` shows it and exits 1,
and ``guides publish`` exits 1. The operator removes or restores the files (``guides verify``
names them) or rewrites the whole channel from the ledger (``guides publish --rebuild CHANNEL``);
the next clean run signs and logs ``manifest.clean``.

A channel never signed before (no manifest in the ledger) is signed as found: the first signature
is trust on first use, and publishing with a key from the first run leaves no gap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from guidesrc.ledger.models import Event, ManifestFile, SignedManifest
from guidesrc.ledger.store import event_row
from guidesrc.manifest_cache import STATE_FOLDERS, FileStats, ShardedFiles
from guidesrc.manifest_shards import expand, folder_reader
from guidesrc.statuses import EventKind

if TYPE_CHECKING:
    from guidesrc.ledger import Ledger

ACTOR = "publisher"
REFUSED = EventKind.MANIFEST_REFUSED
CLEAN = EventKind.MANIFEST_CLEAN
SIGNED = EventKind.MANIFEST_SIGNED
PRINT_REFUSED = EventKind.PRINT_REFUSED
KINDS = ("planted", "modified", "removed", "link", "special")
#: What a manifest of format 1 did not list but a channel wrote itself (its own state).
_LEGACY_STATE = re.compile(r"^(_state/.*|\.[a-z]+-manifest\.json)$")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A folder before the run: its real path and, per entry, (inode, ctime in ns) — or, when
    the folder's state at its last signature is known (``signed``), only its folders' (inode,
    ctime) now (``dirs``), and what its state files showed (``held``)."""

    root: Path
    entries: dict[str, tuple[int, int]]
    dirs: dict[str, tuple[int, int]] | None = None
    signed: AsSigned | None = None
    #: state files (top level, ``_state/``) not as last signed: the run does not deliver there
    held: tuple[Finding, ...] = ()
    kept: Any = None  # what the publisher kept of the last signature (its stat cache)


@dataclass(frozen=True, slots=True)
class AsSigned:
    """A folder as its last signature left it (from the MAC'd stat cache): per file [size, mtime,
    inode, SHA-256, ctime], per folder (inode, ctime)."""

    files: Mapping[str, list[Any]]
    dirs: dict[str, tuple[int, int]]
    index: Mapping[str, Mapping[str, int]]  # per folder, its files' names → inodes


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # one of KINDS
    path: str  # relative to the channel's folder, with /

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path}


@dataclass(slots=True)
class Audit:
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path → sha256, size
    stats: MutableMapping[str, list[Any]] = field(default_factory=dict)  # the cache's entries
    new: list[str] = field(default_factory=list)  # hashed now
    findings: list[Finding] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)  # the folders ("" the top, "a/b/" below)
    changed: bool = True  # False: the folder is as signed (audit_changes found nothing)


def entries(
    root: Path, own: frozenset[str], start: str = "", dirs: list[str] | None = None
) -> list[tuple[str, os.DirEntry[str]]]:
    """Every entry under ``root`` (from its folder ``start`` down) that is not a folder (links
    to folders included, never followed), except the manifest's own files (``own``) at the top;
    the folders walked go into ``dirs``."""
    found: list[tuple[str, os.DirEntry[str]]] = []
    stack = [start]
    while stack:
        prefix = stack.pop()
        if dirs is not None:
            dirs.append(prefix)
        with os.scandir(root / prefix if prefix else root) as listing:
            for entry in listing:
                if not prefix and entry.name in own:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(prefix + entry.name + "/")
                else:
                    found.append((prefix + entry.name, entry))
    return found


def folder_stats(root: Path, rels: Iterable[str]) -> dict[str, tuple[int, int]]:
    """(inode, ctime) of each of the folders ``rels`` that is a folder now."""
    found: dict[str, tuple[int, int]] = {}
    for rel in rels:
        try:
            st = os.lstat(root / rel if rel else root)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(st.st_mode):
            found[rel] = (st.st_ino, st.st_ctime_ns)
    return found


def snapshot(folder: Path, own: frozenset[str]) -> Snapshot | None:
    """The folder's entries before the run; None if it does not exist yet (or is not a folder:
    a test channel's file)."""
    if not folder.is_dir():
        return None
    root = folder.resolve()
    seen: dict[str, tuple[int, int]] = {}
    for rel, entry in entries(root, own):
        st = entry.stat(follow_symlinks=False)
        seen[rel] = (st.st_ino, st.st_ctime_ns)
    return Snapshot(root, seen)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Baseline:
    """The files of the channel's last signed manifest; ``legacy``: a format-1 manifest, which
    did not list dot-files nor the site's ``_state/``."""

    files: dict[str, set[str]]  # path → its SHA-256 (every one ever recorded, for ``legacy``)
    legacy: bool = False


def audit(
    out: Path,
    own: frozenset[str],
    before: Snapshot | None,
    baseline: Baseline | None,
    cached: Mapping[str, list[Any]],
) -> Audit:
    """Hash ``out`` (reusing ``cached`` entries whose size, mtime, inode and ctime are the same)
    and judge every entry against the snapshot and the last signed manifest."""
    result = Audit()
    earlier = before.entries if before is not None and before.root == out else {}
    for rel, entry in sorted(entries(out, own, dirs=result.dirs)):
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
            result.findings.append(Finding("link" if stat.S_ISLNK(st.st_mode) else "special", rel))
            continue
        now = [st.st_size, st.st_mtime_ns, st.st_ino]
        known = cached.get(rel)
        if (
            known is not None
            and len(known) == 5
            and known[:3] == now
            and known[4] == st.st_ctime_ns
        ):
            digest = str(known[3])
        else:
            digest = sha256_file(out / rel)
            result.new.append(rel)
        result.files[rel] = {"sha256": digest, "size": st.st_size}
        result.stats[rel] = [*now, digest, st.st_ctime_ns]
        written = earlier.get(rel) != (st.st_ino, st.st_ctime_ns)
        if not written and baseline is not None:
            problem = _judge(rel, digest, baseline)
            if problem:
                result.findings.append(Finding(problem, rel))
    if baseline is not None and earlier:
        gone = set(baseline.files) - set(result.files) - set(earlier)
        result.findings += [Finding("removed", rel) for rel in sorted(gone)]
    return result


def _judge(rel: str, digest: str, baseline: Baseline) -> str | None:
    expected = baseline.files.get(rel)
    if expected is None:
        return None if baseline.legacy and _LEGACY_STATE.match(rel) else "planted"
    return None if digest in expected else "modified"


# --- the incremental audit: what changed since the last signature ----------------------------


def incremental_snapshot(
    folder: Path, own: frozenset[str], last: AsSigned, kept: Any = None
) -> Snapshot | None:
    """The folder before the run, when its state at the last signature is known: its folders'
    (inode, ctime) now, and the state files that are not as signed (``held``)."""
    if not folder.is_dir():
        return None
    root = folder.resolve()
    dirs = folder_stats(root, last.dirs)
    held, _stats = _check_state(root, own, last, dirs, frozenset(), set(STATE_FOLDERS))
    return Snapshot(root, {}, dirs, last, tuple(held), kept)


def _entry_stats(
    out: Path, rel: str, st: os.stat_result, last: AsSigned
) -> tuple[Finding | None, list[Any] | None]:
    """An entry not written by the run (its status ``st``), against the last signature:
    (finding, its stats)."""
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        return Finding("link" if stat.S_ISLNK(st.st_mode) else "special", rel), None
    now = [st.st_size, st.st_mtime_ns, st.st_ino]
    known = last.files.get(rel)
    if known is not None and known[:3] == now and known[4] == st.st_ctime_ns:
        return None, known
    digest = sha256_file(out / rel)
    if known is None:
        return Finding("planted", rel), None
    if digest != known[3]:
        return Finding("modified", rel), None
    return None, [*now, digest, st.st_ctime_ns]


def _check_state(
    out: Path,
    own: frozenset[str],
    last: AsSigned,
    dirs: dict[str, tuple[int, int]],
    written: frozenset[str],
    removals: set[str],
) -> tuple[list[Finding], dict[str, list[Any]]]:
    """Every file of the state folders (by its status: an edit in place changes its ctime) but
    those the run wrote; a file the last signature listed there is missing: a finding if its
    folder is one of ``removals`` (changed before the run)."""
    findings: list[Finding] = []
    stats: dict[str, list[Any]] = {}
    for folder in STATE_FOLDERS:
        if folder not in dirs:
            continue
        with os.scandir(out / folder if folder else out) as listing:
            for entry in listing:
                rel = folder + entry.name
                if (not folder and entry.name in own) or rel in written:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    continue  # a folder: judged by the walk of changed folders
                problem, kept = _entry_stats(out, rel, entry.stat(follow_symlinks=False), last)
                if problem is not None:
                    findings.append(problem)
                elif kept is not None:
                    stats[rel] = kept
    judged = {f.path for f in findings} | set(stats) | written
    for folder in removals & set(STATE_FOLDERS):
        for name in last.index.get(folder) or {}:
            if folder + name not in judged:
                findings.append(Finding("removed", folder + name))
    return findings, stats


def state_against(root: Path, own: frozenset[str], signed: Baseline) -> list[Finding]:
    """The state folders' files hashed and judged against the last signed manifest (when the
    folder's state at its last signature is not known: slower than :func:`incremental_snapshot`)."""
    findings: list[Finding] = []
    listed: set[str] = set()
    for folder in STATE_FOLDERS:
        if not (root / folder).is_dir():
            continue
        with os.scandir(root / folder if folder else root) as listing:
            for entry in listing:
                rel = folder + entry.name
                if (not folder and entry.name in own) or entry.is_dir(follow_symlinks=False):
                    continue
                listed.add(rel)
                if not entry.is_file(follow_symlinks=False):
                    findings.append(Finding("link" if entry.is_symlink() else "special", rel))
                elif problem := _judge(rel, sha256_file(root / rel), signed):
                    findings.append(Finding(problem, rel))
    for rel in signed.files:
        if rel[: rel.rfind("/") + 1] in STATE_FOLDERS and rel not in listed:
            findings.append(Finding("removed", rel))
    return findings


def audit_changes(out: Path, own: frozenset[str], before: Snapshot, written: set[str]) -> Audit:
    """The folder as signed last time, but for the files this run wrote (``written``: real
    paths, from the run's journal) and the folders whose (inode, ctime) changed: there every
    entry is listed again, and an entry that is new, has another inode or is gone without the
    run writing it is judged against the last signature. A file edited in place in a folder
    that did not change keeps the SHA-256 it was signed with (so it is never signed as it is
    now: ``guides verify`` finds it), but in the state folders, checked file by file."""
    last = before.signed
    assert last is not None and before.dirs is not None
    prefix = str(out) + os.sep
    ours = frozenset(p[len(prefix) :] for p in written if p.startswith(prefix))
    ours = frozenset(rel for rel in ours if "/" in rel or rel not in own)
    result = Audit()
    base = last.files
    stats = FileStats(base if isinstance(base, ShardedFiles) else ShardedFiles.of(base))
    now_dirs = folder_stats(out, last.dirs)
    changed = {d for d, st in last.dirs.items() if now_dirs.get(d) != st}
    earlier = {d for d, st in last.dirs.items() if before.dirs.get(d) != st}
    mine: dict[str, set[str]] = {}  # the run's files by folder: name
    for rel in ours:
        at = rel.rfind("/") + 1
        mine.setdefault(rel[:at], set()).add(rel[at:])
    gone = {
        f: _changed_folder(out, own, (f, mine.get(f, set())), ours, result, stats, now_dirs, last)
        for f in sorted(changed)
    }
    for folder in sorted(changed):
        for rel in sorted(gone[folder]):
            stats.pop(rel, None)
            if folder in earlier:
                result.findings.append(Finding("removed", rel))
    state, kept_state = _check_state(out, own, last, now_dirs, ours, earlier)
    known_paths = {f.path for f in result.findings}
    result.findings += [f for f in state if f.path not in known_paths]
    for rel, kept in kept_state.items():
        _keep(stats, rel, kept)
    for rel in sorted(ours):
        _own_file(out, rel, stats, result)
    result.stats = stats
    moved = any(last.files.get(rel) != entry for rel, entry in kept_state.items())
    result.changed = bool(changed or ours or result.findings or moved)
    result.dirs = sorted(now_dirs)  # the files are listed when needed (:func:`listed`)
    return result


def _changed_folder(
    out: Path,
    own: frozenset[str],
    at: tuple[str, set[str]],
    ours: frozenset[str],
    result: Audit,
    stats: MutableMapping[str, list[Any]],
    now_dirs: dict[str, tuple[int, int]],
    last: AsSigned,
) -> set[str]:
    """A folder whose (inode, ctime) changed, listed again: each entry that is not as the last
    signature indexed it (a name it did not have, another inode, a folder) and that the run did
    not write (``at``: the folder, the names of the files the run wrote there; ``ours``: every
    file it wrote) is judged; the files gone (not written by the run) are returned. The listing
    is compared with the index whole (in C), entry by entry only when they differ."""
    folder, mine = at
    names: Mapping[str, int] = last.index.get(folder) or {}
    if folder not in now_dirs:
        return {folder + name for name in names.keys() - mine}
    with os.scandir(out / folder if folder else out) as listing:
        found = list(listing) if folder else [e for e in listing if e.name not in own]
    files = {e.name: e.inode() for e in found}  # a pass each: no Python loop per entry
    for name in sorted(e.name for e in found if e.is_dir(follow_symlinks=False)):
        del files[name]
        if f"{folder}{name}/" not in last.dirs:
            _new_folder(out, own, f"{folder}{name}/", ours, result, now_dirs)
    for name in mine:  # the run's files: as indexed (never judged, never gone)
        if name in names:
            files[name] = names[name]
        else:
            files.pop(name, None)
    if files == names:  # the usual case: nothing but the run's files changed
        return set()
    for name in sorted(name for name, inode in files.items() if names.get(name) != inode):
        rel = folder + name
        try:
            st = os.lstat(out / rel)
        except FileNotFoundError:  # gone since it was listed: as if not listed
            del files[name]
            continue
        problem, kept = _entry_stats(out, rel, st, last)
        if problem is not None:
            result.findings.append(problem)
        _keep(stats, rel, kept)
    return {folder + name for name in names.keys() - files.keys()}


def _keep(stats: MutableMapping[str, list[Any]], rel: str, entry: list[Any] | None) -> None:
    """Record a file's entry now (None: not listed), unless it is the one kept."""
    if entry is None:
        stats.pop(rel, None)
    elif stats.get(rel) != entry:
        stats[rel] = entry


def listed(stats: Mapping[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """The files as a manifest lists them, from the stat entries."""
    return {rel: {"sha256": e[3], "size": e[0]} for rel, e in sorted(stats.items())}


def _new_folder(
    out: Path,
    own: frozenset[str],
    start: str,
    ours: frozenset[str],
    result: Audit,
    now_dirs: dict[str, tuple[int, int]],
) -> None:
    """A folder that was not there at the last signature: each file is the run's or planted."""
    found: list[str] = []
    for rel, _entry in entries(out, own, start, found):
        if rel not in ours:
            result.findings.append(Finding("planted", rel))
    now_dirs.update(folder_stats(out, found))


def _own_file(out: Path, rel: str, stats: MutableMapping[str, list[Any]], result: Audit) -> None:
    """A file the run wrote, listed as it is now (hashed unless its status is the cached one)."""
    try:
        st = os.lstat(out / rel)
    except FileNotFoundError:
        stats.pop(rel, None)  # written, then removed by the run
        return
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        result.findings.append(Finding("link" if stat.S_ISLNK(st.st_mode) else "special", rel))
        stats.pop(rel, None)
        return
    now = [st.st_size, st.st_mtime_ns, st.st_ino]
    known = stats.get(rel)
    if known is not None and known[:3] == now and known[4] == st.st_ctime_ns:
        return
    stats[rel] = [*now, sha256_file(out / rel), st.st_ctime_ns]
    result.new.append(rel)


# --- the ledger: the last signed manifest, findings ----------------------------------------


def store_signed(conn: sa.Connection, channel: str, data: bytes, now: dt.datetime) -> None:
    """Keep ``data`` as the channel's newest signed manifest (in ``conn``'s transaction)."""
    table = SignedManifest.__table__  # type: ignore[attr-defined]
    row = {
        "channel": channel,
        "sha256": hashlib.sha256(data).hexdigest(),
        "signed_at": now,
        "body": data.decode("utf-8"),
    }
    conn.execute(sa.delete(table).where(table.c.channel == channel))
    conn.execute(sa.insert(table), [row])


def signed_sha256(ledger: Ledger, channel: str) -> str | None:
    """The SHA-256 of the channel's newest signed manifest as the ledger keeps it."""
    kept = SignedManifest.__table__.c  # type: ignore[attr-defined]
    with ledger.engine.connect() as conn:
        found = conn.execute(sa.select(kept.sha256).where(kept.channel == channel)).scalar()
    return None if found is None else str(found)


def baseline(ledger: Ledger, channel: str, out: Path, own_manifest: str) -> Baseline | None:
    """The files of the channel's last signed manifest: as the ledger keeps it; for a manifest
    signed before the ledger kept them, the folder's manifest if its hash is the one the ledger
    recorded last, else every (path, hash) the ledger ever recorded. None: never signed."""
    kept = SignedManifest.__table__.c  # type: ignore[attr-defined]
    pairs = ManifestFile.__table__.c  # type: ignore[attr-defined]
    with ledger.engine.connect() as conn:
        body = conn.execute(sa.select(kept.body).where(kept.channel == channel)).scalar()
        found = None if body is None else _from_manifest(str(body).encode("utf-8"), out)
        if found is not None:
            return found
        last = conn.execute(
            sa.select(pairs.sha256)
            .where(pairs.channel == channel, pairs.path == own_manifest)
            .order_by(pairs.id.desc())
            .limit(1)
        ).scalar()
        if last is None:
            return None
        try:
            data = (out / own_manifest).read_bytes()
        except OSError:
            data = b""
        if hashlib.sha256(data).hexdigest() == last:
            found = _from_manifest(data, out)
            if found is not None:
                return found
        rows = conn.execute(
            sa.select(pairs.path, pairs.sha256).where(
                pairs.channel == channel, pairs.path != own_manifest
            )
        )
        files: dict[str, set[str]] = {}
        for path, digest in rows:
            files.setdefault(str(path), set()).add(str(digest))
        return Baseline(files, legacy=True)


def _from_manifest(data: bytes, out: Path) -> Baseline | None:
    """The files a signed manifest lists (a sharded one's from the folder's shards, each proven
    by its hash in ``data``); None when a shard cannot be proven."""
    body = orjson.loads(data)
    read = expand(body, folder_reader(out))
    if read.problems:
        return None
    listed = {str(rel): {str(entry.get("sha256"))} for rel, entry in read.files.items()}
    return Baseline(listed, legacy=body.get("format") == 1)


def record_outcome(
    ledger: Ledger, channel: str, findings: list[Finding], where: str, now: dt.datetime
) -> None:
    """Log ``manifest.refused`` with the findings when they are new or changed since the
    channel's last outcome, ``manifest.clean`` when a refused channel is clean again."""
    last = last_outcome(ledger, channel)
    found = [f.as_dict() for f in findings]
    detail: dict[str, Any]
    if findings:
        if last is not None and last[0] == REFUSED and last[1].get("findings") == found:
            return  # the same alert as the last run: not logged again (a cron runs often)
        kind, detail = REFUSED, {"folder": where, "findings": found}
    elif last is not None and last[0] == REFUSED:
        kind, detail = CLEAN, {"folder": where}
    else:
        return
    with ledger.session() as session:
        ledger.log(session, kind, ACTOR, at=now, channel=channel, **detail)
        session.commit()


def log_signed(
    conn: sa.Connection, channel: str, digest: str, files: int, now: dt.datetime
) -> None:
    """Log ``manifest.signed`` (in ``conn``'s transaction)."""
    row = event_row(SIGNED, ACTOR, at=now, channel=channel, sha256=digest, files=files)
    conn.execute(sa.insert(Event), [row])


def last_outcome(ledger: Ledger, channel: str) -> tuple[str, dict[str, Any]] | None:
    """The channel's newest of manifest.refused / manifest.clean / manifest.signed."""
    e = Event.__table__.c  # type: ignore[attr-defined]
    query = (
        sa.select(e.kind, e.detail)
        .where(e.channel == channel, e.kind.in_((REFUSED, CLEAN, SIGNED)))
        .order_by(e.id.desc())
        .limit(1)
    )
    with ledger.engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else (str(row[0]), dict(row[1] or {}))
