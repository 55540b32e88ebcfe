"""`guides verify`: read back what each channel shows now and compare it with the ledger and the
signed manifest.

Per channel of ``library.yaml``:

- **a file channel** (settings with ``path``: directory, site, pdf, hotline, mobile, cpsv): its
  folder, or with ``--url CHANNEL=URL`` the same files over HTTP(S). The manifest's signature is
  checked against the library's public keys (``keys/``, by key id); every file is hashed again
  (never from a cache) and compared with the manifest; the manifest's guides are compared with the
  ledger's, and the manifest with the newest one the ledger recorded;
- **the http channel**: each guide the ledger says it shows is fetched (``GET {base}/guides/{id}``
  through the adapter's own client, authenticated) and its version and content hash compared;
- **anything else** (the printer channel: sheets on paper) has nothing to read back: a note says so.

Findings (``Finding.kind``)::

    missing      listed (or in the ledger) but not there
    modified     there, with other content than signed
    stale        an older version: a file or manifest an earlier publish wrote, put back
    unexpected   there, but not listed (or not in the ledger)
    withdrawn    shown as withdrawn although the ledger has it in force
    signature    the manifest's signature does not verify (or its key is unknown or retired)
    unsigned     the manifest names no key (guidesrc writes none such: made by hand or elsewhere)
    error        the channel could not be read at all (the command then exits 2)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

from guidesrc.i18n import N_, _
from guidesrc.manifest import (
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    Guides,
    known_hash,
    latest_manifest,
    sha256_file,
    shown_guides,
    walk,
)
from guidesrc.signing import PublicKey, signature_valid

if TYPE_CHECKING:
    import httpx

    from guidesrc.ledger import Ledger
    from guidesrc.model.library import LibraryConfig

#: Each kind of finding and its name for people.
KINDS = {
    "missing": N_("missing"),
    "modified": N_("modified"),
    "stale": N_("stale (an older version)"),
    "unexpected": N_("unexpected"),
    "withdrawn": N_("withdrawn unexpectedly"),
    "signature": N_("signature invalid"),
    "unsigned": N_("unsigned"),
    "error": N_("cannot be checked"),
}
URL_WORKERS = 8


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    where: str  # the file (as given: library-relative folder or URL) or the guide's address
    message: str
    guide: str | None = None
    path: str | None = None  # relative to the channel's folder

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "where": self.where,
            "path": self.path,
            "guide": self.guide,
            "message": self.message,
        }


@dataclass(slots=True)
class ChannelCheck:
    channel: str
    type: str
    where: str  # the folder, URL or push base checked
    method: str  # folder | url | push | none
    files: int = 0
    guides: int = 0
    key: str | None = None
    created_at: str | None = None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    guide_ids: set[str] = field(default_factory=set)  # to name the guide a file belongs to

    @property
    def failed(self) -> bool:
        return any(f.kind == "error" for f in self.findings)

    def add(self, kind: str, where: str, message: str, **extra: Any) -> None:
        """One finding; a file named after a guide (``guides/<id>.html``) names that guide."""
        path = extra.get("path")
        if path and "guide" not in extra:
            stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
            if stem in self.guide_ids:
                extra["guide"] = stem
        self.findings.append(Finding(kind, where, message, **extra))

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "type": self.type,
            "where": self.where,
            "method": self.method,
            "files": self.files,
            "guides": self.guides,
            "key": self.key,
            "created_at": self.created_at,
            "ok": not self.findings,
            "findings": [f.as_dict() for f in self.findings],
            "notes": self.notes,
        }


# --- the whole library ----------------------------------------------------------------------


def verify_library(
    root: Path,
    config: LibraryConfig,
    ledger: Ledger,
    keys: dict[str, PublicKey],
    only: Iterable[str] = (),
    urls: dict[str, str] | None = None,
) -> list[ChannelCheck]:
    """Check every channel (or those named in ``only``); ``urls``: channel → public address."""
    from guidesrc.adapters import adapter_types

    urls = urls or {}
    types = adapter_types()
    wanted = set(only)
    checks = []
    for name, channel in config.channels.items():
        if wanted and name not in wanted:
            continue
        kind = types.get(channel.type)
        path = channel.settings.get("path") if isinstance(channel.settings, dict) else None
        if name in urls:
            check = ChannelCheck(name, channel.type, urls[name], "url")
            verify_url(check, urls[name], ledger, keys)
        elif isinstance(path, str) and path:
            check = ChannelCheck(name, channel.type, path, "folder")
            with ledger.publish_lock(True):  # not while a publish is half-way through the folder
                verify_folder(check, root / path, ledger, keys)
        elif kind is not None and _is_http(kind):
            check = ChannelCheck(name, channel.type, str(channel.settings.get("base", "")), "push")
            verify_push(check, root, kind, channel.settings, ledger)
        else:
            check = ChannelCheck(name, channel.type, "", "none")
            check.notes.append(_nothing_to_read(channel.type))
        checks.append(check)
    return checks


def _is_http(kind: type[Any]) -> bool:
    from guidesrc.adapters.http import HttpAdapter

    return issubclass(kind, HttpAdapter)


def _nothing_to_read(kind: str) -> str:
    if kind == "printer":
        return _(
            "the printer channel keeps nothing to read back: its sheets are paper in the halls. A printout is checked by the short content hash in its footer against the pdf channel's signed manifest (docs/verify.md)"
        )
    return _("the {type} channel has no folder and no push API to read back: not checked").format(
        type=kind
    )


# --- a file channel, in its folder ----------------------------------------------------------


def verify_folder(
    check: ChannelCheck, folder: Path, ledger: Ledger, keys: dict[str, PublicKey]
) -> None:
    shown = shown_guides(ledger, check.channel)
    check.guides = len(shown)
    display = check.where.rstrip("/")
    if not folder.exists():
        if shown:
            check.add(
                "missing",
                display,
                _("the folder is missing; the ledger says it shows {count} guide(s)").format(
                    count=len(shown)
                ),
            )
        else:
            check.notes.append(_("nothing published on this channel yet"))
        return
    out = folder.resolve()

    def read(name: str) -> bytes | None:
        try:
            return (out / name).read_bytes()
        except FileNotFoundError:
            return None

    manifest = _check_manifest(check, display, read, ledger, keys, shown)
    if manifest is None:
        return
    files: dict[str, dict[str, Any]] = manifest.get("files") or {}
    seen: set[str] = set()
    for rel, entry in sorted(walk(out), key=lambda item: item[0]):
        seen.add(rel)
        listed = files.get(rel)
        where = f"{display}/{rel}"
        if not entry.is_file(follow_symlinks=False):  # a link, a pipe: never listed, never read
            check.add(
                "unexpected", where, _("not a regular file (a link?): never signed"), path=rel
            )
            continue
        if listed is None:
            check.add("unexpected", where, _("a file the manifest does not list"), path=rel)
            continue
        _compare_file(check, where, rel, sha256_file(out / rel), listed, ledger)
    for rel in sorted(set(files) - seen):
        check.add("missing", f"{display}/{rel}", _("listed in the manifest, not there"), path=rel)
    check.files = len(files)


def _check_manifest(
    check: ChannelCheck,
    display: str,
    read: Callable[[str], bytes | None],
    ledger: Ledger,
    keys: dict[str, PublicKey],
    shown: Guides,
) -> dict[str, Any] | None:
    """The manifest, its signature checked and its guides compared with the ledger; None when
    there is no manifest to compare the files with."""
    where = f"{display}/{MANIFEST}"
    data = read(MANIFEST)
    if data is None:
        check.add(
            "missing",
            where,
            _(
                "no manifest, so the channel's files cannot be checked (guides publish writes one only with a signing key: see guides keys status)"
            ),
        )
        return None
    try:
        manifest = orjson.loads(data)
        if not isinstance(manifest, dict):
            raise ValueError(manifest)
    except (orjson.JSONDecodeError, ValueError):
        check.add("modified", where, _("the manifest is not valid JSON"))
        return None
    check.guide_ids = set(shown) | set(manifest.get("guides") or {})
    check.key = manifest.get("key") if isinstance(manifest.get("key"), str) else None
    check.created_at = str(manifest.get("created_at"))
    trusted = _check_signature(check, display, data, manifest, read(SIGNATURE), keys)
    public = read(PUBLIC_KEY)
    if check.key in keys and public is not None and public != keys[check.key].pem:
        check.add(
            "modified",
            f"{display}/{PUBLIC_KEY}",
            _("the published public key is not the library's key {id}").format(id=check.key),
        )
    elif check.key in keys and public is None:
        check.add("missing", f"{display}/{PUBLIC_KEY}", _("the public key file is missing"))
    if manifest.get("channel") != check.channel:
        check.add(
            "unexpected",
            where,
            _("a manifest of the channel {other}, not of {channel}").format(
                other=manifest.get("channel"), channel=check.channel
            ),
        )
    if trusted:
        _check_recorded(check, where, data, ledger)
    _compare_guides(check, where, manifest.get("guides") or {}, shown)
    return manifest


def _check_signature(
    check: ChannelCheck,
    display: str,
    data: bytes,
    manifest: dict[str, Any],
    signature: bytes | None,
    keys: dict[str, PublicKey],
) -> bool:
    """Whether the manifest can be trusted: signed by a library key valid at its time, or
    unsigned (reported as such)."""
    where = f"{display}/{SIGNATURE}"
    kid = check.key
    if kid is None:
        if signature is not None:
            check.add("signature", where, _("a signature, but the manifest names no key"))
            return False
        check.add(
            "unsigned",
            f"{display}/{MANIFEST}",
            _(
                "the manifest names no signing key: it was not written by guides publish, which signs every manifest"
            ),
        )
        return True
    key = keys.get(kid)
    if key is None:
        check.add(
            "signature",
            where,
            _("signed with the key {id}, which is not one of the library's keys (keys/)").format(
                id=kid
            ),
        )
        return False
    if signature is None:
        check.add("signature", where, _("the signature file is missing"))
        return False
    if not signature_valid(key.key, data, signature):
        check.add(
            "signature",
            where,
            _(
                "the signature does not match the manifest: the manifest was changed after it was signed, or signed with another key than {id}"
            ).format(id=kid),
        )
        return False
    created = _time(manifest.get("created_at"))
    if key.retired is not None and (created is None or created > key.retired):
        check.add(
            "signature",
            where,
            _("signed with the key {id} after it was retired ({retired})").format(
                id=kid, retired=key.retired.strftime("%Y-%m-%dT%H:%M:%SZ")
            ),
        )
        return False
    return True


def _time(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def _check_recorded(check: ChannelCheck, where: str, data: bytes, ledger: Ledger) -> None:
    digest = hashlib.sha256(data).hexdigest()
    latest = latest_manifest(ledger, check.channel)
    if latest is None or latest == digest:
        return
    first = known_hash(ledger, check.channel, MANIFEST, digest)
    if first is not None:
        check.add(
            "stale",
            where,
            _("an earlier manifest (written {time}) was put back; the newest is another").format(
                time=first.strftime("%Y-%m-%dT%H:%M:%SZ")
            ),
            path=MANIFEST,
        )
    else:
        check.add("unexpected", where, _("a manifest the ledger never recorded"), path=MANIFEST)


def _compare_file(
    check: ChannelCheck,
    where: str,
    rel: str,
    digest: str,
    listed: dict[str, Any],
    ledger: Ledger,
) -> None:
    if digest == listed.get("sha256"):
        return
    first = known_hash(ledger, check.channel, rel, digest)
    if first is not None:
        check.add(
            "stale",
            where,
            _("an earlier version of the file (published {time}) is back").format(
                time=first.strftime("%Y-%m-%dT%H:%M:%SZ")
            ),
            path=rel,
        )
        return
    check.add(
        "modified",
        where,
        _("the content differs from the manifest (SHA-256 {found}, signed {expected})").format(
            found=digest[:12], expected=str(listed.get("sha256"))[:12]
        ),
        path=rel,
    )


# --- guides: the manifest (or a receiver) against the ledger --------------------------------


def _compare_guides(check: ChannelCheck, where: str, listed: Guides, shown: Guides) -> None:
    for gid in sorted(shown.keys() | listed.keys()):
        want, have = shown.get(gid), listed.get(gid)
        if have is None:
            check.add(
                "missing",
                where,
                _(
                    "guide {id}: the ledger says the channel shows {what}; the manifest lacks it"
                ).format(id=gid, what=_describe(want)),
                guide=gid,
            )
        elif want is None:
            check.add(
                "unexpected",
                where,
                _("guide {id}: in the manifest ({what}), not delivered here by the ledger").format(
                    id=gid, what=_describe(have)
                ),
                guide=gid,
            )
        else:
            for kind, message in _differences(gid, want, have):
                check.add(kind, where, message, guide=gid)


def _differences(gid: str, want: dict[str, Any], have: dict[str, Any]) -> list[tuple[str, str]]:
    """What differs between what the ledger says (``want``) and what is shown (``have``)."""
    if want == have:
        return []
    found = _describe(have)
    expected = _describe(want)
    wstate, hstate = want.get("state"), have.get("state")
    if hstate == "withdrawn" and wstate != "withdrawn":
        kind = "withdrawn"
    elif wstate == "withdrawn" and hstate != "withdrawn":
        kind = "unexpected"
    elif have.get("version", 0) < want.get("version", 0) or (
        have.get("version") == want.get("version")
        and _upcoming(have) < _upcoming(want)
        and have.get("content_hash") == want.get("content_hash")
    ):
        kind = "stale"
    elif have.get("version") == want.get("version") and have.get("content_hash") != want.get(
        "content_hash"
    ):
        kind = "modified"
    else:
        kind = "unexpected"
    message = _("guide {id}: shows {found}; the ledger says {expected}").format(
        id=gid, found=found, expected=expected
    )
    return [(kind, message)]


def _upcoming(entry: dict[str, Any]) -> int:
    upcoming = entry.get("upcoming")
    return int(upcoming["version"]) if isinstance(upcoming, dict) else 0


def _describe(entry: dict[str, Any] | None) -> str:
    if not entry:
        return _("nothing shown")
    state = entry.get("state")
    if state == "withdrawn":
        text = _("withdrawn (v{version})").format(version=entry.get("version"))
    elif state == "upcoming":
        text = _("v{version} upcoming, {hash}").format(
            version=entry.get("version"), hash=str(entry.get("content_hash"))[:12]
        )
    else:
        text = _("v{version} in force, {hash}").format(
            version=entry.get("version"), hash=str(entry.get("content_hash"))[:12]
        )
    upcoming = entry.get("upcoming")
    if isinstance(upcoming, dict):
        text += _(" (v{version} upcoming)").format(version=upcoming.get("version"))
    return text


# --- a file channel, over HTTP(S) -----------------------------------------------------------


def verify_url(check: ChannelCheck, url: str, ledger: Ledger, keys: dict[str, PublicKey]) -> None:
    """The files at a public address: the manifest, its signature and every file it lists.
    Files it does not list cannot be found without a listing: a note says so."""
    import httpx

    base = url.rstrip("/")
    shown = shown_guides(ledger, check.channel)
    check.guides = len(shown)
    with httpx.Client(timeout=30, follow_redirects=True) as client:
        try:
            fetched = {name: _get(client, f"{base}/{name}") for name in (MANIFEST, SIGNATURE)}
            fetched[PUBLIC_KEY] = _get(client, f"{base}/{PUBLIC_KEY}")
        except httpx.HTTPError as exc:
            check.add(
                "error", base, _("cannot be read: {error}").format(error=str(exc) or repr(exc))
            )
            return
        manifest = _check_manifest(check, base, fetched.get, ledger, keys, shown)
        if manifest is None:
            return
        files: dict[str, dict[str, Any]] = manifest.get("files") or {}
        check.files = len(files)

        def fetch(rel: str) -> tuple[str, bytes | Exception | None]:
            try:
                return rel, _get(client, f"{base}/{quote(rel)}")
            except httpx.HTTPError as exc:
                return rel, exc

        with ThreadPoolExecutor(URL_WORKERS) as pool:
            results = list(pool.map(fetch, sorted(files)))
    for rel, body in results:
        where = f"{base}/{rel}"
        if isinstance(body, Exception):
            check.add("error", where, _("cannot be read: {error}").format(error=body), path=rel)
        elif body is None:
            check.add("missing", where, _("listed in the manifest, not there"), path=rel)
        else:
            _compare_file(check, where, rel, hashlib.sha256(body).hexdigest(), files[rel], ledger)
    check.notes.append(
        _(
            "over HTTP only the files the manifest lists are fetched: files added beside them cannot be found without a listing (check the folder for those)"
        )
    )


def _get(client: httpx.Client, url: str) -> bytes | None:
    """The body, None for 404/410; httpx.HTTPError for anything else."""
    response = client.get(url)
    if response.status_code in (404, 410):
        return None
    response.raise_for_status()
    return response.content


# --- the http channel ------------------------------------------------------------------------


def verify_push(
    check: ChannelCheck, root: Path, kind: type[Any], settings: Any, ledger: Ledger
) -> None:
    """Ask the receiver for each guide the ledger says it shows, through the adapter's own
    client (its authentication, timeouts and retries)."""
    from guidesrc.adapters import DeliveryError
    from guidesrc.errors import GuidesError

    shown = shown_guides(ledger, check.channel)
    check.guides = len(shown)
    try:
        adapter = kind(check.channel, kind.Settings.model_validate(settings), root)
    except GuidesError as exc:
        check.add("error", check.where, exc.message)
        return
    try:
        for gid in sorted(shown):
            where = f"{check.where}/guides/{gid}"
            try:
                held = _held(adapter, gid, shown[gid])
            except DeliveryError as exc:
                check.add("error", where, str(exc), guide=gid)
                continue
            for finding_kind, message in _push_differences(gid, shown[gid], held):
                check.add(finding_kind, where, message, guide=gid)
    finally:
        adapter.close()
    check.notes.append(
        _(
            "the push API cannot list what the receiver holds: guides the ledger never delivered there cannot be found"
        )
    )


def _held(adapter: Any, guide_id: str, want: dict[str, Any]) -> dict[str, Any] | None:
    """What the receiver holds for a guide (GET, as the adapter's lookup asks), None for 404."""
    from guidesrc.adapters import Delivery
    from guidesrc.adapters.http import _json, refusal

    withdrawn = want["state"] == "withdrawn"
    probe = Delivery(  # what the ledger says the receiver has: the GET's Idempotency-Key
        action="withdraw" if withdrawn else "publish",
        guide_id=guide_id,
        version=int(want["version"]),
        name="",
        effective_date=dt.date(2000, 1, 1),
        approved_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        content_hash=None if withdrawn else want.get("content_hash"),
        guide=None,
        notice={},
    )
    response, _attempts = adapter._send("GET", probe, None)
    if response.status_code in (404, 410):
        return None
    if not response.is_success:
        raise refusal(response)
    return _json(response)


def _push_differences(
    gid: str, want: dict[str, Any], held: dict[str, Any] | None
) -> list[tuple[str, str]]:
    """A receiver's answer (``{current, upcoming, withdrawn}``) against the ledger."""
    if held is None:
        if want["state"] == "withdrawn":
            return []  # withdrawn, and the receiver dropped it: nothing is shown
        return [
            (
                "missing",
                _("guide {id}: the receiver does not have it; the ledger says {expected}").format(
                    id=gid, expected=_describe(want)
                ),
            )
        ]
    have = _as_entry(held)
    if have is None:
        if want["state"] == "withdrawn":
            return []
        return [
            (
                "missing",
                _(
                    "guide {id}: the receiver holds nothing for it; the ledger says {expected}"
                ).format(id=gid, expected=_describe(want)),
            )
        ]
    return _differences(gid, want, have)


def _as_entry(held: dict[str, Any]) -> dict[str, Any] | None:
    """A receiver's answer in the manifest's form."""

    def slot(name: str) -> dict[str, Any] | None:
        value = held.get(name)
        return value if isinstance(value, dict) else None

    current, upcoming, withdrawn = slot("current"), slot("upcoming"), slot("withdrawn")
    entry: dict[str, Any]
    if current is not None:
        entry = {
            "state": "current",
            "version": current.get("version"),
            "content_hash": current.get("content_hash"),
        }
        if upcoming is not None:
            entry["upcoming"] = {
                "version": upcoming.get("version"),
                "content_hash": upcoming.get("content_hash"),
            }
        return entry
    if upcoming is not None:
        return {
            "state": "upcoming",
            "version": upcoming.get("version"),
            "content_hash": upcoming.get("content_hash"),
        }
    if withdrawn is not None:
        return {"state": "withdrawn", "version": withdrawn.get("version")}
    return None


# --- one file, with only a manifest and a public key -----------------------------------------


@dataclass(frozen=True, slots=True)
class FileCheck:
    signature_ok: bool
    key: str | None
    created_at: str | None
    matches: list[str]  # the manifest's paths with the file's hash
    sha256: str


def verify_file(path: Path, manifest: bytes, signature: bytes, public: Any) -> FileCheck:
    """Whether ``signature`` signs ``manifest`` under ``public``, and where the manifest lists a
    file with ``path``'s content."""
    from guidesrc.signing import key_id

    ok = signature_valid(public, manifest, signature)
    body = orjson.loads(manifest)
    digest = sha256_file(path)
    files: dict[str, dict[str, Any]] = body.get("files") or {}
    matches = sorted(rel for rel, entry in files.items() if entry.get("sha256") == digest)
    listed_key = body.get("key")
    return FileCheck(
        ok and listed_key == key_id(public),
        listed_key if isinstance(listed_key, str) else None,
        body.get("created_at"),
        matches,
        digest,
    )
