"""`guides publish`: deliver approved versions to every channel, through an outbox.

Each delivery is a ``publication`` row. A run, holding the one-publisher lock:

1. queues what channels added since an approval have never received (the latest versions);
2. takes every delivery that is due (``due_at`` passed; failed ones once their backoff is over),
   channel by channel, in batches of the adapter's ``batch_size`` (one, unless the adapter builds
   something whole, such as a site, from many deliveries at once);
3. for each batch: marks its deliveries ``sending`` (committed), asks the adapter to deliver them,
   then records each ``delivered`` with the adapter's receipt — or ``failed`` with the error (a
   reason for staff, the full cause for IT) and the time of the next attempt. The adapter answers
   per delivery, so one guide's failure fails that delivery alone; an adapter that raises (the
   channel as a whole failed) fails the whole batch;
4. writes a signed manifest into each file channel's folder (:mod:`guidesrc.manifest`).

A crash between 3's steps leaves a ``sending`` row, which the next run completes. Before any
second attempt (after a crash or a failure, which may both come after the channel took the
delivery) the publisher asks the adapter whether the delivery landed (:meth:`Adapter.lookup`) and
otherwise delivers again, which idempotent adapters turn into exactly one delivery. A failing channel never stops the others.
"""

from __future__ import annotations

import datetime as dt
import errno
import re
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from guidesrc import faults
from guidesrc.adapters import (
    Adapter,
    Delivery,
    PermanentDeliveryError,
    make_adapters,
)
from guidesrc.channel_audit import Finding, Snapshot
from guidesrc.errors import ChannelError, FailedElsewhere, GuidesError
from guidesrc.fsio import journal
from guidesrc.i18n import N_, _
from guidesrc.lanes import Lane, can_fork_lanes, fork_lane
from guidesrc.ledger import Ledger
from guidesrc.ledger.models import Approval, GuideVersion, Publication
from guidesrc.ledger.store import event_row
from guidesrc.manifest import Signed, sign_channels, snapshot_channels
from guidesrc.model.library import LibraryConfig
from guidesrc.print.handover import open_handover
from guidesrc.scheduling import queue_new_channels
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


@dataclass(slots=True)
class RunReport:
    locked_out: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    later: int = 0  # deliveries still open after the run: not due yet, or failed
    #: file channels not signed: files in their folder no run wrote and no manifest signed
    refused: dict[str, list[Finding]] = field(default_factory=dict)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def delivered(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]


def channel_adapters(
    root: Path, config: LibraryConfig, source: bytes | None = None
) -> dict[str, Adapter[Any]]:
    """An adapter per configured channel; every channel's settings are checked before any runs.
    ``config``: the approved configuration (:mod:`guidesrc.config_in_force`), ``source`` its
    ``library.yaml`` (for the lines of problems)."""
    return make_adapters(root, config, source)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: The adapters of a run, or how to make them (:func:`publish` makes them under the lock, while
#: the ledger answers which versions a new channel lacks).
Adapters = dict[str, Adapter[Any]] | Callable[[], dict[str, Adapter[Any]]]


def publish(
    ledger: Ledger,
    adapters: Adapters,
    *,
    deadline_for: Callable[[dt.datetime], dt.datetime],
    timezone: str,
    clock: Callable[[], dt.datetime] = _utcnow,
    wait: bool = False,
    retry_now: bool = False,
    channels: Iterable[str] = (),
) -> RunReport:
    """Deliver everything due. ``deadline_for(approved_at)`` gives a new delivery's deadline
    (the working-day calendar); ``clock`` is the time (tests move it to an effective date).

    ``adapters`` may be a function that makes them; ``channels`` then names them (the channels
    of the configuration in force), so that the new-channel check runs in a thread meanwhile:
    the database answers it without holding the interpreter, while making the adapters (their
    modules imported) holds it."""
    report = RunReport()
    with ledger.publish_lock(wait) as held:
        if not held:
            report.locked_out = True
            return report
        faults.point("publish.locked")
        if callable(adapters):
            adapters = _made_while_queueing(
                ledger, adapters, list(channels), clock(), deadline_for, timezone
            )
        else:
            queue_new_channels(ledger, adapters, clock(), deadline_for, timezone)
        with journal() as written:  # every file the run writes: what it may sign as its own
            _run(ledger, adapters, clock, retry_now, report, written)
    return report


def _made_while_queueing(
    ledger: Ledger,
    make: Callable[[], dict[str, Adapter[Any]]],
    channels: list[str],
    now: dt.datetime,
    deadline_for: Callable[[dt.datetime], dt.datetime],
    timezone: str,
) -> dict[str, Adapter[Any]]:
    """``make()``, while a thread queues the new channels' deliveries; both finish (or fail)
    before the run goes on, the check's error first."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="queue") as pool:
        queued = pool.submit(queue_new_channels, ledger, channels, now, deadline_for, timezone)
        try:
            made = make()
        finally:
            queued.result()
    assert sorted(made) == sorted(channels), "the adapters are the channels named"
    return made


def _run(
    ledger: Ledger,
    adapters: dict[str, Adapter[Any]],
    clock: Callable[[], dt.datetime],
    retry_now: bool,
    report: RunReport,
    written: set[str],
) -> None:
    """Deliver what is due, channel by channel, and sign each file channel's manifest.

    Both cores busy: a heavy file channel (the site) is delivered in a forked process of its
    own (:mod:`guidesrc.lanes`), a printable channel (the pdf sheets, rendered by worker
    processes) in a thread, while this one delivers the other file channels, each writing its
    own folder; the others (a printer printing the pdf sheets as signed, a server) come last."""
    # What the run did not write must be as signed; a channel whose state files are not (an
    # export's manifest edited in its folder) gets no delivery: nothing is built on them.
    before = snapshot_channels(adapters, ledger)
    signed: list[Signed] = []
    handled: set[str] = set()
    due = _due_to(adapters, before, _due(ledger, clock(), retry_now))
    apart = [c for c in due if adapters[c].printable]
    beside = [c for c in due if c not in apart and adapters[c].files]
    later = [c for c in due if c not in apart and c not in beside]

    def delivered_and_signed(channel: str, alone: bool) -> tuple[list[Outcome], list[Signed]]:
        adapter = adapters[channel]
        outcomes = _deliver_channel(ledger, adapter, due[channel], clock)
        # Signed at once: the printer channel prints the pdf channel's sheets only as signed.
        # While two threads write, each signs with the journal as it stands (a copy).
        delivered = {o.channel for o in outcomes if o.ok}
        now = written if alone else set(written)
        return outcomes, sign_channels(ledger, {channel: adapter}, delivered, clock(), before, now)

    def took(channel: str, done: tuple[list[Outcome], list[Signed]]) -> list[Outcome]:
        signed.extend(done[1])
        handled.add(channel)
        return done[0]

    def deliver(channel: str, alone: bool = True) -> list[Outcome]:
        return took(channel, delivered_and_signed(channel, alone))

    lanes, beside = _fork_heavy(ledger, adapters, beside, apart, delivered_and_signed)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="printable") as pool:
            running = [pool.submit(deliver, channel, not beside) for channel in apart]
            for channel in beside:
                report.outcomes += deliver(channel, not apart)
            for future in running:
                report.outcomes += future.result()
        for channel, lane in lanes.items():
            report.outcomes += took(channel, lane.result())
        for channel in later:
            report.outcomes += deliver(channel)
    finally:
        _close(lanes, adapters)
    report.later = _still_open(ledger)
    rest = {n: a for n, a in adapters.items() if n not in handled}
    delivered = {o.channel for o in report.delivered}
    signed += sign_channels(ledger, rest, delivered, clock(), before, written)
    report.refused = {s.channel: list(s.findings) for s in signed if s.refused}


def _due_to(
    adapters: dict[str, Adapter[Any]],
    before: dict[str, Snapshot | None],
    due: dict[str, list[int]],
) -> dict[str, list[int]]:
    """The due deliveries of the channels configured and not held (a channel removed from
    library.yaml, or held, is left open: status shows it)."""
    return {
        channel: pub_ids
        for channel, pub_ids in due.items()
        if channel in adapters and not ((snap := before.get(channel)) is not None and snap.held)
    }


def _close(lanes: dict[str, Lane], adapters: dict[str, Adapter[Any]]) -> None:
    """Wait for every lane (also when this process failed meanwhile), close every adapter."""
    for lane in lanes.values():
        lane.wait()
    for adapter in adapters.values():
        adapter.close()


def _fork_heavy(
    ledger: Ledger,
    adapters: dict[str, Adapter[Any]],
    beside: list[str],
    apart: list[str],
    work: Callable[[str, bool], tuple[list[Outcome], list[Signed]]],
) -> tuple[dict[str, Lane], list[str]]:
    """The heavy file channels, each delivered and signed in a forked child (only when this
    process has other channels to deliver meanwhile, and can fork); the file channels left to
    this process."""
    heavy = [c for c in beside if adapters[c].heavy]
    if not heavy or len(beside) + len(apart) < 2 or not can_fork_lanes():
        return {}, beside

    def start() -> None:  # in the child: its own connections, never the parent's
        ledger.engine.dispose(close=False)

    lanes = {c: fork_lane(c, partial(work, c, True), start) for c in heavy}
    return lanes, [c for c in beside if c not in lanes]


def _deliver_channel(
    ledger: Ledger, adapter: Adapter[Any], pub_ids: list[int], clock: Callable[[], dt.datetime]
) -> list[Outcome]:
    """One channel's due deliveries, in batches of its adapter's size."""
    size = adapter.batch_size or len(pub_ids)
    outcomes: list[Outcome] = []
    for start in range(0, len(pub_ids), size):
        outcomes += _deliver_batch(ledger, adapter, pub_ids[start : start + size], clock)
    return outcomes


def _due(ledger: Ledger, now: dt.datetime, retry_now: bool) -> dict[str, list[int]]:
    """The deliveries to make now, by channel, in order (due time, then version); a failed one
    once its backoff is over (or at once: ``retry_now``)."""
    p = _PUB.c
    query = sa.select(p.id, p.channel).where(p.status.in_(OPEN), p.due_at <= now)
    if not retry_now:
        query = query.where(
            sa.or_(
                p.status != PublicationStatus.FAILED,
                p.next_attempt_at.is_(None),
                p.next_attempt_at <= now,
            )
        )
    due: dict[str, list[int]] = {}
    with ledger.session() as session:
        rows = session.connection().execute(query.order_by(p.due_at, p.version_id, p.id))
        for pid, channel in rows:
            due.setdefault(channel, []).append(pid)
    return due


def _still_open(ledger: Ledger) -> int:
    """Deliveries left after a run: not due yet (future effective dates), or failed."""
    query = select(func.count()).where(col(Publication.status).in_(OPEN))
    with ledger.session() as session:
        return int(session.exec(query).one())


#: Deliveries claimed, read and recorded per statement: well within the bound parameters
#: SQLite and PostgreSQL take.
CHUNK = 500
_PUB = Publication.__table__  # type: ignore[attr-defined]
_VERSION = GuideVersion.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class _Claimed:
    """A delivery claimed for this attempt, with what recording its outcome needs."""

    pub_id: int
    channel: str
    action: Action
    attempts: int  # this attempt's number
    delivery: Delivery


def _deliver_batch(
    ledger: Ledger, adapter: Adapter[Any], pub_ids: list[int], clock: Callable[[], dt.datetime]
) -> list[Outcome]:
    """Claim a batch of one channel's deliveries, hand them to the adapter, record the results."""
    with ledger.session() as session:
        claimed: list[_Claimed] = []
        for start in range(0, len(pub_ids), CHUNK):
            claimed += _claim(session.connection(), pub_ids[start : start + CHUNK], clock())
        session.commit()
        if not claimed:
            return []
        # An attempt after a crash or a failure may find the channel already has the delivery.
        work = [(c.delivery, c.attempts > 1) for c in claimed]
        try:
            faults.point("publish.claimed")
            results = adapter.deliver_many(work)
            faults.point("publish.delivered")
            if len(results) != len(claimed):  # a broken adapter: nothing can be trusted
                raise ChannelError(
                    _(
                        "the adapter of channel {channel} answered {results} result(s) for {count} deliveries; report it to its maintainers"
                    ).format(channel=adapter.channel, results=len(results), count=len(claimed))
                )
        except Exception as exc:  # the channel as a whole failed (folder, server, adapter)
            results = [exc] * len(claimed)
            whole = True
        else:
            whole = False
        outcomes = _record(ledger, session, claimed, results, clock(), whole)
        session.commit()
        faults.point("publish.recorded")
        return outcomes


def _claim(conn: sa.Connection, pub_ids: list[int], now: dt.datetime) -> list[_Claimed]:
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
        _Claimed(
            r.id,
            r.channel,
            r.action,
            r.attempts,
            Delivery.of(r.action, r, r.approved_at, r.deadline),
        )
        for r in (rows[pid] for pid in pub_ids if pid in rows)
    ]


def _record(
    ledger: Ledger,
    session: Session,
    claimed: list[_Claimed],
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


def _event(kind: EventKind, c: _Claimed, now: dt.datetime, **detail: Any) -> dict[str, Any]:
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


def _delivered(c: _Claimed, receipt: dict[str, Any], now: dt.datetime) -> Recorded:
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


def _failed(c: _Claimed, exc: Exception, now: dt.datetime, whole: bool = False) -> Recorded:
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
