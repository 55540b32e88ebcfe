"""The configuration in force: what ``guides publish``, ``status``, ``withdraw``, ``log``,
``report``, ``verify`` and the adapters use.

That is the configuration last approved (the ledger's ``config_version``), never the working
tree's files: an unreviewed change to ``library.yaml`` or ``calendar.yaml`` reaches no channel and
moves no deadline. ``guides check``, ``diff`` and ``preview`` read the working tree (they show
what is proposed).

While the ledger holds no approved configuration (a new library, or a ledger from before
configuration was reviewed), the working tree's files are used and ``publish`` says so; the next
``guides approve`` records them (:mod:`guidesrc.config_changes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import select

from guidesrc.config_changes import (
    CALENDAR_FILE,
    LIBRARY_FILE,
    ConfigPending,
    Snapshot,
    latest_config,
    snapshot,
)
from guidesrc.ledger import Ledger
from guidesrc.ledger.models import Approval
from guidesrc.state import WorkingTree
from guidesrc.workdays import calendar_from, config_from, read_config

if TYPE_CHECKING:
    from guidesrc.model.library import LibraryConfig
    from guidesrc.workdays import HolidayData, WorkCalendar


@dataclass(frozen=True, slots=True)
class InForce:
    """A configuration to publish by, and where it comes from."""

    config: LibraryConfig
    files: Snapshot
    version: int | None  # the approved version; None: nothing approved yet, the working tree

    @property
    def approved(self) -> bool:
        return self.version is not None

    def library_yaml(self) -> bytes:
        return (self.files.get(LIBRARY_FILE) or "").encode()

    def calendar(self, *, package: HolidayData | None = None) -> WorkCalendar:

        text = self.files.get(CALENDAR_FILE)
        return calendar_from(
            self.config, text.encode() if text is not None else None, package=package
        )


def working(root: Path) -> InForce:
    """The working tree's configuration (check, diff, preview; and before any approval)."""

    config = read_config(root)  # reports the file's problems with their lines
    return InForce(config, snapshot(WorkingTree(root)), None)


def in_force(root: Path, ledger: Ledger) -> InForce:
    """The approved configuration; the working tree's until one is approved."""
    approved = latest_config(ledger)
    if approved is None:
        return working(root)
    return _from_files(approved.files, approved.version)


def approvals_recorded(ledger: Ledger) -> bool:
    """The ledger has approved something (a ledger from before configuration was reviewed)."""

    with ledger.session() as session:
        return session.exec(select(Approval.id).limit(1)).first() is not None


def after_approval(root: Path, ledger: Ledger, pending: ConfigPending | None) -> InForce:
    """The configuration in force once an approval with this pending configuration is recorded:
    the working tree's when it approves it, else the approved one."""
    if pending is not None and pending.to_approve:
        return _from_files(pending.files, (pending.previous.version if pending.previous else 0) + 1)
    return in_force(root, ledger)


def _from_files(files: Snapshot, version: int) -> InForce:

    return InForce(config_from((files.get(LIBRARY_FILE) or "").encode()), files, version)
