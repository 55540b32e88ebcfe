"""The publisher's outbox: claiming due deliveries (``publication`` rows) for an attempt, and
recording each one's outcome with its event; what staff read of a failure, and what IT reads.
(:mod:`guidesrc.publisher` runs the attempts.)"""

from __future__ import annotations

import datetime as dt
import errno
import re
import traceback
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from guidesrc.adapters import Delivery, PermanentDeliveryError
from guidesrc.errors import FailedElsewhere, GuidesError
from guidesrc.i18n import N_, _
from guidesrc.ledger import Ledger
from guidesrc.ledger.models import Approval, GuideVersion, Publication
from guidesrc.ledger.store import event_row
from guidesrc.print.handover import open_handover
from guidesrc.status import error_cause
from guidesrc.statuses import Action, EventKind, PublicationStatus

ACTOR = "publisher"
OPEN = (PublicationStatus.QUEUED, PublicationStatus.SENDING, PublicationStatus.FAILED)
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
    handed_over: bool = False  # done on the channel, now with hall staff (guides print list)


#: Deliveries claimed, read and recorded per statement: well within the bound parameters
#: SQLite and PostgreSQL take.
CHUNK = 500
_PUB = Publication.__table__  # type: ignore[attr-defined]
_VERSION = GuideVersion.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery claimed for this attempt, with what recording its outcome needs."""

    pub_id: int
    channel: str
    action: Action
    attempts: int  # this attempt's number
    delivery: Delivery


def claim(conn: sa.Connection, pub_ids: list[int], now: dt.datetime) -> list[Claimed]:
    claimed: list[Claimed] = []
    for start in range(0, len(pub_ids), CHUNK):
        claimed += _claim_rows(conn, pub_ids[start : start + CHUNK], now)
    return claimed


def _claim_rows(conn: sa.Connection, pub_ids: list[int], now: dt.datetime) -> list[Claimed]:
    """Mark the deliveries still open ``sending`` (one conditional UPDATE: an approval may
    supersede a row at this moment, and the database re-checks the condition), and read what
    delivering the claimed ones needs; in the order given."""

    def claim(ids: list[int]) -> sa.Update:
        return (
            sa.update(_PUB)
            .where(_PUB.c.id.in_(ids), _PUB.c.status.in_(OPEN))
            .values(status=PublicationStatus.SENDING, attempts=_PUB.c.attempts + 1, updated_at=now)
        )

    if conn.dialect.update_returning:
        taken = set(conn.execute(claim(pub_ids).returning(_PUB.c.id)).scalars())
    else:  # SQLite before 3.35: a row at a time, its row count tells
        taken = {pid for pid in pub_ids if conn.execute(claim([pid])).rowcount == 1}
    if not taken:
        return []
    p, v = _PUB.c, _VERSION.c
    a = Approval.__table__.c  # type: ignore[attr-defined]
    query = (
        sa.select(p.id, p.channel, p.action, p.attempts, p.deadline, a.approved_at)
        .add_columns(v.guide_id, v.version, v.name, v.effective_date, v.content_hash)
        .add_columns(v.compiled, v.notice, v.reason)
        .join_from(_PUB, _VERSION, p.version_id == v.id)
        .join(Approval.__table__, v.approval_id == a.id)  # type: ignore[attr-defined]
        .where(p.id.in_(taken))
    )
    rows = {row.id: row for row in conn.execute(query)}
    assert len(rows) == len(taken)
    return [
        Claimed(
            r.id,
            r.channel,
            r.action,
            r.attempts,
            Delivery.of(r.action, r, r.approved_at, r.deadline),
        )
        for r in (rows[pid] for pid in pub_ids if pid in rows)
    ]


def record(
    ledger: Ledger,
    session: Session,
    claimed: list[Claimed],
    results: list[dict[str, Any] | Exception],
    now: dt.datetime,
    whole: bool,
) -> list[Outcome]:
    """Record each claimed delivery's result: its row, its event, handovers opened; a few
    statements for the whole batch (the same rows as one delivery at a time)."""
    done: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    handovers: list[dict[str, Any]] = []
    outcomes: list[Outcome] = []
    for c, result in zip(claimed, results, strict=True):
        if isinstance(result, Exception):
            row, event, outcome = _failed(c, result, now, whole)
            failed.append(row)
        else:
            row, event, outcome = _delivered(c, result, now)
            done.append(row)
            handovers += result.get("handover") or []
        events.append(event)
        outcomes.append(outcome)
    if handovers:
        open_handover(session, claimed[0].channel, handovers, now)
    conn = session.connection()
    for rows in (done, failed):
        for start in range(0, len(rows), CHUNK):
            conn.execute(
                sa.update(_PUB).where(_PUB.c.id == sa.bindparam("pub_id")),
                rows[start : start + CHUNK],
            )
    for start in range(0, len(events), CHUNK):
        ledger.log_many(session, events[start : start + CHUNK])
    return outcomes


def _event(kind: EventKind, c: Claimed, now: dt.datetime, **detail: Any) -> dict[str, Any]:
    """The event of a delivery's outcome."""
    d = c.delivery
    return event_row(
        kind,
        ACTOR,
        at=now,
        guide_id=d.guide_id,
        version=d.version,
        channel=c.channel,
        action=c.action,
        attempts=c.attempts,
        **detail,
    )


Recorded = tuple[dict[str, Any], dict[str, Any], Outcome]  # the row's new values, event, outcome


def _delivered(c: Claimed, receipt: dict[str, Any], now: dt.datetime) -> Recorded:
    handovers = receipt.get("handover") or []
    row = {
        "pub_id": c.pub_id,
        "status": PublicationStatus.AWAITING if handovers else PublicationStatus.DELIVERED,
        "receipt": receipt,
        "delivered_at": None if handovers else now,
        "last_error": None,
        "error_detail": None,
        "next_attempt_at": None,
        "updated_at": now,
    }
    event = _event(
        EventKind.AWAITING if handovers else EventKind.DELIVERED, c, now, receipt=receipt
    )
    detail = "、".join(str(item["token"]) for item in handovers)
    d = c.delivery
    return (
        row,
        event,
        Outcome(d.guide_id, d.version, c.channel, c.action, True, detail, bool(handovers)),
    )


def _failed(c: Claimed, exc: Exception, now: dt.datetime, whole: bool = False) -> Recorded:
    """``whole``: the batch failed as a whole (not this guide's own failure)."""
    d = c.delivery
    error = describe_error(exc, None if whole else d)
    detail = error_detail(exc)
    # A failure that will not fix itself (a refused token, a wrong address) is retried hourly:
    # it goes through once the receiving side is fixed, without hammering it meanwhile.
    wait = MAX_BACKOFF if isinstance(exc, PermanentDeliveryError) else backoff(c.attempts)
    row = {
        "pub_id": c.pub_id,
        "status": PublicationStatus.FAILED,
        "last_error": error,
        "error_detail": detail,
        "next_attempt_at": now + wait,
        "updated_at": now,
    }
    event = _event(
        EventKind.DELIVERY_FAILED,
        c,
        now,
        error=error,
        cause=error_cause(detail, error),
        trace=detail,
    )
    return row, event, Outcome(d.guide_id, d.version, c.channel, c.action, False, error)


_OS_ERRORS = {
    errno.ENOSPC: N_("the disk is full"),
    errno.EDQUOT: N_("the disk quota is used up"),
    errno.EROFS: N_("the output folder is on a read-only file system"),
    errno.EACCES: N_("no permission to write"),
    errno.EPERM: N_("no permission to write"),
    errno.ENOTDIR: N_("a part of the output path is a file, not a folder"),
    errno.ENOENT: N_("a file or folder is missing"),
}


_CJK = re.compile(r"[\u3400-\u9fff]")


def describe_error(exc: BaseException, delivery: Delivery | None = None) -> str:
    """What went wrong, for staff, in their language: file-system errors in plain words, our
    own errors (already written for people) as they are, anything else as a failure of the
    program on this guide, with what to do. The technical cause is :func:`error_detail`."""
    if isinstance(exc, OSError) and exc.errno in _OS_ERRORS:
        problem = _(_OS_ERRORS[exc.errno])
        if not exc.filename:
            return _("{problem} ({error})").format(problem=problem, error=exc.strerror)
        return _("{problem}: {path} ({error})").format(
            problem=problem, path=exc.filename, error=exc.strerror
        )
    message = str(exc).strip()
    ours = isinstance(exc, GuidesError) and not isinstance(exc, FailedElsewhere)
    if message and (ours or _CJK.search(message)):
        return message  # written for people (ours are translated; a third party's in Chinese)
    if isinstance(exc, OSError):
        return _(
            "the channel could not be reached, or its files could not be written; it is retried automatically; if it keeps failing, give IT the cause that guides log shows"
        )
    if delivery is None:
        return _(
            "the channel's program failed; give IT the cause that guides log shows, it is retried automatically"
        )
    return _(
        "{guide} v{version} could not be prepared for this channel (a program error on this guide; the other guides are not affected); it is retried automatically; if it keeps failing, give IT the cause that guides log --guide {guide} shows"
    ).format(guide=delivery.guide_id, version=delivery.version)


def error_detail(exc: BaseException) -> str:
    """The full cause, for IT: the exception's type, message and traceback, with its causes.
    An exception raised in another process brings that process's traceback as ``detail``."""
    text = "".join(traceback.format_exception(exc)).rstrip()
    remote = getattr(exc, "detail", None)
    if isinstance(remote, str) and remote.strip():
        text += "\n" + remote.rstrip()
    return text
