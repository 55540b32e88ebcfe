"""Report: what was approved, published and printed in a period (the annual report's figures)."""

from __future__ import annotations

import datetime as dt

from guidesrc.errors import ApprovalError
from guidesrc.i18n import _
from guidesrc.report import Report, build_report
from guidesrc.services.library import Day, Library


def report(
    library: Library,
    *,
    year: int | None = None,
    start: Day | None = None,
    end: Day | None = None,
) -> Report:
    """The figures of a calendar ``year``, or from ``start`` to ``end`` (by default the start of
    this year and today)."""
    first, last = period(
        library.today,
        year,
        library.day(start) if start else None,
        library.day(end) if end else None,
    )
    return build_report(library.ledger, first, last, library.zone, library.now)


def period(
    today: dt.date, year: int | None, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The first and last day of the period asked for."""
    if year is not None and (start or end):
        raise ApprovalError(_("give either --year or --from/--to, not both"))
    first = start or dt.date(year or today.year, 1, 1)
    last = end or (dt.date(year, 12, 31) if year else today)
    if last < first:
        raise ApprovalError(_("--to {end} is before --from {start}").format(end=last, start=first))
    return first, last
