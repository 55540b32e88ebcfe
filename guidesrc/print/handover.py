"""Handovers: deliveries that a person completes, such as printed sheets posted at a window.

An adapter that hands work to people returns, in a delivery's receipt, the handovers it is part
of (``{"handover": [{"token": "2026-11-26-hall1-w3", "title": "…", …}]}``). The delivery is then
``awaiting``, still counted against its deadline, until every handover it is part of is confirmed
(``guides print done TOKEN``), which records who confirmed it and when, and closes the deliveries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from guidesrc.errors import ApprovalError
from guidesrc.i18n import _
from guidesrc.ledger import Ledger
from guidesrc.ledger.models import Event, Handover, Publication
from guidesrc.statuses import EventKind, PublicationStatus


def open_handover(
    session: Session, channel: str, items: Iterable[dict[str, Any]], now: dt.datetime
) -> None:
    """Record the handovers an adapter reported, in one query (once each: the same token again
    is the same handover; the first item of a token names it)."""
    first: dict[str, dict[str, Any]] = {}
    for item in items:
        first.setdefault(str(item["token"]), item)
    if not first:
        return
    known = session.exec(
        select(Handover).where(Handover.channel == channel, col(Handover.token).in_(first))
    )
    for found in known:
        del first[found.token]
        if found.done_at is not None:  # new work under a confirmed token: it is open again
            found.done_at, found.done_by = None, None
            session.add(found)
    for token, item in first.items():
        detail = {k: v for k, v in item.items() if k not in ("token", "title")}
        session.add(
            Handover(
                channel=channel,
                token=token,
                title=str(item.get("title") or token),
                created_at=now,
                detail=detail,
            )
        )
    session.flush()


@dataclass(frozen=True, slots=True)
class OpenHandover:
    channel: str
    token: str
    title: str
    created_at: dt.datetime
    detail: dict[str, Any]
    deliveries: int  # deliveries waiting for it
    deadline: dt.datetime | None  # the earliest deadline among them


def open_handovers(ledger: Ledger, channel: str | None = None) -> list[OpenHandover]:
    with ledger.session() as session:
        query = select(Handover).where(col(Handover.done_at).is_(None))
        if channel:
            query = query.where(Handover.channel == channel)
        handovers = list(session.exec(query.order_by(col(Handover.created_at), col(Handover.id))))
        waiting = _awaiting(session)
    out = []
    for h in handovers:
        pubs = [p for p, tokens in waiting if p.channel == h.channel and h.token in tokens]
        out.append(
            OpenHandover(
                h.channel,
                h.token,
                h.title,
                h.created_at,
                dict(h.detail),
                len(pubs),
                min((p.deadline for p in pubs), default=None),
            )
        )
    return out


def _awaiting(session: Session) -> list[tuple[Publication, set[str]]]:
    pubs = session.exec(select(Publication).where(Publication.status == PublicationStatus.AWAITING))
    return [
        (p, {str(item["token"]) for item in (p.receipt or {}).get("handover", [])}) for p in pubs
    ]


def confirm(ledger: Ledger, token: str, by: str, now: dt.datetime) -> tuple[str, int]:
    """Record that ``token`` was done; close every delivery now fully handed over. Returns the
    channel and how many deliveries were closed."""
    with ledger.session() as session:
        found = list(session.exec(select(Handover).where(Handover.token == token)))
        if not found:
            raise ApprovalError(_("no handover {token}; see guides print list").format(token=token))
        if len(found) > 1:
            raise ApprovalError(
                _("{token} exists on several channels: {channels}").format(
                    token=token, channels=", ".join(h.channel for h in found)
                )
            )
        handover = found[0]
        if handover.done_at is not None:
            raise ApprovalError(
                _("{token} was already confirmed by {by}").format(token=token, by=handover.done_by)
            )
        handover.done_at, handover.done_by = now, by
        session.add(handover)
        done = {
            h.token
            for h in session.exec(
                select(Handover).where(
                    Handover.channel == handover.channel, col(Handover.done_at).is_not(None)
                )
            )
        } | {token}
        closed = 0
        for pub, tokens in _awaiting(session):
            if pub.channel == handover.channel and token in tokens and tokens <= done:
                pub.status, pub.delivered_at, pub.updated_at = PublicationStatus.DELIVERED, now, now
                session.add(pub)
                closed += 1

        session.add(
            Event(
                at=now,
                actor=by,
                kind=EventKind.HANDOVER_DONE,
                channel=handover.channel,
                detail={"token": token, "closed": closed},
            )
        )
        session.commit()
        return handover.channel, closed
