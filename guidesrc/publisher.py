"""`guides publish`: deliver approved versions to every channel, through an outbox.

Each delivery is a ``publication`` row. A run, holding the one-publisher lock:

1. queues what channels added since an approval have never received (the latest versions);
2. takes every delivery that is due (``due_at`` passed; failed ones once their backoff is over);
3. for each: marks it ``sending`` (committed), asks the adapter to deliver, then records
   ``delivered`` with the adapter's receipt — or ``failed`` with the error and the next attempt.

A crash between 3's steps leaves a ``sending`` row, which the next run completes. Before any
second attempt (after a crash or a failure, which may both come after the channel took the
delivery) the publisher asks the adapter whether the delivery landed (:meth:`Adapter.lookup`) and
otherwise delivers again, which idempotent adapters turn into exactly one delivery. A failing channel never stops the others.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlmodel import Session, col, select

from guidesrc import faults
from guidesrc.adapters import Adapter, Delivery, make_adapters
from guidesrc.ledger import Ledger
from guidesrc.ledger.models import Approval, GuideVersion, Publication
from guidesrc.model.library import LibraryConfig

ACTOR = "publisher"
OPEN = ("queued", "sending", "failed")
MAX_BACKOFF = dt.timedelta(hours=1)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt: 1, 2, 4 … minutes after each failure, at most an hour."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass(frozen=True, slots=True)
class Outcome:
    guide_id: str
    version: int
    channel: str
    action: str
    ok: bool
    detail: str  # receipt summary or the error


@dataclass(slots=True)
class RunReport:
    locked_out: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    later: int = 0  # deliveries still open after the run: not due yet, or failed

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def delivered(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]


def channel_adapters(root: Path, config: LibraryConfig) -> dict[str, Adapter]:
    """An adapter per configured channel; every channel's settings are checked before any runs."""
    return make_adapters(root, config)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def publish(
    ledger: Ledger,
    adapters: dict[str, Adapter],
    *,
    deadline_for: Callable[[dt.datetime], dt.datetime],
    timezone: str,
    clock: Callable[[], dt.datetime] = _utcnow,
    wait: bool = False,
    retry_now: bool = False,
) -> RunReport:
    """Deliver everything due. ``deadline_for(approved_at)`` gives a new delivery's deadline
    (the working-day calendar); ``clock`` is the time (tests move it to an effective date)."""
    report = RunReport()
    with ledger.publish_lock(wait) as held:
        if not held:
            report.locked_out = True
            return report
        faults.point("publish.locked")
        _queue_new_channels(ledger, adapters, clock(), deadline_for, timezone)
        try:
            for pub_id in _due(ledger, clock(), retry_now):
                outcome = _deliver_one(ledger, adapters, pub_id, clock)
                if outcome is not None:
                    report.outcomes.append(outcome)
        finally:
            for adapter in adapters.values():
                adapter.close()
        report.later = _still_open(ledger)
    return report


def _due(ledger: Ledger, now: dt.datetime, retry_now: bool) -> list[int]:
    query = (
        select(col(Publication.id), Publication.status, Publication.next_attempt_at)
        .where(col(Publication.status).in_(OPEN), Publication.due_at <= now)
        .order_by(col(Publication.due_at), col(Publication.version_id), col(Publication.id))
    )
    with ledger.session() as session:
        return [
            pid
            for pid, status, next_at in session.exec(query)
            if pid is not None
            and (retry_now or status != "failed" or next_at is None or next_at <= now)
        ]


def _still_open(ledger: Ledger) -> int:
    """Deliveries left after a run: not due yet (future effective dates), or failed."""
    from sqlalchemy import func

    query = select(func.count()).where(col(Publication.status).in_(OPEN))
    with ledger.session() as session:
        return int(session.exec(query).one())


def _deliver_one(
    ledger: Ledger, adapters: dict[str, Adapter], pub_id: int, clock: Callable[[], dt.datetime]
) -> Outcome | None:
    with ledger.session() as session:
        pub = session.get(Publication, pub_id)
        if pub is None or pub.status not in OPEN:
            return None  # superseded or done meanwhile
        version = session.get(GuideVersion, pub.version_id)
        assert version is not None
        approval = session.get(Approval, version.approval_id)
        assert approval is not None
        adapter = adapters.get(pub.channel)
        if adapter is None:
            return None  # the channel was removed from library.yaml: leave it for `guides status`
        delivery = _delivery(pub, version, approval)
        # A run that died after claiming it, or an attempt that failed, may have delivered it.
        retry = pub.attempts > 0
        pub.status = "sending"
        pub.attempts += 1
        pub.updated_at = clock()
        session.add(pub)
        session.commit()
        receipt: dict[str, Any] | None = None
        try:
            faults.point("publish.claimed")
            if retry:
                receipt = adapter.lookup(delivery)
            if receipt is None:
                receipt = adapter.deliver(delivery)
            faults.point("publish.delivered")
        except Exception as exc:  # any adapter failure is recorded, never fatal to the run
            return _failed(ledger, session, pub, delivery, exc, clock())
        now = clock()
        pub.status = "delivered"
        pub.receipt = orjson.dumps(receipt).decode()
        pub.delivered_at = now
        pub.last_error = None
        pub.next_attempt_at = None
        pub.updated_at = now
        session.add(pub)
        ledger.log(
            session,
            "delivered",
            ACTOR,
            at=now,
            guide_id=delivery.guide_id,
            version=delivery.version,
            channel=pub.channel,
            action=pub.action,
            attempts=pub.attempts,
            receipt=receipt,
        )
        session.commit()
        faults.point("publish.recorded")
        return Outcome(delivery.guide_id, delivery.version, pub.channel, pub.action, True, "")


def _failed(
    ledger: Ledger,
    session: Session,
    pub: Publication,
    delivery: Delivery,
    exc: Exception,
    now: dt.datetime,
) -> Outcome:
    error = f"{type(exc).__name__}: {exc}".strip()
    pub.status = "failed"
    pub.last_error = error
    pub.next_attempt_at = now + backoff(pub.attempts)
    pub.updated_at = now
    session.add(pub)
    ledger.log(
        session,
        "delivery.failed",
        ACTOR,
        at=now,
        guide_id=delivery.guide_id,
        version=delivery.version,
        channel=pub.channel,
        action=pub.action,
        attempts=pub.attempts,
        error=error,
        trace=traceback.format_exception_only(exc)[-1].strip(),
    )
    session.commit()
    return Outcome(delivery.guide_id, delivery.version, pub.channel, pub.action, False, error)


def _delivery(pub: Publication, version: GuideVersion, approval: Approval) -> Delivery:
    return Delivery(
        action=pub.action,  # type: ignore[arg-type]
        guide_id=version.guide_id,
        version=version.version,
        name=version.name,
        effective_date=version.effective_date,
        approved_at=approval.approved_at,
        content_hash=version.content_hash,
        guide=orjson.loads(version.compiled) if version.compiled else None,
        notice=orjson.loads(version.notice),
        reason=version.reason,
    )


def _queue_new_channels(
    ledger: Ledger,
    adapters: Iterable[str],
    now: dt.datetime,
    deadline_for: Callable[[dt.datetime], dt.datetime],
    timezone: str,
) -> None:
    """A channel added to library.yaml after approvals gets the latest version of every guide."""
    from zoneinfo import ZoneInfo

    from guidesrc.approve import latest_versions, schedule

    channels = list(adapters)
    if not channels:
        return
    with ledger.session() as session:
        served = {
            (vid, channel)
            for vid, channel in session.exec(
                select(Publication.version_id, Publication.channel).distinct()
            )
        }
        latest = latest_versions(ledger)
        missing: dict[int, list[str]] = {}
        for item in latest.values():
            if item.withdrawn:
                continue  # nothing to show there, and nothing to take down
            for channel in channels:
                if (item.id, channel) not in served:
                    missing.setdefault(item.id, []).append(channel)
        if not missing:
            return
        zone = ZoneInfo(timezone)
        deadline = deadline_for(now)
        for vid, names in missing.items():
            version = session.get(GuideVersion, vid)
            assert version is not None
            schedule(session, version, names, now, deadline, now.astimezone(zone).date(), zone)
            ledger.log(
                session,
                "queued.new-channel",
                ACTOR,
                at=now,
                guide_id=version.guide_id,
                version=version.version,
                channels=names,
            )
        session.commit()
