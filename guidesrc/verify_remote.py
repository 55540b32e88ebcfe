"""``guides verify`` over the network: a file channel's files over HTTP(S) (``--url CHANNEL=URL``),
and a push channel read back guide by guide through its adapter."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from guidesrc.adapters import Adapter, DeliveryError
from guidesrc.i18n import _
from guidesrc.manifest import (
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    shown_guides,
)
from guidesrc.signing import PublicKey
from guidesrc.verify_checks import (
    URL_WORKERS,
    ChannelCheck,
    check_manifest,
    compare_file,
    describe_entry,
    guide_differences,
)

if TYPE_CHECKING:
    from guidesrc.ledger import Ledger


def verify_url(check: ChannelCheck, url: str, ledger: Ledger, keys: dict[str, PublicKey]) -> None:
    """The files at a public address: the manifest, its signature and every file it lists.
    Files it does not list cannot be found without a listing: a note says so."""
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

        def read(name: str) -> bytes | None:  # the shards fetched when the manifest names them
            return fetched[name] if name in fetched else _get(client, f"{base}/{quote(name)}")

        try:
            manifest = check_manifest(check, base, read, ledger, keys, shown)
        except httpx.HTTPError as exc:
            check.add(
                "error", base, _("cannot be read: {error}").format(error=str(exc) or repr(exc))
            )
            return
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
            compare_file(check, where, rel, hashlib.sha256(body).hexdigest(), files[rel], ledger)
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


def verify_push(check: ChannelCheck, adapter: Adapter[Any], ledger: Ledger) -> None:
    """Read back each guide the ledger says the channel shows, through its adapter
    (:meth:`~guidesrc.adapters.Adapter.read_back`: the http channel's own client, its
    authentication, timeouts and retries)."""
    shown = shown_guides(ledger, check.channel)
    check.guides = len(shown)
    for gid in sorted(shown):
        where = f"{check.where}/guides/{gid}"
        try:
            held = adapter.read_back(gid, shown[gid])
        except DeliveryError as exc:
            check.add("error", where, str(exc), guide=gid)
            continue
        for finding_kind, message in _push_differences(gid, shown[gid], held):
            check.add(finding_kind, where, message, guide=gid)
    check.notes.append(
        _(
            "the push API cannot list what the receiver holds: guides the ledger never delivered there cannot be found"
        )
    )


def _push_differences(
    gid: str, want: dict[str, Any], have: dict[str, Any] | None
) -> list[tuple[str, str]]:
    """What the channel shows of a guide (read back) against the ledger."""
    if have is None:
        if want["state"] == "withdrawn":
            return []  # withdrawn, and the receiver dropped it: nothing is shown
        return [
            (
                "missing",
                _("guide {id}: the receiver does not have it; the ledger says {expected}").format(
                    id=gid, expected=describe_entry(want)
                ),
            )
        ]
    return guide_differences(gid, want, have)
