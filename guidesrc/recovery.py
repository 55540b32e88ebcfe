"""Alerts about what was not signed or printed, and how an operator recovers a channel.

``guides status`` and ``guides publish`` show (and exit 1 for) each file channel whose last check
found files no run wrote and no manifest signed (``manifest.refused``), and each sheet a kiosk
refused to print since its channel was last signed (``print.refused``).

Recovery, either way:

- remove the planted files and put back the changed ones (``guides verify`` names each); the next
  ``guides publish`` finds the folder as last signed, logs ``manifest.clean`` and signs again;
- ``guides publish --rebuild CHANNEL`` (:func:`rebuild_channel`): holding the publishing lock, the
  channel's folder is moved to ``.guides/quarantine/<channel>-<UTC time>/`` (kept for inspection,
  never served), every delivery the ledger records as made on that channel is made again, in
  order, into an empty folder, and the new folder is signed: everything in it was written by
  this run from the ledger's approved versions.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import col, select

from guidesrc.channel_audit import CLEAN, PRINT_REFUSED, REFUSED, SIGNED, Finding, last_outcome
from guidesrc.errors import ChannelError
from guidesrc.i18n import N_, _
from guidesrc.library import STATE_DIR

if TYPE_CHECKING:
    from guidesrc.adapters import Adapter
    from guidesrc.ledger import Ledger
    from guidesrc.manifest import Signed

QUARANTINE = f"{STATE_DIR}/quarantine"
_KIND_WORDS = {
    "planted": N_("added"),
    "modified": N_("changed"),
    "removed": N_("removed"),
    "link": N_("a link"),
    "special": N_("not a regular file"),
}


def finding_text(channel: str, folder: str, findings: list[dict[str, Any]]) -> str:
    files = "、".join(
        f"{f['path']}（{_(_KIND_WORDS.get(f['kind'], f['kind']))}）" for f in findings
    )
    return _(
        "{channel}: not signed: files in {folder} that no publish wrote and the last signed manifest does not list: {files}. Remove or put back those files (guides verify names each), or rewrite the channel from the ledger with guides publish --rebuild {channel}; the next publish signs it again"
    ).format(channel=channel, folder=folder, files=files)


def findings_text(channel: str, folder: str, findings: list[Finding]) -> str:
    return finding_text(channel, folder, [f.as_dict() for f in findings])


def alerts(ledger: Ledger, channels: list[str]) -> list[str]:
    """Lines for staff: each channel not signed because of findings, each print refused since
    its channel was last signed (or found clean)."""
    from guidesrc.ledger.models import Event

    lines: list[str] = []
    for channel in channels:
        last = last_outcome(ledger, channel)
        if last is not None and last[0] == REFUSED:
            detail = last[1]
            lines.append(finding_text(channel, detail.get("folder", ""), detail["findings"]))
    latest: dict[str | None, int] = {}
    query = select(Event).where(col(Event.kind).in_((SIGNED, CLEAN, PRINT_REFUSED)))
    with ledger.session() as session:
        rows = list(session.exec(query.order_by(col(Event.id))))
    for event in rows:
        if event.kind != PRINT_REFUSED:
            latest[event.channel] = event.id or 0
    for event in rows:
        if event.kind == PRINT_REFUSED and (event.id or 0) > latest.get(event.channel, 0):
            from guidesrc.status import event_detail

            detail = event_detail(event)
            lines.append(
                _("{source}: refused to print: {message}").format(
                    source=detail.get("source", "-"), message=detail.get("message", "")
                )
            )
    return lines


# --- guides publish --rebuild CHANNEL ------------------------------------------------------------


@dataclass(slots=True)
class Rebuilt:
    channel: str
    quarantined: Path | None
    delivered: int = 0
    failed: list[str] = field(default_factory=list)  # the errors
    signed: Signed | None = None


def rebuild_channel(
    ledger: Ledger, adapters: dict[str, Adapter[Any]], channel: str, now: dt.datetime, wait: bool
) -> Rebuilt | None:
    """Rewrite a file channel from the ledger and sign it; None when another publisher runs."""
    from guidesrc.manifest import sign_channels

    adapter = adapters.get(channel)
    folder = None if adapter is None else adapter.folder
    if adapter is None or folder is None:
        names = ", ".join(sorted(n for n, a in adapters.items() if a.files)) or "-"
        raise ChannelError(
            _("--rebuild: {channel} is not a channel with a folder; one of: {names}").format(
                channel=channel, names=names
            )
        )
    with ledger.publish_lock(wait) as held:
        if not held:
            return None
        result = Rebuilt(channel, _quarantine(adapter.library, folder, channel, now))
        try:
            _redeliver(ledger, adapter, result)
        finally:
            adapter.close()
        done = sign_channels(ledger, {channel: adapter}, {channel}, now, {channel: None})
        result.signed = done[0] if done else None
        with ledger.session() as session:
            ledger.log(
                session,
                "channel.rebuilt",
                "publisher",
                at=now,
                channel=channel,
                quarantine=str(result.quarantined) if result.quarantined else None,
                delivered=result.delivered,
                failed=len(result.failed),
            )
            session.commit()
    return result


def _quarantine(library: Path, folder: Path, channel: str, now: dt.datetime) -> Path | None:
    """Move the channel's folder (for the site: the build its link points to) out of reach."""
    if not folder.exists() and not folder.is_symlink():
        return None
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = library / QUARANTINE / f"{channel}-{stamp}"
    target.parent.mkdir(parents=True, exist_ok=True)
    real = folder.resolve()
    if folder.is_symlink():
        folder.unlink()
    if real.exists():
        shutil.move(real, target)
    return target


def _redeliver(ledger: Ledger, adapter: Adapter[Any], result: Rebuilt) -> None:
    """Every delivery made on the channel, made again in the order it was first made."""
    from guidesrc.ledger.models import Approval, GuideVersion, Publication
    from guidesrc.manifest import SHOWN_STATUSES
    from guidesrc.publisher import _delivery, describe_error

    query = (
        select(Publication, GuideVersion, Approval)
        .join(GuideVersion, col(GuideVersion.id) == col(Publication.version_id))
        .join(Approval, col(Approval.id) == col(GuideVersion.approval_id))
        .where(Publication.channel == result.channel)
        .where(col(Publication.status).in_(SHOWN_STATUSES))
        .order_by(sa.asc(col(Publication.delivered_at)), col(Publication.id))
    )
    with ledger.session() as session:
        work = [(_delivery(p, v, a), False) for p, v, a in session.exec(query)]
    size = adapter.batch_size or max(len(work), 1)
    for start in range(0, len(work), size):
        batch = work[start : start + size]
        for (delivery, _retry), outcome in zip(batch, adapter.deliver_many(batch), strict=True):
            if isinstance(outcome, Exception):
                result.failed.append(f"{delivery.key}: {describe_error(outcome, delivery)}")
            else:
                result.delivered += 1
