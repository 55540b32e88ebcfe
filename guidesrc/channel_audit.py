"""What a publish may sign: the files it wrote, and files exactly as the last signed manifest.

A publishing run takes a :func:`snapshot` of every file channel's folder before it delivers
anything (inode and change time of every entry: no hashing). At the end of the run, before a
channel's manifest is signed, :func:`audit` walks the folder again, every entry (dot-files and
files in dot-folders included):

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

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
    """A folder before the run: its real path and, per entry, (inode, ctime in ns)."""

    root: Path
    entries: dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # one of KINDS
    path: str  # relative to the channel's folder, with /

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path}


@dataclass(slots=True)
class Audit:
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path → sha256, size
    stats: dict[str, list[Any]] = field(default_factory=dict)  # the cache's entries
    new: list[str] = field(default_factory=list)  # hashed now
    findings: list[Finding] = field(default_factory=list)


def entries(root: Path, own: frozenset[str]) -> list[tuple[str, os.DirEntry[str]]]:
    """Every entry under ``root`` that is not a folder (links to folders included, never
    followed), except the manifest's own files (``own``) at the top."""
    found: list[tuple[str, os.DirEntry[str]]] = []
    stack = [""]
    while stack:
        prefix = stack.pop()
        with os.scandir(root / prefix if prefix else root) as listing:
            for entry in listing:
                if not prefix and entry.name in own:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(prefix + entry.name + "/")
                else:
                    found.append((prefix + entry.name, entry))
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
    cached: dict[str, list[Any]],
) -> Audit:
    """Hash ``out`` (reusing ``cached`` entries whose size, mtime, inode and ctime are the same)
    and judge every entry against the snapshot and the last signed manifest."""
    result = Audit()
    earlier = before.entries if before is not None and before.root == out else {}
    for rel, entry in sorted(entries(out, own)):
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


# --- the ledger: the last signed manifest, findings ----------------------------------------


def store_signed(ledger: Ledger, channel: str, data: bytes, now: dt.datetime) -> None:
    """Keep ``data`` as the channel's newest signed manifest."""
    from guidesrc.ledger.models import SignedManifest

    table = SignedManifest.__table__  # type: ignore[attr-defined]
    row = {
        "channel": channel,
        "sha256": hashlib.sha256(data).hexdigest(),
        "signed_at": now,
        "body": data.decode("utf-8"),
    }
    with ledger.engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.channel == channel))
        conn.execute(sa.insert(table), [row])


def signed_sha256(ledger: Ledger, channel: str) -> str | None:
    """The SHA-256 of the channel's newest signed manifest as the ledger keeps it."""
    from guidesrc.ledger.models import SignedManifest

    kept = SignedManifest.__table__.c  # type: ignore[attr-defined]
    with ledger.engine.connect() as conn:
        found = conn.execute(sa.select(kept.sha256).where(kept.channel == channel)).scalar()
    return None if found is None else str(found)


def baseline(ledger: Ledger, channel: str, out: Path, own_manifest: str) -> Baseline | None:
    """The files of the channel's last signed manifest: as the ledger keeps it; for a manifest
    signed before the ledger kept them, the folder's manifest if its hash is the one the ledger
    recorded last, else every (path, hash) the ledger ever recorded. None: never signed."""
    from guidesrc.ledger.models import ManifestFile, SignedManifest

    kept = SignedManifest.__table__.c  # type: ignore[attr-defined]
    pairs = ManifestFile.__table__.c  # type: ignore[attr-defined]
    with ledger.engine.connect() as conn:
        body = conn.execute(sa.select(kept.body).where(kept.channel == channel)).scalar()
        if body is not None:
            return _from_manifest(str(body).encode("utf-8"))
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
            return _from_manifest(data)
        rows = conn.execute(
            sa.select(pairs.path, pairs.sha256).where(
                pairs.channel == channel, pairs.path != own_manifest
            )
        )
        files: dict[str, set[str]] = {}
        for path, digest in rows:
            files.setdefault(str(path), set()).add(str(digest))
        return Baseline(files, legacy=True)


def _from_manifest(data: bytes) -> Baseline:
    body = orjson.loads(data)
    files = body.get("files") or {}
    listed = {str(rel): {str(entry.get("sha256"))} for rel, entry in files.items()}
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


def log_signed(ledger: Ledger, channel: str, digest: str, files: int, now: dt.datetime) -> None:
    with ledger.session() as session:
        ledger.log(session, SIGNED, ACTOR, at=now, channel=channel, sha256=digest, files=files)
        session.commit()


def last_outcome(ledger: Ledger, channel: str) -> tuple[str, dict[str, Any]] | None:
    """The channel's newest of manifest.refused / manifest.clean / manifest.signed."""
    from guidesrc.ledger.models import Event

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
