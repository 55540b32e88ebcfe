"""What ``guides verify`` finds (:class:`Finding`, :class:`ChannelCheck`) and the checks every way of
reading a channel shares: the signed manifest, its signature, the ledger's record, each file and
each guide compared with what was approved."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from guidesrc.i18n import N_, _
from guidesrc.manifest import (
    MANIFEST,
    PUBLIC_KEY,
    SHARD_DIR,
    SIGNATURE,
    Guides,
    known_hash,
    latest_manifest,
)
from guidesrc.manifest_shards import Expanded, expand
from guidesrc.signing import PublicKey, signature_valid

if TYPE_CHECKING:
    from guidesrc.ledger import Ledger


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


def check_manifest(
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
    manifest = _expanded(check, display, manifest, read)
    check.guide_ids = set(shown) | set(manifest["guides"])
    _compare_guides(check, where, manifest["guides"], shown)
    return manifest


def _expanded(
    check: ChannelCheck, display: str, manifest: dict[str, Any], read: Callable[[str], bytes | None]
) -> dict[str, Any]:
    """The manifest with its guides and files (a sharded one's read from the shards its top
    file names, each proven by its hash there: a shard changed, put back or missing is found);
    ``shards``: the shard files it names."""
    try:
        found = expand(manifest, read)
    except (orjson.JSONDecodeError, AttributeError):
        check.add(
            "modified", f"{display}/{SHARD_DIR}", _("a shard of the manifest is not valid JSON")
        )
        found = Expanded()
    for kind, rel, message in found.problems:
        check.add(kind, f"{display}/{rel}", message, path=rel)
    return {**manifest, "guides": found.guides, "files": found.files, "shards": found.names}


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
    earlier = N_("an earlier manifest (written {time}) was put back; the newest is another")
    if not _stale(check, where, MANIFEST, digest, ledger, earlier):
        check.add("unexpected", where, _("a manifest the ledger never recorded"), path=MANIFEST)


def _stale(
    check: ChannelCheck, where: str, rel: str, digest: str, ledger: Ledger, message: str
) -> bool:
    """Whether the ledger recorded ``digest`` for ``rel`` earlier: then a stale finding, its
    ``message`` (an ``N_`` id with ``{time}``) saying when."""
    first = known_hash(ledger, check.channel, rel, digest)
    if first is None:
        return False
    time = first.strftime("%Y-%m-%dT%H:%M:%SZ")
    check.add("stale", where, _(message).format(time=time), path=rel)
    return True


def compare_file(
    check: ChannelCheck,
    where: str,
    rel: str,
    digest: str,
    listed: dict[str, Any],
    ledger: Ledger,
) -> None:
    if digest == listed.get("sha256"):
        return
    earlier = N_("an earlier version of the file (published {time}) is back")
    if _stale(check, where, rel, digest, ledger, earlier):
        return
    check.add(
        "modified",
        where,
        _("the content differs from the manifest (SHA-256 {found}, signed {expected})").format(
            found=digest[:12], expected=str(listed.get("sha256"))[:12]
        ),
        path=rel,
    )


def _compare_guides(check: ChannelCheck, where: str, listed: Guides, shown: Guides) -> None:
    for gid in sorted(shown.keys() | listed.keys()):
        want, have = shown.get(gid), listed.get(gid)
        if have is None:
            check.add(
                "missing",
                where,
                _(
                    "guide {id}: the ledger says the channel shows {what}; the manifest lacks it"
                ).format(id=gid, what=describe_entry(want)),
                guide=gid,
            )
        elif want is None:
            check.add(
                "unexpected",
                where,
                _("guide {id}: in the manifest ({what}), not delivered here by the ledger").format(
                    id=gid, what=describe_entry(have)
                ),
                guide=gid,
            )
        else:
            for kind, message in guide_differences(gid, want, have):
                check.add(kind, where, message, guide=gid)


def guide_differences(
    gid: str, want: dict[str, Any], have: dict[str, Any]
) -> list[tuple[str, str]]:
    """What differs between what the ledger says (``want``) and what is shown (``have``)."""
    if want == have:
        return []
    found = describe_entry(have)
    expected = describe_entry(want)
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


def describe_entry(entry: dict[str, Any] | None) -> str:
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
