"""`guides publish`: deliver approved versions to every channel, through an outbox.

Each delivery is a ``publication`` row. A run, holding the one-publisher lock:

1. queues what channels added since an approval have never received (the latest versions);
2. takes every delivery that is due (``due_at`` passed; failed ones once their backoff is over),
   channel by channel, in batches of the adapter's ``batch_size`` (one, unless the adapter builds
   something whole, such as a site, from many deliveries at once);
3. for each batch: marks its deliveries ``sending`` (committed; the first batches of the channels
   delivered side by side in one transaction, before they start), asks the adapter to deliver them,
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
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select

from guidesrc import faults
from guidesrc.adapters import (
    Adapter,
    make_adapters,
)
from guidesrc.channel_audit import Finding, Snapshot
from guidesrc.errors import ChannelError
from guidesrc.fsio import journal
from guidesrc.i18n import _
from guidesrc.lanes import Lane, can_fork_lanes, fork_lane
from guidesrc.ledger import Ledger
from guidesrc.ledger.models import Publication
from guidesrc.manifest import Signed, sign_channels, snapshot_channels
from guidesrc.model.library import LibraryConfig
from guidesrc.outbox import OPEN, Claimed, Outcome, claim, record
from guidesrc.scheduling import queue_new_channels
from guidesrc.statuses import PublicationStatus


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
    apart, beside, later = _kinds(adapters, due)
    first = _claim_first(ledger, adapters, {c: due[c] for c in apart + beside}, clock())

    def delivered_and_signed(channel: str, alone: bool) -> tuple[list[Outcome], list[Signed]]:
        adapter = adapters[channel]
        outcomes = _deliver_channel(ledger, adapter, due[channel], clock, first.get(channel))
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


#: Deliveries claimed for the lanes before they start, at most (:func:`_claim_first`).
FEW = 50


def _kinds(
    adapters: dict[str, Adapter[Any]], due: dict[str, list[int]]
) -> tuple[list[str], list[str], list[str]]:
    """The channels due: printable ones (a thread), the other file channels (this process, or a
    lane of their own), the rest (after them)."""
    apart = [c for c in due if adapters[c].printable]
    beside = [c for c in due if c not in apart and adapters[c].files]
    return apart, beside, [c for c in due if c not in apart and c not in beside]


def _claim_first(
    ledger: Ledger,
    adapters: dict[str, Adapter[Any]],
    due: dict[str, list[int]],
    now: dt.datetime,
) -> dict[str, list[Claimed]]:
    """The first batch of each channel in ``due``, claimed in one transaction: the lanes about
    to run side by side would each wait its turn at SQLite's write lock (in sleeps of 1, 2, 5,
    10 … ms) to claim its own. Only a few (a change or two: what a publish every minute finds);
    large batches are claimed by their own lanes, side by side, not one after another here."""
    batches = {c: ids[: adapters[c].batch_size or len(ids)] for c, ids in due.items()}
    if not due or sum(map(len, batches.values())) > FEW:
        return {}
    with ledger.session() as session:
        first = {c: claim(session.connection(), ids, now) for c, ids in batches.items()}
        session.commit()
    return first


def _deliver_channel(
    ledger: Ledger,
    adapter: Adapter[Any],
    pub_ids: list[int],
    clock: Callable[[], dt.datetime],
    first: list[Claimed] | None = None,
) -> list[Outcome]:
    """One channel's due deliveries, in batches of its adapter's size (``first``: the first
    batch, claimed already)."""
    size = adapter.batch_size or len(pub_ids)
    outcomes: list[Outcome] = []
    for start in range(0, len(pub_ids), size):
        batch = pub_ids[start : start + size]
        outcomes += _deliver_batch(ledger, adapter, batch, clock, first if start == 0 else None)
    return outcomes


def _due(ledger: Ledger, now: dt.datetime, retry_now: bool) -> dict[str, list[int]]:
    """The deliveries to make now, by channel, in order (due time, then version); a failed one
    once its backoff is over (or at once: ``retry_now``)."""
    p = Publication.__table__.c  # type: ignore[attr-defined]
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


def _deliver_batch(
    ledger: Ledger,
    adapter: Adapter[Any],
    pub_ids: list[int],
    clock: Callable[[], dt.datetime],
    claimed: list[Claimed] | None = None,
) -> list[Outcome]:
    """Claim a batch of one channel's deliveries (unless ``claimed`` already), hand them to the
    adapter, record the results."""
    with ledger.session() as session:
        if claimed is None:
            claimed = claim(session.connection(), pub_ids, clock())
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
        outcomes = record(ledger, session, claimed, results, clock(), whole)
        session.commit()
        faults.point("publish.recorded")
        return outcomes
