"""Queueing a new version's deliveries (approve, withdraw, and a channel added to library.yaml)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col

from guidesrc.ledger.models import GuideVersion, Publication
from guidesrc.statuses import Action, PublicationStatus


def schedule(
    session: Any,
    version: GuideVersion,
    channels: Iterable[str],
    now: dt.datetime,
    deadline: dt.datetime,
    today: dt.date,
    zone: ZoneInfo,
) -> int:
    """Queue the deliveries of a new version on every channel, and retire older undelivered ones
    that it makes pointless. Returns how many deliveries were queued."""
    assert version.id is not None
    if version.withdrawn:
        plan = [(Action.WITHDRAW, now, deadline)]
    elif version.effective_date <= today:
        plan = [(Action.PUBLISH, now, deadline)]
    else:
        start = dt.datetime.combine(version.effective_date, dt.time(), zone)
        end = start + dt.timedelta(days=1)
        plan = [(Action.ANNOUNCE, now, deadline), (Action.ACTIVATE, start, end)]
    # One conditional UPDATE: a publisher may claim a row at the same moment, and a row it has
    # claimed ("sending") must not be overwritten (the database re-checks the condition).
    stale = sa.and_(
        col(Publication.guide_id) == version.guide_id,
        col(Publication.version_id) != version.id,
        col(Publication.status).in_(
            (PublicationStatus.QUEUED, PublicationStatus.FAILED, PublicationStatus.AWAITING)
        ),
    )
    if plan[-1][0] == Action.ACTIVATE:  # an earlier version's switch still comes first
        stale = sa.and_(
            stale,
            sa.or_(
                col(Publication.action) != Action.ACTIVATE, col(Publication.due_at) >= plan[-1][1]
            ),
        )
    session.connection().execute(
        sa.update(Publication)
        .where(stale)
        .values(status=PublicationStatus.SUPERSEDED, updated_at=now)
    )
    count = 0
    for channel in channels:
        for action, due, until in plan:
            session.add(
                Publication(
                    version_id=version.id,
                    guide_id=version.guide_id,
                    channel=channel,
                    action=action,
                    due_at=due,
                    deadline=until,
                    updated_at=now,
                )
            )
            count += 1
    return count
