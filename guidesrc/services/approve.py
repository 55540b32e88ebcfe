"""Approve: record the working tree's pending changes as approved versions in the ledger."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from guidesrc import approve as approval
from guidesrc import worktree
from guidesrc.approve import Approved, Decision, Pending
from guidesrc.approvers import current_approver
from guidesrc.check.engine import CheckReport
from guidesrc.config_in_force import after_approval
from guidesrc.errors import StateInvalidError
from guidesrc.i18n import _
from guidesrc.ledger import Ledger
from guidesrc.services.library import Day, Library
from guidesrc.state import LibraryState
from guidesrc.workdays import load_calendar, read_config


@dataclass(frozen=True, slots=True)
class ApproveResult:
    """What an approval recorded (``approved`` None: nothing was pending)."""

    pending: Pending
    approved: Approved | None
    by: str
    effective: dt.date | None  # --effective; None: each guide's own date (pending.changes)
    deadline: dt.datetime | None  # when the deliveries must be public
    zone: ZoneInfo

    @property
    def withdrawn_present(self) -> list[str]:
        """Guides withdrawn whose files are still here: not approved again unless named."""
        return self.pending.withdrawn_present

    @property
    def config_files(self) -> list[str]:
        """The configuration files this approval recorded (none: the configuration as before)."""
        config = self.pending.config
        if self.approved is None or self.approved.config_version is None or config is None:
            return []
        return config.changed_files


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the block (on again after it, if it was on).

    An approval reads tens of thousands of small containers (the check's last results, the file
    cache's entries, the catalogues), none of them in a cycle: the collector would scan them
    again and again while they are made, ~15 % of the CPU of approving one guide of a 10,000-guide
    library. What the block leaves in cycles is collected after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@collector_paused()
def approve(
    library: Library,
    *,
    effective: Day | None = None,
    guides: Sequence[str] = (),
    note: str = "",
    change_set: str | None = None,
    force_reason: str | None = None,
) -> ApproveResult:
    """Approve the pending changes (all, or the guides named), in effect from ``effective``
    (None: each guide from its file's effective_date, see :mod:`guidesrc.diff.effective`).

    ``change_set``: the change-set id the approver reviewed (anything else is refused);
    ``force_reason``: why the approver approves their own edits (four eyes overridden)."""
    root, ledger, now = library.root, library.ledger, library.now
    config = read_config(root)  # the working tree's: what is approved now
    zone = ZoneInfo(config.timezone)
    when = now.astimezone(zone).date() if effective == "today" else effective
    assert when is None or isinstance(when, dt.date)
    # Before any work: a key not on the approved approvers list is refused at once.
    approver = current_approver(root, now, ledger)
    tree = worktree.checked_tree(root)  # one scan and one hash of each file for both
    require_no_errors(tree.report)
    load_calendar(root, config).deadline(now)  # the working calendar must know the year too
    state, cache = tree.state()
    pending = approval.pending_changes(state, ledger, guides, config.change_policy)
    cache.flush()
    if not pending:
        return ApproveResult(pending, None, approver.name, when, None, zone)
    settings = after_approval(root, ledger, pending.config)  # channels and calendar to apply
    deadline = settings.calendar().deadline(now)  # refuses before anything is recorded
    decision = Decision(
        by=approver.name,
        note=note,
        effective_date=when,
        now=now,
        deadline=deadline,
        force_reason=force_reason.strip() if force_reason else None,
        expect=change_set,
        approver=approver,
    )
    done = approval.record_approval(
        root, state, ledger, pending, decision, settings.config.channels
    )
    return ApproveResult(pending, done, approver.name, when, deadline, zone)


def require_no_errors(report: CheckReport) -> None:
    """An approval needs a library that `guides check` passes."""
    if report.errors:
        raise StateInvalidError(
            _(
                "the library has {count} error(s) in `guides check`; an approval needs a library without errors: fix them first"
            ).format(count=report.errors)
        )


def pending(library: Library) -> Pending:
    """The changes ``approve`` would record: the working tree against the latest approved
    versions, and the configuration files against the approved configuration."""
    return pending_in(library.root, library.ledger)


def pending_in(root: Path, ledger: Ledger) -> Pending:
    """The working tree at ``root`` against ``ledger`` (the preview passes a copy of the ledger),
    by the working tree's change policy."""
    return _working_pending(root, ledger)[1]


@collector_paused()
def _working_pending(
    root: Path, ledger: Ledger, policy: Mapping[str, str] | None = None, guides: Sequence[str] = ()
) -> tuple[LibraryState, Pending]:
    state, cache = worktree.working_state(root)
    if policy is None and state.config is not None:
        policy = state.config.change_policy
    found = approval.pending_changes(state, ledger, guides, policy)
    cache.flush()
    return state, found
