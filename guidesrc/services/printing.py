"""Printed sheets: the reprint batches hall staff must post, and recording that they did."""

from __future__ import annotations

from dataclasses import dataclass

from guidesrc.errors import ApprovalError
from guidesrc.i18n import _
from guidesrc.identity import display_name, identity_key
from guidesrc.print.handover import OpenHandover, confirm, open_handovers
from guidesrc.services.library import Library


def batches(library: Library, *, channel: str | None = None) -> list[OpenHandover]:
    """The batches not yet confirmed (of one channel, or all), oldest first."""
    return open_handovers(library.ledger, channel)


@dataclass(frozen=True, slots=True)
class Posted:
    """A batch confirmed: its channel, who posted it, how many deliveries it closed."""

    token: str
    channel: str
    by: str
    closed: int


def posted(library: Library, token: str, *, by: str) -> Posted:
    """Record that the hall staff member ``by`` posted the batch ``token``."""
    who = display_name(by)
    if not identity_key(who):
        raise ApprovalError(
            _(
                "print done needs --by NAME: the hall staff member who posted the batch, by name (it is not taken from git or the computer's account)"
            )
        )
    channel, closed = confirm(library.ledger, token, who, library.now)
    return Posted(token, channel, who, closed)
