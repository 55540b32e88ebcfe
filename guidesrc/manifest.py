"""Signed manifests: what each file channel shows, signed, in the channel's own folder.

After a publishing run, for every channel whose settings have a ``path`` (directory, site, pdf,
hotline, mobile, cpsv …) the publisher calls :func:`sign_channels`, which writes into that folder
(for the site: the build its link points to)::

    guides-manifest.json       format, channel, library, created_at (UTC), key id; the guides the
                               ledger says the channel shows (id → state, version, content hash,
                               the upcoming version); every file → SHA-256 and size
    guides-manifest.json.sig   the base64 Ed25519 signature of the manifest's exact bytes
    guides-public-key.pem      the public key that checks it (also in the library's keys/)

The manifest is JSON with one guide or file per line, so that ``grep`` finds a file's hash or a
printout's short content hash with its name. Every file of the folder is listed (dot-files,
the site's ``_state/`` and the exports' own state included) except these three; a symbolic link
never is. What may be listed at all is decided by :mod:`guidesrc.channel_audit`: the files this
run wrote, and files exactly as the channel's last signed manifest; anything else stops signing.

Hashing is incremental: ``.guides/cache/manifest-<channel>.json`` keeps each file's size,
mtime, inode, SHA-256 and ctime, so a publish re-hashes only the files that changed
(:func:`hash_folder`); ``guides verify`` never trusts that cache: it hashes every file. The cache
carries a MAC keyed by a secret derived from the signing key (a cache nobody who cannot sign
could have written is ignored) and the hash of the manifest signed with it: while that is the
ledger's newest, the cache's files are that manifest's, and a publish judges the folder against
them without reading the manifest back from the ledger. Each new (path, SHA-256) pair is recorded in the
ledger (``manifest_file``), the manifest's own hash too: ``guides verify`` tells an earlier file
or manifest put back (stale) from one changed by hand (modified).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from guidesrc.channel_audit import (
    Audit,
    Baseline,
    Finding,
    Snapshot,
    audit,
    baseline,
    entries,
    log_signed,
    record_outcome,
    signed_sha256,
    snapshot,
    store_signed,
)
from guidesrc.config_in_force import in_force
from guidesrc.fsio import write_atomic
from guidesrc.ledger.models import GuideVersion, ManifestFile, Publication
from guidesrc.library import STATE_DIR
from guidesrc.manifest_names import MANIFEST as MANIFEST
from guidesrc.manifest_names import PUBLIC_KEY as PUBLIC_KEY
from guidesrc.manifest_names import SIGNATURE as SIGNATURE
from guidesrc.signing import signing_key
from guidesrc.statuses import Action, EventKind, PublicationStatus

if TYPE_CHECKING:
    from guidesrc.adapters import Adapter
    from guidesrc.ledger import Ledger
    from guidesrc.signing import SigningKey

OWN_FILES = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY})
FORMAT = 2  # 2: every file listed (dot-files, _state/); format 1 left those out
CACHE_FORMAT = 3  # 2: each entry also holds the ctime; 3: MAC, the manifest signed with it
CACHE_CONTEXT = b"guidesrc manifest cache key, format 3"
SHOWN_STATUSES = (
    PublicationStatus.DELIVERED,
    PublicationStatus.AWAITING,
)  # awaiting: the file is written, staff post it
_RANK = {Action.ANNOUNCE: 0, Action.PUBLISH: 1, Action.ACTIVATE: 1, Action.WITHDRAW: 2}
ACTOR = "publisher"

Guides = dict[str, dict[str, Any]]
Files = dict[str, dict[str, Any]]


def walk(root: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry under ``root`` but folders (dot-files, files in dot-folders and symbolic links
    included; links are never followed), except the manifest's own three files at the top."""
    yield from entries(root, OWN_FILES)


# --- what the ledger says a channel shows ---------------------------------------------------


def shown_guides(ledger: Ledger, channel: str) -> Guides:
    """Per guide, what the channel shows after its delivered publications, as the adapters apply
    them: the version in force, the one announced, or the withdrawal; newer versions win."""

    p = Publication.__table__.c  # type: ignore[attr-defined]
    v = GuideVersion.__table__.c  # type: ignore[attr-defined]
    query = (
        sa.select(p.guide_id, p.action, v.version, v.content_hash)
        .join(GuideVersion.__table__, v.id == p.version_id)  # type: ignore[attr-defined]
        .where(p.channel == channel, p.status.in_(SHOWN_STATUSES))
    )
    with ledger.engine.connect() as conn:
        rows = sorted(conn.execute(query), key=lambda r: (r[0], r[2], _RANK.get(r[1], 1)))
    states: dict[str, dict[str, Any]] = {}
    for guide_id, action, version, digest in rows:
        _apply(states.setdefault(guide_id, {}), action, version, digest)
    return {gid: entry for gid, state in states.items() if (entry := _entry(state))}


def _apply(state: dict[str, Any], action: str, version: int, digest: str | None) -> None:
    floor = max((state[s]["version"] for s in ("current", "withdrawn") if state.get(s)), default=0)
    if action == Action.ANNOUNCE:
        upcoming = state.get("upcoming")
        if version > floor and (upcoming is None or version >= upcoming["version"]):
            state["upcoming"] = {"version": version, "content_hash": digest}
        return
    if version < floor:
        return  # an older version delivered late: the channel keeps the newer one
    if action == Action.WITHDRAW:
        state.clear()
        state["withdrawn"] = {"version": version}
        return
    state["current"] = {"version": version, "content_hash": digest}
    state.pop("withdrawn", None)
    upcoming = state.get("upcoming")
    if upcoming is not None and upcoming["version"] <= version:
        del state["upcoming"]


def _entry(state: dict[str, Any]) -> dict[str, Any] | None:
    """``{"state", "version", "content_hash"[, "upcoming"]}`` as the manifest lists a guide."""
    if state.get("withdrawn"):
        return {"state": "withdrawn", "version": state["withdrawn"]["version"]}
    current, upcoming = state.get("current"), state.get("upcoming")
    if current is not None:
        entry = {"state": "current", **current}
        if upcoming is not None:
            entry["upcoming"] = upcoming
        return entry
    if upcoming is not None:
        return {"state": "upcoming", **upcoming}
    return None


# --- the manifest's bytes --------------------------------------------------------------------


def manifest_bytes(header: dict[str, Any], guides: Guides, files: Files) -> bytes:
    """JSON with one guide and one file per line (sorted): ``grep HASH guides-manifest.json``
    shows the name with the hash. The same input always gives the same bytes."""
    opt = orjson.OPT_SORT_KEYS
    lines = [b"{"]
    lines += [orjson.dumps(k) + b":" + orjson.dumps(header[k], option=opt) + b"," for k in header]
    for name, items, end in ((b"guides", guides, b"},"), (b"files", files, b"}")):
        lines.append(b'"' + name + b'":{')
        body = [orjson.dumps(k) + b":" + orjson.dumps(items[k], option=opt) for k in sorted(items)]
        if body:
            lines.append(b",\n".join(body))
        lines.append(end)
    lines.append(b"}")
    return b"\n".join(lines) + b"\n"


def utc_text(moment: dt.datetime) -> str:
    """``2026-11-26T08:00:00.123456Z``: to the microsecond, so that a manifest signed just after
    a key was retired is told from one signed just before."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- the stat cache --------------------------------------------------------------------------


def cache_path(root: Path, channel: str) -> Path:
    return root / STATE_DIR / "cache" / f"manifest-{channel}.json"


def hash_folder(out: Path, cached: dict[str, list[Any]]) -> Audit:
    """Every file's SHA-256, reusing ``cached`` for files whose size, mtime, inode and ctime are
    the same (a file changed in place has a new ctime, which no user can set back)."""
    return audit(out, OWN_FILES, None, None, cached)


@dataclass(frozen=True, slots=True)
class Cache:
    files: dict[str, list[Any]]
    written_at: dt.datetime | None  # None: no usable cache
    #: The SHA-256 of the manifest signed when the cache was written (its files are then that
    #: manifest's files, as the cache lists them); None if the cache was not written with one.
    signed: str | None = None


def _cache_secret(key: SigningKey) -> bytes:
    """A secret only the signing key's holder can compute (Ed25519 signs deterministically):
    the cache's MAC key, so that nobody who cannot sign can make the publisher trust a cache."""
    return hashlib.sha256(b"guidesrc manifest cache\n" + key.sign(CACHE_CONTEXT)).digest()


def _mac(key: SigningKey, data: bytes) -> bytes:
    return hmac.new(_cache_secret(key), data, hashlib.sha256).hexdigest().encode()


def _load_cache(path: Path, out: Path, ledger_id: str, key: SigningKey) -> Cache:
    try:
        raw = path.read_bytes()
    except OSError:
        return Cache({}, None)
    at = raw.rfind(b',"mac":"')
    if at < 0 or not hmac.compare_digest(raw[at + 8 : -2], _mac(key, raw[:at] + b"}")):
        return Cache({}, None)  # not written by this key's holder: hash everything
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return Cache({}, None)
    if not isinstance(data, dict) or (data.get("format"), data.get("root"), data.get("ledger")) != (
        CACHE_FORMAT,
        str(out),
        ledger_id,
    ):
        return Cache({}, None)  # another build of the site, another ledger: hash everything
    try:
        written = dt.datetime.fromisoformat(str(data.get("written_at")))
    except ValueError:
        return Cache({}, None)
    signed = data.get("signed")
    return Cache(data.get("files") or {}, written, signed if isinstance(signed, str) else None)


def _save_cache(
    path: Path,
    out: Path,
    ledger_id: str,
    stats: dict[str, list[Any]],
    now: dt.datetime,
    key: SigningKey,
    signed: str | None,
) -> None:
    body = {
        "format": CACHE_FORMAT,
        "root": str(out),
        "ledger": ledger_id,
        "written_at": now.astimezone(dt.UTC).isoformat(),
        "signed": signed,
        "files": stats,
    }
    data = orjson.dumps(body)
    write_atomic(path, data[:-1] + b',"mac":"' + _mac(key, data) + b'"}', 0o600)


def _digests(files: dict[str, list[Any]]) -> dict[str, str]:
    return {rel: str(entry[3]) for rel, entry in files.items() if len(entry) == 5}


def _baseline(ledger: Ledger, channel: str, out: Path, cache: Cache) -> Baseline | None:
    """The last signed manifest's files: from the cache when it was written with the manifest
    the ledger keeps as the newest (no need to read and parse that manifest), else the ledger's."""
    if cache.signed is not None and cache.signed == signed_sha256(ledger, channel):
        return Baseline({rel: {digest} for rel, digest in _digests(cache.files).items()})
    return baseline(ledger, channel, out, MANIFEST)


def _ledger_id(ledger: Ledger) -> str:
    url = sa.engine.make_url(ledger.url).render_as_string(hide_password=True)
    return hashlib.sha256(url.encode()).hexdigest()[:16]


# --- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signed:
    """A channel's manifest at the end of a run: signed now, or refused (``findings``)."""

    channel: str
    folder: Path
    key: str  # the key id
    files: int
    hashed: int  # files hashed this time (the others came from the cache)
    recorded: int  # (path, hash) pairs new to the ledger
    findings: tuple[Finding, ...] = ()  # not empty: nothing was signed

    @property
    def refused(self) -> bool:
        return bool(self.findings)


def sign_channels(
    ledger: Ledger,
    adapters: dict[str, Adapter[Any]],
    delivered: Iterable[str],
    now: dt.datetime,
    before: Mapping[str, Snapshot | None] | None = None,
) -> list[Signed]:
    """The publisher's hook, at the end of a run (holding the publishing lock): check every file
    channel's folder (:mod:`guidesrc.channel_audit`, against ``before``, the snapshots taken
    before the deliveries) and sign a new manifest for each channel the run delivered to, or
    whose manifest is missing or out of date, unless the check found files nobody approved.

    Without a signing key nothing is written. A failure (a key that cannot be read, a full disk)
    is recorded in the log (``manifest.failed``) and never undoes the deliveries: ``guides
    verify`` reports the manifest that is missing or out of date."""

    folders = {n: f for n, a in adapters.items() if (f := a.folder) is not None}
    if not folders:
        return []
    root = next(iter(adapters.values())).library
    try:
        key = signing_key(root)
    except Exception as exc:  # configured, but unusable: said in the log, per channel
        for name in folders:
            _log_failure(ledger, name, exc, now)
        return []
    if key is None:
        return []  # no key configured: no manifest (an unsigned one would prove nothing)
    changed = set(delivered)
    done: list[Signed] = []
    for name, folder in folders.items():
        try:
            shown = shown_guides(ledger, name)
            snap = (before or {}).get(name)
            written = write_manifest(
                ledger, name, root, folder, shown, key, now, before=snap, force=name in changed
            )
            if written is not None:
                done.append(written)
        except Exception as exc:  # the deliveries stand; verify reports the manifest
            cache_path(root, name).unlink(missing_ok=True)  # next time: hash every file
            _log_failure(ledger, name, exc, now)
    return done


def snapshot_channels(adapters: dict[str, Adapter[Any]]) -> dict[str, Snapshot | None]:
    """Every file channel's folder before a run delivers anything (see :func:`sign_channels`)."""

    found: dict[str, Snapshot | None] = {}
    for name, adapter in adapters.items():
        folder = adapter.folder
        if folder is not None:
            found[name] = snapshot(folder, OWN_FILES)
    return found


def up_to_date(ledger: Ledger, channel: str, folder: Path, shown: Guides, key: SigningKey) -> bool:
    """Whether the folder's manifest says what the ledger says, is signed by the key configured
    now, and is the one the ledger recorded last (a crash may come between the two)."""
    try:
        data = (folder / MANIFEST).read_bytes()
        body = orjson.loads(data)
    except FileNotFoundError:
        return not folder.exists()  # nothing published there yet
    except (OSError, orjson.JSONDecodeError):
        return False
    if not isinstance(body, dict) or body.get("guides") != shown:
        return False
    if body.get("key") != key.id or body.get("format") != FORMAT:
        return False
    return latest_manifest(ledger, channel) == hashlib.sha256(data).hexdigest()


def write_manifest(
    ledger: Ledger,
    channel: str,
    root: Path,
    folder: Path,
    shown: Guides,
    key: SigningKey,
    now: dt.datetime,
    *,
    before: Snapshot | None = None,
    force: bool = True,
) -> Signed | None:
    """Check the folder against ``before`` and the last signed manifest; unless something was
    found, write the public key, the signature and the manifest (when ``force``, or when the one
    there is not up to date) and record the new (path, hash) pairs. None when the folder does not
    exist (nothing published) or nothing needed writing."""

    if not folder.exists():
        return None
    out = folder.resolve()  # the site: the build its link points to now
    cache_file = cache_path(root, channel)
    ledger_id = _ledger_id(ledger)
    cache = _load_cache(cache_file, out, ledger_id, key)
    found = audit(out, OWN_FILES, before, _baseline(ledger, channel, out, cache), cache.files)
    record_outcome(ledger, channel, found.findings, str(folder), now)
    if found.findings:  # nothing tampered is signed: the previous signature stays
        files, hashed = len(found.files), len(found.new)
        return Signed(channel, out, key.id, files, hashed, 0, tuple(found.findings))
    if not force and up_to_date(ledger, channel, out, shown, key):
        # the signed manifest stays: the cache still names it if the files are its files
        same = cache.signed is not None and _digests(found.stats) == _digests(cache.files)
        signed = cache.signed if same else None
        _save_cache(cache_file, out, ledger_id, found.stats, now, key, signed)
        return None
    header = {
        "format": FORMAT,
        "channel": channel,
        "library": _library_name(root, ledger),
        "created_at": utc_text(now),
        "key": key.id,
        "algorithm": "Ed25519",
    }
    data = manifest_bytes(header, shown, found.files)
    write_atomic(out / PUBLIC_KEY, key.public_pem, 0o644)
    write_atomic(out / SIGNATURE, key.sign(data), 0o644)
    write_atomic(out / MANIFEST, data, 0o644)
    digest = hashlib.sha256(data).hexdigest()
    pairs = [(rel, found.files[rel]["sha256"]) for rel in found.new]
    pairs.append((MANIFEST, digest))
    recorded = record_pairs(ledger, channel, pairs, now)
    store_signed(ledger, channel, data, now)
    log_signed(ledger, channel, digest, len(found.files), now)
    _save_cache(cache_file, out, ledger_id, found.stats, now, key, digest)
    return Signed(channel, out, key.id, len(found.files), len(found.new), recorded)


def _library_name(root: Path, ledger: Ledger) -> str:
    """The library's name as approved (the configuration in force), as every channel shows it."""

    return str(in_force(root, ledger).config.name)


def record_pairs(
    ledger: Ledger, channel: str, pairs: list[tuple[str, str]], now: dt.datetime
) -> int:
    """Insert the (path, SHA-256) pairs the ledger does not have yet; how many were new."""

    if not pairs:
        return 0
    table = ManifestFile.__table__  # type: ignore[attr-defined]
    # The dialect's own INSERT … ON CONFLICT DO NOTHING, imported for the ledger's dialect only:
    # importing the other one costs every publish 20-80 ms for nothing.
    if ledger.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    rows = [{"channel": channel, "path": p, "sha256": h, "first_seen": now} for p, h in pairs]
    statement = insert(table).on_conflict_do_nothing(index_elements=["channel", "path", "sha256"])
    count = 0
    with ledger.engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            result = conn.execute(statement, rows[start : start + 5000])
            count += max(result.rowcount, 0)
    return count


def latest_manifest(ledger: Ledger, channel: str) -> str | None:
    """The SHA-256 of the channel's newest manifest, as the ledger recorded it."""

    t = ManifestFile.__table__.c  # type: ignore[attr-defined]
    query = (
        sa.select(t.sha256)
        .where(t.channel == channel, t.path == MANIFEST)
        .order_by(t.id.desc())
        .limit(1)
    )
    with ledger.engine.connect() as conn:
        found = conn.execute(query).scalar()
    return None if found is None else str(found)


def known_hash(ledger: Ledger, channel: str, path: str, digest: str) -> dt.datetime | None:
    """When a manifest of the channel first listed ``path`` with this hash; None if never."""

    t = ManifestFile.__table__.c  # type: ignore[attr-defined]
    query = sa.select(t.first_seen).where(t.channel == channel, t.path == path, t.sha256 == digest)
    with ledger.engine.connect() as conn:
        found: dt.datetime | None = conn.execute(query).scalar()
    return found


def _log_failure(ledger: Ledger, channel: str, exc: Exception, now: dt.datetime) -> None:
    try:
        with ledger.session() as session:
            ledger.log(
                session,
                EventKind.MANIFEST_FAILED,
                ACTOR,
                at=now,
                channel=channel,
                error=f"{type(exc).__name__}: {exc}".strip(),
                trace=traceback.format_exception_only(exc)[-1].strip(),
            )
            session.commit()
    except Exception:  # the ledger itself failed: the run's own errors say so
        pass
