"""Withdraw: one person requests a guide's withdrawal, another approves it (four eyes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from guidesrc.approvers import current_approver
from guidesrc.services.library import Library
from guidesrc.withdrawals import (
    Request,
    Withdrawal,
    approve_withdrawal,
    cancel_withdrawal,
    request_withdrawal,
)


def request(library: Library, guide_id: str, *, reason: str) -> Request:
    """Record a request to withdraw ``guide_id`` (``reason``: shown to the public); nothing is
    taken down until another person approves it."""
    who = current_approver(library.root, library.now, library.ledger)
    return request_withdrawal(library.ledger, guide_id, reason, who, library.now)


def cancel(library: Library, guide_id: str) -> Request:
    """Cancel the open withdrawal request of ``guide_id``."""
    who = current_approver(library.root, library.now, library.ledger)
    return cancel_withdrawal(library.ledger, guide_id, who, library.now)


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A withdrawal approved: to be taken down from every channel by ``deadline``."""

    withdrawal: Withdrawal
    by: str
    deadline: dt.datetime


def approve(library: Library, guide_id: str) -> Withdrawn:
    """Approve the open request (by another person than who requested it): the guide is
    withdrawn from every channel of the configuration in force."""
    who = current_approver(library.root, library.now, library.ledger)
    deadline = library.deadline(library.now)
    config = library.config
    done = approve_withdrawal(
        library.ledger, guide_id, who, library.now, deadline, config.channels, config.timezone
    )
    return Withdrawn(done, who.name, deadline)
