"""An opened library: what every use case on the ledger works with, made once per command."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal
from zoneinfo import ZoneInfo

from guidesrc.config_in_force import InForce, approvals_recorded, in_force
from guidesrc.errors import LedgerError
from guidesrc.i18n import _
from guidesrc.ledger import Ledger, database_url, open_ledger
from guidesrc.ledger.integrity import database_error
from guidesrc.ledger.store import shown_ledger
from guidesrc.library import find_root
from guidesrc.model.library import LibraryConfig
from guidesrc.workdays import WorkCalendar

#: A day as a command or a form gives it: a date, or today in the library's time zone.
Day = dt.date | Literal["today"]


@dataclass(frozen=True, slots=True)
class Library:
    """A library opened for one use case: its folder, its ledger (close it when done), the
    configuration in force (the approved one; the working tree's until one is approved) and
    the moment the use case started."""

    root: Path
    ledger: Ledger
    settings: InForce
    now: dt.datetime

    @property
    def config(self) -> LibraryConfig:
        return self.settings.config

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.zone).date()

    def calendar(self) -> WorkCalendar:
        """The working-day calendar in force."""
        return self.settings.calendar()

    def deadline(self, moment: dt.datetime) -> dt.datetime:
        """When a change approved at ``moment`` must be public, by the calendar in force."""
        return self.calendar().deadline(moment)

    def day(self, value: Day) -> dt.date:
        """``value`` as a date: "today" is today in the library's time zone."""
        return self.today if value == "today" else value

    def config_unreviewed(self) -> bool:
        """The working tree's configuration is used although approvals were recorded before
        configuration was reviewed (the next ``guides approve`` records it)."""
        return not self.settings.approved and approvals_recorded(self.ledger)

    def close(self) -> None:
        self.ledger.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self,
        _kind: type[BaseException] | None,
        exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        """Close the ledger; a database error met meanwhile becomes one clean error."""
        self.close()
        if isinstance(exc, Exception) and (mapped := database_error(exc, shown_ledger())):
            raise mapped from None


def open_library(start: Path, *, existing: bool = False, now: dt.datetime | None = None) -> Library:
    """The library found from ``start`` (the folder or a parent holding ``library.yaml``) with
    its ledger and the configuration in force. ``existing``: refuse to make an empty ledger
    (``guides verify``); ``now``: the moment to work at (default: now)."""
    root = find_root(start)
    if existing:
        _require_ledger(root)
    ledger = open_ledger(root)
    try:
        settings = in_force(root, ledger)
    except Exception as exc:
        ledger.close()
        mapped = database_error(exc, shown_ledger())
        if mapped is None:
            raise
        raise mapped from None
    return Library(root, ledger, settings, now or dt.datetime.now(dt.UTC))


def open_existing(start: Path) -> Library:
    """:func:`open_library` for a ledger that must exist already."""
    return open_library(start, existing=True)


def _require_ledger(root: Path) -> None:
    url = database_url(root)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise LedgerError(
                _(
                    "no ledger at {path}: nothing was approved or published from this library"
                ).format(path=path)
            )
