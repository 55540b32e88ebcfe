"""`guides status` and `guides log`: what each channel has, what is late, and the history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from guidesrc.ledger import Ledger
from guidesrc.ledger.models import Event, GuideVersion, Publication
from guidesrc.statuses import Action, PublicationStatus


@dataclass(frozen=True, slots=True)
class Row:
    """One delivery of one version to one channel."""

    guide_id: str
    name: str
    version: int
    channel: str
    action: Action
    status: PublicationStatus  # as stored, or scheduled (queued, not due yet)
    due_at: dt.datetime
    deadline: dt.datetime
    delivered_at: dt.datetime | None
    attempts: int
    error: str | None  # the reason, for staff
    error_detail: str | None = None  # the full cause, for IT

    def overdue(self, now: dt.datetime) -> bool:
        if self.status == PublicationStatus.DELIVERED:
            return self.delivered_at is not None and self.delivered_at > self.deadline
        return now > self.deadline

    def at_risk(self, now: dt.datetime, margin: dt.timedelta) -> bool:
        """Not delivered, its deadline not passed yet but less than ``margin`` away: an outage or
        a publisher that does not run will make it late (monitoring alerts before it is)."""
        if self.status in (PublicationStatus.DELIVERED, PublicationStatus.SCHEDULED):
            return False
        return self.deadline - margin <= now <= self.deadline

    def as_dict(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "guide": self.guide_id,
            "name": self.name,
            "version": self.version,
            "channel": self.channel,
            "action": self.action,
            "status": self.status,
            "due_at": self.due_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "attempts": self.attempts,
            "error": self.error,
            "error_detail": self.error_detail,
            "overdue": self.overdue(now),
            "seconds_left": None
            if self.status == PublicationStatus.DELIVERED
            else int((self.deadline - now).total_seconds()),
        }


def status_rows(
    ledger: Ledger, now: dt.datetime, guides: Iterable[str] = (), everything: bool = False
) -> list[Row]:
    """The deliveries of each guide's newest approved version (with ``everything``, also those
    of older versions), superseded ones left out."""
    query = (
        select(Publication, GuideVersion.name, GuideVersion.version)
        .join(GuideVersion, col(GuideVersion.id) == col(Publication.version_id))
        .where(Publication.status != PublicationStatus.SUPERSEDED)
        .order_by(
            col(Publication.guide_id),
            col(GuideVersion.version),
            col(Publication.channel),
            col(Publication.due_at),
        )
    )
    wanted = set(guides)
    if wanted:
        query = query.where(col(Publication.guide_id).in_(wanted))
    rows: list[Row] = []
    newest: dict[str, int] = {}
    with ledger.session() as session:
        for pub, name, version in session.exec(query):
            status = pub.status
            if status == PublicationStatus.QUEUED and pub.due_at > now:
                status = PublicationStatus.SCHEDULED
            rows.append(
                Row(
                    pub.guide_id,
                    name,
                    version,
                    pub.channel,
                    pub.action,
                    status,
                    pub.due_at,
                    pub.deadline,
                    pub.delivered_at,
                    pub.attempts,
                    pub.last_error,
                    pub.error_detail,
                )
            )
            newest[pub.guide_id] = max(newest.get(pub.guide_id, 0), version)
    if everything:
        return rows
    # Older versions matter only while still undelivered (an upcoming switch still to come).
    return [
        r
        for r in rows
        if r.version == newest[r.guide_id] or r.status != PublicationStatus.DELIVERED
    ]


def events(ledger: Ledger, guide_id: str | None = None, limit: int | None = None) -> list[Event]:
    query = select(Event).order_by(col(Event.id).desc())
    if guide_id:
        query = query.where(Event.guide_id == guide_id)
    if limit:
        query = query.limit(limit)
    with ledger.session() as session:
        found = list(session.exec(query))
    found.reverse()
    return found


def event_detail(event: Event) -> dict[str, Any]:
    return dict(event.detail or {})


def error_cause(detail: str | None, error: str = "") -> str:
    """The exception lines of a traceback text (type: message), outermost first: the cause in
    one line, for `guides status` and `guides log`. Lines that only repeat ``error`` (the reason
    already shown to staff, e.g. a printer's message wrapped as a delivery error) are left out."""
    if not detail:
        return ""
    lines = [
        line
        for line in detail.splitlines()
        if line
        and not line[0].isspace()
        and not line.startswith(("Traceback ", "The above exception", "During handling"))
        and not (error and line.partition(": ")[2] == error)
    ]
    return " ← ".join(reversed(lines))
