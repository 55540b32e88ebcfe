"""Which 具体实施时间 an approval gives each guide, and why: the one rule that ``guides approve``
applies and ``guides diff`` previews.

A guide file's ``effective_date`` is the editor's proposed date. Without ``--effective`` an
approval gives each guide its file's date when that is today or later; a file date that has passed
and was not changed with the change (the date of the version in force) gives today; a file date
that has passed and is new (changed, or a new guide) is refused: nobody can announce a change for a
day gone by. ``--effective DATE`` gives every guide that date, whatever the files say (the
approval says which guides it moves).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from guidesrc.diff.changeset import ChangeSet, GuideChange
from guidesrc.statuses import ChangeStatus

#: Why a guide takes effect on its date (``GuideChange.effective_from``).
FILE = "file"  # the effective_date of its file (today or later)
OPTION = "option"  # guides approve --effective
TODAY = "today"  # no date to apply: removed, no date in the file, or the past date in force
PAST = "past"  # refused: the file proposes a day that has passed


def assign(changes: ChangeSet, today: dt.date, option: dt.date | None = None) -> list[GuideChange]:
    """Give each guide of ``changes`` the date an approval on ``today`` gives it (its
    ``effective_date``, ``effective_from`` and ``file_effective_date``); return those refused
    (``PAST``: their date stays the file's)."""
    for change in changes.guides:
        own = file_date(change)
        change.file_effective_date = own.isoformat() if own else None
        date, change.effective_from = _choose(change, own, today, option)
        change.effective_date = date.isoformat()
    return [g for g in changes.guides if g.effective_from == PAST]


def _choose(
    change: GuideChange, own: dt.date | None, today: dt.date, option: dt.date | None
) -> tuple[dt.date, str]:
    if option is not None:
        return option, OPTION
    if change.status == ChangeStatus.REMOVED or own is None:
        return today, TODAY
    if own >= today:
        return own, FILE
    if change.stale_effective_date:  # as in the version in force: the change takes effect today
        return today, TODAY
    return own, PAST


def file_date(change: GuideChange) -> dt.date | None:
    """The effective_date the guide's file proposes (None: removed, or 待补充)."""
    own = change.new.get("effective_date") if change.new else None
    return dt.date.fromisoformat(own) if own else None


def moved(changes: Iterable[GuideChange]) -> list[GuideChange]:
    """The guides ``--effective`` gives another date than their file's."""
    return [
        g
        for g in changes
        if g.effective_from == OPTION
        and g.file_effective_date is not None
        and g.file_effective_date != g.effective_date
    ]


def approval_date(changes: ChangeSet, today: dt.date, option: dt.date | None) -> dt.date:
    """The approval's own date: ``--effective``, else the earliest its guides take effect."""
    if option is not None:
        return option
    dates = [dt.date.fromisoformat(g.effective_date) for g in changes.guides if g.effective_date]
    return min(dates, default=today)
