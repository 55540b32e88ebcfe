"""`guides verify`: read back what each channel shows now and compare it with the ledger and the
signed manifest.

Per channel of ``library.yaml``, by what its adapter declares (:mod:`guidesrc.adapters.base`):

- **a file channel** (``files``: directory, site, pdf, hotline, mobile, cpsv): its folder, or with
  ``--url CHANNEL=URL`` the same files over HTTP(S). The manifest's signature is
  checked against the library's public keys (``keys/``, by key id); every file is hashed again
  (never from a cache) and compared with the manifest; the manifest's guides are compared with the
  ledger's, and the manifest with the newest one the ledger recorded;
- **a readable channel** (``readable``: the http channel): each guide the ledger says it shows is
  read back through the adapter (:meth:`~guidesrc.adapters.Adapter.read_back`; the http channel
  asks ``GET {base}/guides/{id}`` with its own client, authenticated) and its version and content
  hash compared;
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

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from guidesrc.adapters import Adapter, make_adapter
from guidesrc.channel_audit import sha256_file
from guidesrc.errors import GuidesError
from guidesrc.i18n import _
from guidesrc.manifest import shown_guides, walk
from guidesrc.manifest_shards import expand, folder_reader, shard_folder_names
from guidesrc.signing import PublicKey, key_id, signature_valid
from guidesrc.verify_checks import ChannelCheck, check_manifest, compare_file
from guidesrc.verify_remote import verify_push, verify_url

if TYPE_CHECKING:
    from guidesrc.ledger import Ledger
    from guidesrc.model.library import LibraryConfig


def verify_library(
    root: Path,
    config: LibraryConfig,
    ledger: Ledger,
    keys: dict[str, PublicKey],
    only: Iterable[str] = (),
    urls: dict[str, str] | None = None,
) -> list[ChannelCheck]:
    """Check every channel (or those named in ``only``); ``urls``: channel → public address.
    Each channel's adapter is made here, handed ``config`` (the configuration in force)."""
    urls = urls or {}
    wanted = set(only)
    checks = []
    for name, channel in config.channels.items():
        if wanted and name not in wanted:
            continue
        if name in urls:
            check = ChannelCheck(name, channel.type, urls[name], "url")
            verify_url(check, urls[name], ledger, keys)
            checks.append(check)
            continue
        try:
            adapter = make_adapter(root, config, name)
        except GuidesError as exc:
            check = ChannelCheck(name, channel.type, "", "none")
            check.add("error", name, exc.message)
            checks.append(check)
            continue
        try:
            checks.append(_verify_channel(adapter, channel.type, ledger, keys))
        finally:
            adapter.close()
    return checks


def _verify_channel(
    adapter: Adapter[Any], kind: str, ledger: Ledger, keys: dict[str, PublicKey]
) -> ChannelCheck:
    """One channel read back as its adapter says it can be: its folder, or guide by guide."""
    if adapter.folder is not None:
        check = ChannelCheck(adapter.channel, kind, adapter.where, "folder")
        with ledger.publish_lock(True):  # not while a publish is half-way through the folder
            verify_folder(check, adapter.folder, ledger, keys)
    elif adapter.readable:
        check = ChannelCheck(adapter.channel, kind, adapter.where, "push")
        verify_push(check, adapter, ledger)
    else:
        check = ChannelCheck(adapter.channel, kind, "", "none")
        check.notes.append(_nothing_to_read(kind))
    return check


def _nothing_to_read(kind: str) -> str:
    if kind == "printer":
        return _(
            "the printer channel keeps nothing to read back: its sheets are paper in the halls. A printout is checked by the short content hash in its footer against the pdf channel's signed manifest (docs/verify.md)"
        )
    return _("the {type} channel has no folder and no push API to read back: not checked").format(
        type=kind
    )


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

    manifest = check_manifest(check, display, read, ledger, keys, shown)
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
        compare_file(check, where, rel, sha256_file(out / rel), listed, ledger)
    for rel in sorted(set(files) - seen):
        check.add("missing", f"{display}/{rel}", _("listed in the manifest, not there"), path=rel)
    for rel in shard_folder_names(out):
        if rel not in manifest["shards"]:
            message = _("a file in the manifest's shard folder that the manifest does not name")
            check.add("unexpected", f"{display}/{rel}", message, path=rel)
    check.files = len(files)


@dataclass(frozen=True, slots=True)
class FileCheck:
    signature_ok: bool
    key: str | None
    created_at: str | None
    matches: list[str]  # the manifest's paths with the file's hash
    sha256: str


def verify_file(
    path: Path, manifest: bytes, signature: bytes, public: Any, shards: Path | None = None
) -> FileCheck:
    """Whether ``signature`` signs ``manifest`` under ``public``, and where the manifest lists a
    file with ``path``'s content (a sharded manifest's shards read from the folder ``shards``,
    each proven by its hash in the manifest; a shard that is not is as good as none)."""
    ok = signature_valid(public, manifest, signature)
    body = orjson.loads(manifest)
    digest = sha256_file(path)
    files: dict[str, dict[str, Any]] = (
        expand(body, folder_reader(shards)).files if shards is not None else body.get("files") or {}
    )
    matches = sorted(rel for rel, entry in files.items() if entry.get("sha256") == digest)
    listed_key = body.get("key")
    return FileCheck(
        ok and listed_key == key_id(public),
        listed_key if isinstance(listed_key, str) else None,
        body.get("created_at"),
        matches,
        digest,
    )
