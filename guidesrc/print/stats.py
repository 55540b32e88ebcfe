"""Print statistics: what the kiosks printed (the ``print_tally`` table), what the printer channels
printed (their receipts), and the reprint batches hall staff have not posted yet (handovers).

The tally holds counts per day, guide and kiosk, and nothing else: no time of day, no address,
no search text. One row per (day, guide, kiosk) is updated, so a busy kiosk adds no rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import col, select

from guidesrc.ledger import Ledger
from guidesrc.ledger.models import Handover, PrintTally, Publication
from guidesrc.statuses import PublicationStatus


def record_print(ledger: Ledger, day: dt.date, guide_id: str, source: str, pages: int) -> None:
    """Count one completed print of ``pages`` pages."""
    for attempt in range(2):  # another kiosk may add the day's row at the same moment
        try:
            with ledger.session() as session:
                row = session.exec(
                    select(PrintTally).where(
                        PrintTally.day == day,
                        PrintTally.guide_id == guide_id,
                        PrintTally.source == source,
                    )
                ).first()
                if row is None:
                    row = PrintTally(day=day, guide_id=guide_id, source=source)
                row.prints += 1
                row.pages += pages
                session.add(row)
                session.commit()
                return
        except sa.exc.IntegrityError:
            if attempt:
                raise


@dataclass(frozen=True, slots=True)
class PrintSummary:
    since: dt.date
    kiosk_prints: int = 0
    kiosk_pages: int = 0
    channel_pages: Counter[str] = field(default_factory=Counter)  # per printer channel
    outstanding: Counter[str] = field(default_factory=Counter)  # open batches per hall

    @property
    def empty(self) -> bool:
        return not (self.kiosk_prints or self.channel_pages or self.outstanding)

    def as_dict(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "kiosk_prints": self.kiosk_prints,
            "kiosk_pages": self.kiosk_pages,
            "channel_pages": dict(sorted(self.channel_pages.items())),
            "batches_outstanding": dict(sorted(self.outstanding.items())),
        }


def print_summary(ledger: Ledger, printer_channels: set[str], since: dt.date) -> PrintSummary:
    """Pages printed since ``since`` (kiosks, printer channels) and open batches per hall."""
    start = dt.datetime.combine(since, dt.time(0), tzinfo=dt.UTC)
    channel_pages: Counter[str] = Counter()
    outstanding: Counter[str] = Counter()
    with ledger.session() as session:
        prints, pages = session.exec(
            select(
                sa.func.coalesce(sa.func.sum(PrintTally.prints), 0),
                sa.func.coalesce(sa.func.sum(PrintTally.pages), 0),
            ).where(PrintTally.day >= since)
        ).one()
        if printer_channels:
            delivered = session.exec(
                select(Publication.channel, Publication.receipt).where(
                    col(Publication.channel).in_(printer_channels),
                    Publication.status == PublicationStatus.DELIVERED,
                    col(Publication.delivered_at) >= start,
                )
            )
            for channel, receipt in delivered:
                body = receipt or {}
                channel_pages[channel] += int(body.get("pages_printed", 0) or 0)
        for handover in session.exec(select(Handover).where(col(Handover.done_at).is_(None))):
            detail = handover.detail
            hall = detail.get("hall") or detail.get("office") or handover.title
            outstanding[str(hall)] += 1
    return PrintSummary(since, int(prints), int(pages), channel_pages, outstanding)
