"""A sheet read for a printer with the ledger's checks (the kiosk): the folder's signed manifest
must be the channel's newest, and a refusal is logged in the ledger (``print.refused``).

The signature check itself is :func:`guidesrc.print.signed_sheets.check_signed`, which
:meth:`guidesrc.print.bundle.Bundle.read` runs on every read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa

from guidesrc.channel_audit import ACTOR, PRINT_REFUSED
from guidesrc.errors import UnsignedSheet
from guidesrc.i18n import _
from guidesrc.ledger.models import SignedManifest
from guidesrc.manifest_names import MANIFEST
from guidesrc.print.signed_sheets import unsigned_message

if TYPE_CHECKING:
    from guidesrc.ledger import Ledger
    from guidesrc.print.bundle import Bundle, Sheet

log = logging.getLogger("guidesrc.print")


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
            unsigned_message(
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
