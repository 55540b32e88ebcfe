"""Queueing a new version's deliveries (approve, withdraw, and a channel added to library.yaml)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col

from guidesrc.ledger import Ledger
from guidesrc.ledger.models import GuideVersion, Publication
from guidesrc.statuses import Action, EventKind, PublicationStatus


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


#: Guides per query of the publications a new channel may already have.
CHUNK = 500


def queue_new_channels(
    ledger: Ledger,
    configured: Iterable[str],
    now: dt.datetime,
    deadline_for: Callable[[dt.datetime], dt.datetime],
    timezone: str,
) -> None:
    """A channel added to library.yaml after approvals gets the latest version of every guide
    (``configured``: the channels of the configuration in force).

    The publisher asks at the start of every run (holding its lock), so the database answers it
    in one pass over the latest versions, through indexes alone: those not served on every
    channel (none, but for a new channel)."""
    channels = list(configured)
    if not channels:
        return
    p = Publication.__table__.c  # type: ignore[attr-defined]
    with ledger.session() as session:
        conn = session.connection()
        vids = sorted(conn.execute(_unserved(channels)).scalars())
        if not vids:
            return
        have: set[tuple[int, str]] = set()
        for start in range(0, len(vids), CHUNK):
            pairs = sa.select(p.version_id, p.channel).where(
                p.version_id.in_(vids[start : start + CHUNK]), p.channel.in_(channels)
            )
            have.update((vid, channel) for vid, channel in conn.execute(pairs))
        missing = {vid: [c for c in channels if (vid, c) not in have] for vid in vids}
        zone = ZoneInfo(timezone)
        deadline = deadline_for(now)
        for vid, names in missing.items():
            version = session.get(GuideVersion, vid)
            assert version is not None
            schedule(session, version, names, now, deadline, now.astimezone(zone).date(), zone)
            ledger.log(
                session,
                EventKind.QUEUED_NEW_CHANNEL,
                "publisher",
                at=now,
                guide_id=version.guide_id,
                version=version.version,
                channels=names,
            )
        session.commit()


def _unserved(channels: list[str]) -> sa.Select[Any]:
    """The ids of the guides' latest versions not served on every one of ``channels``."""
    v = GuideVersion.__table__.c  # type: ignore[attr-defined]
    p = Publication.__table__.c  # type: ignore[attr-defined]
    newest = (
        sa.select(v.guide_id, sa.func.max(v.version).label("version"))
        .group_by(v.guide_id)
        .subquery()
    )
    served = (
        sa.select(sa.func.count(sa.distinct(p.channel)))
        .where(p.version_id == v.id, p.channel.in_(channels))
        .scalar_subquery()
    )
    return (
        sa.select(v.id)
        .join(newest, sa.and_(v.guide_id == newest.c.guide_id, v.version == newest.c.version))
        # a withdrawn one: nothing to show there, and nothing to take down
        .where(v.withdrawn == sa.false(), served < len(channels))
    )
