"""How an operator recovers a channel that was not signed (the alerts that say so are
:mod:`guidesrc.signing_alerts`).

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

from guidesrc.adapters.base import Delivery
from guidesrc.errors import ChannelError
from guidesrc.i18n import _
from guidesrc.ledger.models import Approval, GuideVersion, Publication
from guidesrc.library import STATE_DIR
from guidesrc.manifest import SHOWN_STATUSES, sign_channels
from guidesrc.outbox import describe_error
from guidesrc.statuses import EventKind

if TYPE_CHECKING:
    from guidesrc.adapters import Adapter
    from guidesrc.ledger import Ledger
    from guidesrc.manifest import Signed

QUARANTINE = f"{STATE_DIR}/quarantine"


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
                EventKind.CHANNEL_REBUILT,
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
    query = (
        select(Publication, GuideVersion, Approval)
        .join(GuideVersion, col(GuideVersion.id) == col(Publication.version_id))
        .join(Approval, col(Approval.id) == col(GuideVersion.approval_id))
        .where(Publication.channel == result.channel)
        .where(col(Publication.status).in_(SHOWN_STATUSES))
        .order_by(sa.asc(col(Publication.delivered_at)), col(Publication.id))
    )
    with ledger.session() as session:
        work = [
            (Delivery.of(p.action, v, a.approved_at, p.deadline), False)
            for p, v, a in session.exec(query)
        ]
    size = adapter.batch_size or max(len(work), 1)
    for start in range(0, len(work), size):
        batch = work[start : start + size]
        for (delivery, _retry), outcome in zip(batch, adapter.deliver_many(batch), strict=True):
            if isinstance(outcome, Exception):
                result.failed.append(f"{delivery.key}: {describe_error(outcome, delivery)}")
            else:
                result.delivered += 1
