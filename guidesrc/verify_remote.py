"""``guides verify`` over the network: a file channel's files over HTTP(S) (``--url CHANNEL=URL``),
and a push channel read back guide by guide through its adapter."""

from __future__ import annotations

import datetime as dt
import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from guidesrc.i18n import _
from guidesrc.manifest import (
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    shown_guides,
)
from guidesrc.signing import PublicKey
from guidesrc.statuses import Action
from guidesrc.verify_checks import (
    URL_WORKERS,
    ChannelCheck,
    check_manifest,
    compare_file,
    describe_entry,
    guide_differences,
)

if TYPE_CHECKING:
    import httpx

    from guidesrc.ledger import Ledger


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
        manifest = check_manifest(check, base, fetched.get, ledger, keys, shown)
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
        action=Action.WITHDRAW if withdrawn else Action.PUBLISH,
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
                    id=gid, expected=describe_entry(want)
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
                ).format(id=gid, expected=describe_entry(want)),
            )
        ]
    return guide_differences(gid, want, have)


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
