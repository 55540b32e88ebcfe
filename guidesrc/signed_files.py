"""Print only what was signed: a sheet's bytes checked against its channel's signed manifest.

The pdf channel's own ``manifest.json`` names each sheet with its SHA-256, but anyone who can
write to the folder can change both a sheet and that line. Before the kiosk or the printer
channel sends a sheet to a printer, :func:`check_signed` also requires:

- ``guides-manifest.json`` in the same folder, signed (``guides-manifest.json.sig``) by one of the
  library's public keys in ``keys/`` (never the copy in the folder, which the folder's writer
  could replace), not by a key after it was retired;
- that manifest lists the sheet's path with the SHA-256 of the bytes about to be printed;
- for the kiosk, which has the ledger: that manifest is the channel's newest signed one, as the
  ledger keeps it (an older signed manifest put back with its sheet is refused).

A mismatch raises :class:`UnsignedSheet`: nothing is printed. The kiosk logs the refusal in the
ledger (``print.refused``, shown by ``guides status``); the printer channel's delivery fails with
the same message (shown by ``guides status`` as a failed delivery).

A library without public keys (``guides keys init`` never run) signs nothing, so nothing can be
checked: sheets are printed as the pdf channel's manifest says, and ``guides publish`` warns that
the channels are unsigned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from guidesrc.channel_audit import ACTOR, PRINT_REFUSED
from guidesrc.i18n import _
from guidesrc.print.problems import SheetProblem

if TYPE_CHECKING:
    from guidesrc.ledger import Ledger
    from guidesrc.print.bundle import Bundle, Sheet

log = logging.getLogger("guidesrc.print")


class UnsignedSheet(SheetProblem):
    """A sheet's bytes are not the ones the channel's signed manifest lists."""


def check_signed(folder: Path, rel: str, data: bytes, library: Path | None) -> None:
    """Nothing when ``data`` is the file ``rel`` of ``folder`` as its signed manifest lists it
    (or when ``library`` is None or has no public keys); UnsignedSheet otherwise."""
    from guidesrc.manifest import MANIFEST, SIGNATURE
    from guidesrc.signing import public_keys, signature_valid

    if library is None:
        return
    keys = public_keys(library)
    if not keys:
        return  # a library that signs nothing: nothing to check against
    try:
        manifest = (folder / MANIFEST).read_bytes()
        signature = (folder / SIGNATURE).read_bytes()
    except OSError:
        raise UnsignedSheet(_unsigned(rel, _("the folder has no signed manifest"))) from None
    try:
        body: dict[str, Any] = orjson.loads(manifest)
    except orjson.JSONDecodeError:
        raise UnsignedSheet(_unsigned(rel, _("its signed manifest cannot be read"))) from None
    key = keys.get(str(body.get("key")))
    if key is None or not signature_valid(key.key, manifest, signature):
        raise UnsignedSheet(_unsigned(rel, _("the manifest's signature is not valid")))
    if key.retired is not None and _created(body) >= key.retired:
        raise UnsignedSheet(_unsigned(rel, _("the manifest's signature is not valid")))
    listed = (body.get("files") or {}).get(rel)
    digest = hashlib.sha256(data).hexdigest()
    if not isinstance(listed, dict) or listed.get("sha256") != digest:
        raise UnsignedSheet(
            _unsigned(rel, _("its SHA-256 is not the one the signed manifest lists"))
        )


def _created(body: dict[str, Any]) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(body.get("created_at")).replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.max.replace(tzinfo=dt.UTC)  # no time: taken as after any retirement


def _unsigned(rel: str, reason: str) -> str:
    return _(
        "the sheet {file} is not printed: {reason}. It may have been replaced; find what changed with guides verify, then put the published file back or rewrite the channel with guides publish --rebuild CHANNEL"
    ).format(file=rel, reason=reason)


def read_signed(bundle: Bundle, sheet: Sheet, ledger: Ledger | None, source: str) -> bytes:
    """The sheet's bytes for a printer (:meth:`Bundle.read`, which checks them against the
    signed manifest); a refusal is logged in the ledger as ``print.refused`` before it is
    raised again, so that ``guides status`` shows it to staff."""
    try:
        data = bundle.read(sheet)
        if ledger is not None:
            check_latest(bundle, sheet.file, ledger)
        return data
    except UnsignedSheet as exc:
        log.error("%s: %s", source, exc)
        if ledger is not None:
            record_refusal(ledger, source, bundle.channel, sheet.file, str(exc))
        raise


def check_latest(bundle: Bundle, rel: str, ledger: Ledger) -> None:
    """UnsignedSheet unless the folder's signed manifest is the channel's newest one, as the
    ledger keeps it: an older signed manifest put back with its older sheet (both genuinely
    signed once) is not printed, nor one signed by a key planted in the library's ``keys/``."""
    import sqlalchemy as sa

    from guidesrc.ledger.models import SignedManifest
    from guidesrc.manifest import MANIFEST

    if bundle.library is None or bundle.channel is None:
        return
    table = SignedManifest.__table__  # type: ignore[attr-defined]
    with ledger.engine.connect() as conn:
        latest = conn.execute(
            sa.select(table.c.sha256).where(table.c.channel == bundle.channel)
        ).scalar_one_or_none()
    if latest is None:
        return  # signed before the ledger kept manifests: the signature check above stands
    try:
        shown = hashlib.sha256((bundle.folder / MANIFEST).read_bytes()).hexdigest()
    except OSError:
        shown = None
    if shown != latest:
        raise UnsignedSheet(
            _unsigned(
                rel, _("the folder's signed manifest is not the newest one the ledger recorded")
            )
        )


def record_refusal(
    ledger: Ledger, source: str, channel: str | None, file: str, message: str
) -> None:
    try:
        with ledger.session() as session:
            now = dt.datetime.now(dt.UTC)
            ledger.log(
                session,
                PRINT_REFUSED,
                ACTOR,
                at=now,
                channel=channel,
                source=source,
                file=file,
                message=message,
            )
            session.commit()
    except Exception:  # the refusal stands even when the ledger is out of reach
        log.exception("the refused print could not be recorded")
