"""Signed manifests: what each file channel shows, signed, in the channel's own folder.

After a publishing run, for every channel whose settings have a ``path`` (directory, site, pdf,
hotline, mobile, cpsv …) the publisher calls :func:`sign_channels`, which writes into that folder
(for the site: the build its link points to)::

    guides-manifest.json       format, channel, library, created_at (UTC), key id; each shard
                               file's SHA-256 (guidesrc.manifest_shards)
    guides-manifest.json.sig   the base64 Ed25519 signature of the top file's exact bytes
    guides-public-key.pem      the public key that checks it (also in the library's keys/)
    guides-manifest.d/         the shards: the guides the ledger says the channel shows (id →
                               state, version, content hash, the upcoming version); every file →
                               SHA-256 and size; one change rewrites O(1) shards

JSON with one guide or file per line, so that ``grep`` finds a file's hash or a printout's short
content hash with its name. Every file of the folder is listed (dot-files, the site's
``_state/`` and the exports' own state included) except these; a symbolic link never is. What may be listed at all is decided by :mod:`guidesrc.channel_audit`: the files this
run wrote, and files exactly as the channel's last signed manifest; anything else stops signing.

Hashing is incremental: the stat cache (:mod:`guidesrc.manifest_cache`, a head and parts in
``.guides/cache/``) keeps each file's size, mtime, inode, SHA-256 and ctime, so a publish
re-hashes only the files that changed (:func:`hash_folder`), reads only the parts of the shards
and folders it touched and writes its changes into the cache's small delta part; the guides
whose entry changed come from what :func:`shown_since` read again. ``guides verify`` never
trusts that cache: it hashes every file. The cache's head carries a MAC keyed by a secret derived from the signing key (a cache
nobody who cannot sign could have written is ignored), binds each part by its SHA-256 and
status, and holds the hash of the manifest signed with it: while that is the
ledger's newest, the cache's files are that manifest's, and a publish judges the folder against
them without reading the manifest back from the ledger. Each new (path, SHA-256) pair is recorded in the
ledger (``manifest_file``), the manifest's own hash too: ``guides verify`` tells an earlier file
or manifest put back (stale) from one changed by hand (modified).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from guidesrc.channel_audit import (
    AsSigned,
    Audit,
    Baseline,
    Finding,
    Snapshot,
    audit,
    audit_changes,
    baseline,
    entries,
    folder_stats,
    incremental_snapshot,
    log_signed,
    record_outcome,
    signed_sha256,
    snapshot,
    state_against,
    store_signed,
)
from guidesrc.config_in_force import in_force
from guidesrc.fsio import write_atomic
from guidesrc.ledger.models import ManifestFile
from guidesrc.manifest_cache import (
    CACHE_FORMAT,
    Cache,
    FileStats,
    Listing,
    load_cache,
)
from guidesrc.manifest_cache import cache_path as cache_path
from guidesrc.manifest_cache_save import save_cache
from guidesrc.manifest_names import MANIFEST as MANIFEST
from guidesrc.manifest_names import PUBLIC_KEY as PUBLIC_KEY
from guidesrc.manifest_names import SHARD_DIR as SHARD_DIR
from guidesrc.manifest_names import SIGNATURE as SIGNATURE
from guidesrc.manifest_shards import (
    Previous,
    expand,
    folder_reader,
    manifest_bytes,
    read_regular,
    remove_unnamed,
    shard_folder_names,
    shard_of,
    write_shards,
)
from guidesrc.shown import SHOWN_STATUSES as SHOWN_STATUSES
from guidesrc.shown import Guides as Guides
from guidesrc.shown import Shown, shown_since
from guidesrc.shown import shown_guides as shown_guides
from guidesrc.signing import signing_key
from guidesrc.statuses import EventKind

if TYPE_CHECKING:
    from guidesrc.adapters import Adapter
    from guidesrc.ledger import Ledger
    from guidesrc.signing import SigningKey

OWN_FILES = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY, SHARD_DIR})
FORMAT = 3  # 3: in shards (guidesrc.manifest_shards); 2: every file listed (dot-files,
# _state/) in one file; format 1 left those out
ACTOR = "publisher"

Files = dict[str, dict[str, Any]]


def walk(root: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry under ``root`` but folders (dot-files, files in dot-folders and symbolic links
    included; links are never followed), except the manifest's own three files at the top."""
    yield from entries(root, OWN_FILES)


# --- the manifest's bytes --------------------------------------------------------------------


def utc_text(moment: dt.datetime) -> str:
    """``2026-11-26T08:00:00.123456Z``: to the microsecond, so that a manifest signed just after
    a key was retired is told from one signed just before."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- the stat cache --------------------------------------------------------------------------


def hash_folder(out: Path, cached: Mapping[str, list[Any]]) -> Audit:
    """Every file's SHA-256, reusing ``cached`` for files whose size, mtime, inode and ctime are
    the same (a file changed in place has a new ctime, which no user can set back)."""
    return audit(out, OWN_FILES, None, None, cached)


def _as_signed(cache: Cache) -> AsSigned | None:
    """The folder as the cache's signature left it; None if the cache cannot say."""
    if cache.signed is None or cache.dirs is None or cache.index is None:
        return None
    return AsSigned(cache.files, cache.dirs, cache.index)


def _load_cache(path: Path, out: Path, ledger_id: str, key: SigningKey, channel: str) -> Cache:
    return load_cache(path, _binding(out, ledger_id, channel), key)


def _binding(out: Path, ledger_id: str, channel: str) -> dict[str, str]:
    return {"channel": channel, "root": str(out), "ledger": ledger_id}


def _manifest_stat(out: Path) -> list[int] | None:
    """The top file's and every shard's [size, mtime, inode, ctime], in one list: any of them
    touched since the signature and the publish signs again."""
    found: list[int] = []
    at = f"{out}{os.sep}"
    for rel in (MANIFEST, *shard_folder_names(out)):
        try:
            st = os.lstat(at + rel)
        except FileNotFoundError:
            if rel == MANIFEST:
                return None
            continue
        found += [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
    return found


def _save_cache(
    path: Path,
    out: Path,
    ledger_id: str,
    channel: str,
    found: Audit,
    now: dt.datetime,
    key: SigningKey,
    signed: str | None,
    shown: Shown | None,
    guides: Mapping[str, Any],
    old: Cache,
    changes: set[str] | None,
) -> None:
    head = {
        "format": CACHE_FORMAT,
        **_binding(out, ledger_id, channel),
        "written_at": now.astimezone(dt.UTC).isoformat(),
        "signed": signed,
        "dirs": folder_stats(out, found.dirs),
        "own": _manifest_stat(out),
    }
    save_cache(path, head, key, found.stats, guides, shown, old, changes)


def _changed_guides(
    cache: Cache, state: Shown | None, guides: Mapping[str, Any]
) -> tuple[set[str], set[str] | None]:
    """The guides whose manifest entry changed since the cache's signature, and those whose
    entry or tally may have (None: not known, every one): from what :func:`shown_since` read
    again when the state was built on the cache's, else compared one by one."""
    last = cache.shown
    old = last.guides if last is not None else {}
    changes = state.changes(last) if state is not None else None
    if changes is not None:
        return {gid for gid in changes if old.get(gid) != guides.get(gid)}, changes
    if guides is old:
        return set(), None
    return {gid for gid in old.keys() | guides.keys() if old.get(gid) != guides.get(gid)}, None


def _digests(files: Mapping[str, list[Any]]) -> dict[str, str]:
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
    written: set[str] | None = None,
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
            snap = (before or {}).get(name)
            kept = snap.kept if snap is not None else None
            shown = shown_since(ledger, name, kept.shown if isinstance(kept, Cache) else None)
            made = write_manifest(
                ledger,
                name,
                root,
                folder,
                shown,
                key,
                now,
                before=snap,
                force=name in changed,
                written=written,
                library=_handed_name(adapters[name]),
            )
            if made is not None:
                done.append(made)
        except Exception as exc:  # the deliveries stand; verify reports the manifest
            cache_path(root, name).unlink(missing_ok=True)  # next time: hash every file
            _log_failure(ledger, name, exc, now)
    return done


def snapshot_channels(
    adapters: dict[str, Adapter[Any]], ledger: Ledger | None = None
) -> dict[str, Snapshot | None]:
    """Every file channel's folder before a run delivers anything (see :func:`sign_channels`):
    with the ledger and a signing key, and a stat cache written with the channel's newest
    signature, only its folders' status and its state files (:func:`incremental_snapshot`); else
    every entry, and the state files hashed and judged against the last signed manifest."""
    folders = {n: f for n, a in adapters.items() if (f := a.folder) is not None}
    if not folders:
        return {}
    root = next(iter(adapters.values())).library
    try:
        key = signing_key(root) if ledger is not None else None
    except Exception:  # said by sign_channels, per channel
        key = None
    found: dict[str, Snapshot | None] = {}
    for name, folder in folders.items():
        if ledger is None or key is None or not folder.is_dir():
            found[name] = snapshot(folder, OWN_FILES)
            continue
        out = folder.resolve()
        cache = _load_cache(cache_path(root, name), out, _ledger_id(ledger), key, name)
        last = _as_signed(cache)
        if last is not None and cache.signed == signed_sha256(ledger, name):
            found[name] = incremental_snapshot(folder, OWN_FILES, last, cache)
            continue
        full = snapshot(folder, OWN_FILES)
        signed = _baseline(ledger, name, out, cache)
        if full is not None and signed is not None:
            held = tuple(state_against(out, OWN_FILES, signed))
            full = Snapshot(full.root, full.entries, held=held)
        found[name] = full
    return found


def up_to_date(
    ledger: Ledger, channel: str, folder: Path, shown: Mapping[str, Any], key: SigningKey
) -> bool:
    """Whether the folder's manifest says what the ledger says, is signed by the key configured
    now, and is the one the ledger recorded last (a crash may come between the two)."""
    try:
        data = (folder / MANIFEST).read_bytes()
        body = orjson.loads(data)
    except FileNotFoundError:
        return not folder.exists()  # nothing published there yet
    except (OSError, orjson.JSONDecodeError):
        return False
    if not isinstance(body, dict) or body.get("key") != key.id or body.get("format") != FORMAT:
        return False
    try:
        read = expand(body, folder_reader(folder))
    except (orjson.JSONDecodeError, AttributeError):
        return False
    if read.problems or read.guides != shown or shard_folder_names(folder) != sorted(read.names):
        return False
    return latest_manifest(ledger, channel) == hashlib.sha256(data).hexdigest()


def write_manifest(
    ledger: Ledger,
    channel: str,
    root: Path,
    folder: Path,
    shown: Guides | Shown,
    key: SigningKey,
    now: dt.datetime,
    *,
    before: Snapshot | None = None,
    force: bool = True,
    written: set[str] | None = None,
    library: str | None = None,
) -> Signed | None:
    """Check the folder against ``before`` and the last signed manifest; unless something was
    found, write the public key, the signature and the manifest (when ``force``, or when the one
    there is not up to date) and record the new (path, hash) pairs. None when the folder does not
    exist (nothing published) or nothing needed writing."""

    if not folder.exists():
        return None
    out = folder.resolve()  # the site: the build its link points to now
    cache_file = cache_path(root, channel)
    state, guides = (shown, shown.guides) if isinstance(shown, Shown) else (None, shown)
    found, cache = _check(ledger, channel, out, before, written, key, cache_file)
    moved, changes = _changed_guides(cache, state, guides)
    if not force and not found.changed and _still_signed(ledger, channel, out, cache, moved):
        return None  # nothing changed since the signature: the manifest stands
    record_outcome(ledger, channel, found.findings, str(folder), now)
    if found.findings:  # nothing tampered is signed: the previous signature stays
        files, hashed = len(found.stats), len(found.new)
        return Signed(channel, out, key.id, files, hashed, 0, tuple(found.findings))
    save = partial(_save_cache, cache_file, out, _ledger_id(ledger), channel, found, now, key)
    if not force and up_to_date(ledger, channel, out, guides, key):
        # the signed manifest stays: the cache still names it if the files are its files
        same = cache.signed is not None and _same_files(found.stats, cache)
        save(cache.signed if same else None, state, guides, cache, changes)
        return None
    header = {
        "format": FORMAT,
        "channel": channel,
        "library": library or _library_name(root, ledger),
        "created_at": utc_text(now),
        "key": key.id,
        "algorithm": "Ed25519",
    }
    listing = found.files or Listing(found.stats)
    previous = _previous(out, cache, found, guides, moved)
    data = _write_signed(out, key, header, guides, listing, previous)
    digest = hashlib.sha256(data).hexdigest()
    pairs = [(rel, str(found.stats[rel][3])) for rel in found.new]
    pairs.append((MANIFEST, digest))
    with ledger.engine.begin() as conn:  # one transaction: one turn at SQLite's write lock
        recorded = record_pairs(conn, channel, pairs, now)
        store_signed(conn, channel, data, now)
        log_signed(conn, channel, digest, len(listing), now)
    save(digest, state, guides, cache, changes)
    return Signed(channel, out, key.id, len(listing), len(found.new), recorded)


def _same_files(stats: Mapping[str, list[Any]], cache: Cache) -> bool:
    """Whether the files' SHA-256 are those the cache lists."""
    if isinstance(stats, FileStats) and stats.base is cache.files:
        base = cache.files
        return all(
            e is not None and base.get(r, [None] * 4)[3] == e[3] for r, e in stats.delta.items()
        )
    return _digests(stats) == _digests(cache.files)


def _previous(
    out: Path, cache: Cache, found: Audit, guides: Mapping[str, Any], moved: set[str]
) -> Previous | None:
    """What the new manifest can build on: the signed one the cache was written with, when its
    top file and every shard are as signed (their status as the cache kept it); else None."""
    if cache.signed is None or cache.shown is None or cache.own != _manifest_stat(out):
        return None
    data = read_regular(out / MANIFEST)
    if data is None or hashlib.sha256(data).hexdigest() != cache.signed:
        return None
    top = orjson.loads(data)
    shards = top.get("shards")
    if top.get("format") != FORMAT or not isinstance(shards, dict):
        return None
    changed = set(found.new) | moved
    stats = found.stats
    if not (isinstance(stats, FileStats) and stats.base is cache.files):
        return Previous(shards, changed | (stats.keys() ^ cache.files.keys()))  # came, went
    changed |= stats.delta.keys()

    def keys(hh: str) -> tuple[list[str], list[str]]:
        ids = {g for g in [*cache.guide_ids(hh), *moved] if g in guides and shard_of(g) == hh}
        return sorted(ids), sorted(stats.shard(hh))

    return Previous(shards, changed, keys)


def _write_signed(
    out: Path,
    key: SigningKey,
    header: dict[str, Any],
    guides: Mapping[str, Any],
    listing: Mapping[str, dict[str, Any]],
    previous: Previous | None,
) -> bytes:
    """Write the shards that changed (new files: the old manifest stays whole), the public key,
    the signature and the top file (the commit), then remove the shards it no longer names;
    the top file's bytes."""
    shards = write_shards(out, guides, listing, previous)
    data = manifest_bytes(header, {"shards": shards})
    if read_regular(out / PUBLIC_KEY) != key.public_pem:  # the same key as the last run: kept
        write_atomic(out / PUBLIC_KEY, key.public_pem, 0o644)
    write_atomic(out / SIGNATURE, key.sign(data), 0o644)
    write_atomic(out / MANIFEST, data, 0o644)
    remove_unnamed(out, shards)
    return data


def _check(
    ledger: Ledger,
    channel: str,
    out: Path,
    before: Snapshot | None,
    written: set[str] | None,
    key: SigningKey,
    cache_file: Path,
) -> tuple[Audit, Cache]:
    """The folder judged (:mod:`guidesrc.channel_audit`): only what changed since the last
    signature when the snapshot kept its cache (the run's journal, the changed folders), else
    every entry; and the cache it was judged with."""
    kept = before.kept if before is not None else None
    if before is not None and isinstance(kept, Cache) and before.root == out:
        return audit_changes(out, OWN_FILES, before, written or set()), kept
    cache = _load_cache(cache_file, out, _ledger_id(ledger), key, channel)
    return audit(out, OWN_FILES, before, _baseline(ledger, channel, out, cache), cache.files), cache


def _still_signed(ledger: Ledger, channel: str, out: Path, cache: Cache, moved: set[str]) -> bool:
    """Whether the manifest signed with the cache is the ledger's newest, untouched in the
    folder (its status as written), and lists the guides the channel shows now (none
    ``moved``)."""
    if cache.shown is None or cache.own is None or moved:
        return False
    return _manifest_stat(out) == cache.own and cache.signed == signed_sha256(ledger, channel)


def _handed_name(adapter: Adapter[Any]) -> str | None:
    """The library's name in the configuration the publisher handed the adapter (the approved
    one); None when it was handed none."""
    config = adapter.config
    return None if config is None else str(config.name)


def _library_name(root: Path, ledger: Ledger) -> str:
    """The library's name as approved (the configuration in force), as every channel shows it."""

    return str(in_force(root, ledger).config.name)


def record_pairs(
    conn: sa.Connection, channel: str, pairs: list[tuple[str, str]], now: dt.datetime
) -> int:
    """Insert the (path, SHA-256) pairs the ledger does not have yet (in ``conn``'s
    transaction); how many were new."""

    if not pairs:
        return 0
    rows = [{"channel": channel, "path": p, "sha256": h, "first_seen": now} for p, h in pairs]
    count = 0
    for start in range(0, len(rows), 5000):
        result = conn.execute(_INSERT_PAIRS, rows[start : start + 5000])
        count += max(result.rowcount, 0)
    return count


#: The pairs not there yet: ``INSERT … ON CONFLICT DO NOTHING`` is written alike in SQLite and
#: PostgreSQL, so no dialect's own construct (and its import, ~25 ms a publish) is needed.
_INSERT_PAIRS = sa.text(
    "INSERT INTO manifest_file (channel, path, sha256, first_seen)"
    " VALUES (:channel, :path, :sha256, :first_seen)"
    " ON CONFLICT (channel, path, sha256) DO NOTHING"
).bindparams(
    sa.bindparam("first_seen", type_=ManifestFile.__table__.c.first_seen.type)  # type: ignore[attr-defined]
)


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
