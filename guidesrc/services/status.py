"""Status and history: each guide's deliveries per channel, what is late, and the event log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from guidesrc.errors import CalendarError
from guidesrc.ledger.models import Event
from guidesrc.print.stats import PrintSummary, print_summary
from guidesrc.services.library import Library
from guidesrc.signing_alerts import alerts
from guidesrc.status import Row, event_detail, events, status_rows
from guidesrc.statuses import PublicationStatus

#: What :attr:`Status.pending` does not count: made, handed over, or not due yet.
_NOT_PENDING = frozenset(
    (PublicationStatus.DELIVERED, PublicationStatus.AWAITING, PublicationStatus.SCHEDULED)
)

#: Pages printed are counted over this many days up to today.
PRINT_DAYS = 30


@dataclass(frozen=True, slots=True)
class Status:
    """The deliveries at ``now``: ``overdue`` past their deadline, ``at_risk`` not delivered
    with less than ``margin`` left; ``signing``: the channels not signed and the prints refused
    (lines for staff); ``printed``: pages printed in the last 30 days."""

    now: dt.datetime
    margin: dt.timedelta
    rows: list[Row]
    overdue: list[Row]
    at_risk: list[Row]
    signing: list[str]
    printed: PrintSummary
    #: why the deadline of an approval made now cannot be counted (None: it can)
    uncountable: str | None = None

    @property
    def alarm(self) -> bool:
        """Anything for monitoring to alert on."""
        return bool(self.overdue or self.at_risk or self.signing or self.uncountable)

    @property
    def pending(self) -> int:
        """Deliveries due and not made: neither delivered, nor handed over to hall staff, nor
        scheduled for a later effective date."""
        return sum(r.status not in _NOT_PENDING for r in self.rows)

    def count(self, status: PublicationStatus) -> int:
        return sum(r.status == status for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "now": self.now.isoformat(),
            "overdue": len(self.overdue),
            "at_risk": len(self.at_risk),
            "signing": self.signing,
            "uncountable": self.uncountable,
            "deliveries": [
                {**r.as_dict(self.now), "at_risk": r.at_risk(self.now, self.margin)}
                for r in self.rows
            ],
        }
        if not self.printed.empty:
            body["print"] = self.printed.as_dict()
        return body


def status(
    library: Library,
    *,
    guides: Sequence[str] = (),
    everything: bool = False,
    warn_within: dt.timedelta = dt.timedelta(hours=4),
) -> Status:
    """The deliveries of each guide's newest version (``everything``: older ones' too), of the
    guides named (default: all)."""
    now, ledger, config = library.now, library.ledger, library.config
    rows = status_rows(ledger, now, guides, everything)
    printers = {name for name, c in config.channels.items() if c.type == "printer"}
    since = library.today - dt.timedelta(days=PRINT_DAYS - 1)
    return Status(
        now=now,
        margin=warn_within,
        rows=rows,
        overdue=[r for r in rows if r.overdue(now)],
        at_risk=[r for r in rows if r.at_risk(now, warn_within)],
        signing=alerts(ledger, sorted(config.channels)),
        printed=print_summary(ledger, printers, since),
        uncountable=_uncountable(library),
    )


def _uncountable(library: Library) -> str | None:
    """Why the deadline of an approval made now cannot be counted (the holiday data ends)."""
    try:
        library.deadline(library.now)
    except CalendarError as exc:
        return str(exc)
    return None


@dataclass(frozen=True, slots=True)
class Entry:
    """One event of the log, with its detail."""

    event: Event
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        e = self.event
        return {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "kind": e.kind,
            "guide": e.guide_id,
            "version": e.version,
            "channel": e.channel,
            "detail": self.detail,
        }


def history(library: Library, *, guide: str | None = None, limit: int | None = None) -> list[Entry]:
    """The events of one guide (default: the whole library), oldest first; ``limit``: the last
    so many."""
    return [Entry(e, event_detail(e)) for e in events(library.ledger, guide, limit)]
