"""What the ledger commands share: the ledger, the configuration in force, times and labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar
from zoneinfo import ZoneInfo

import click

from guidesrc.i18n import N_, _
from guidesrc.statuses import Action, PublicationStatus

if TYPE_CHECKING:
    from guidesrc.config_in_force import InForce
    from guidesrc.ledger import Ledger
    from guidesrc.model.library import LibraryConfig


DAY = dt.timedelta(days=1)


ACTIONS: dict[str, str] = {
    Action.PUBLISH: N_("publish"),
    Action.ANNOUNCE: N_("announce upcoming"),
    Action.ACTIVATE: N_("switch to the new version"),
    Action.WITHDRAW: N_("withdraw"),
}


STATUSES: dict[str, str] = {
    PublicationStatus.QUEUED: N_("pending"),
    PublicationStatus.SCHEDULED: N_("scheduled"),
    PublicationStatus.SENDING: N_("sending"),
    PublicationStatus.DELIVERED: N_("delivered"),
    PublicationStatus.FAILED: N_("failed"),
    PublicationStatus.AWAITING: N_("awaiting confirmation"),
}


EVENTS = {
    "approval": N_("approval"),
    "approval.forced": N_("approval (four eyes overridden)"),
    "approved": N_("approved"),
    "withdrawn": N_("withdrawn"),
    "withdrawal.requested": N_("withdrawal requested"),
    "withdrawal.cancelled": N_("withdrawal request cancelled"),
    "delivered": N_("delivered"),
    "delivery.failed": N_("delivery failed"),
    "queued.new-channel": N_("queued for a new channel"),
    "awaiting": N_("handed over, awaiting confirmation"),
    "handover.done": N_("handover confirmed"),
    "manifest.failed": N_("signed manifest not written"),
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def local_time(moment: dt.datetime, zone: ZoneInfo, *, end: bool = True) -> str:
    """``2026-09-30 16:00`` in the library's zone; a midnight that ends a day (a deadline) as
    ``2026-10-08 24:00``, one that starts a day (``end=False``) as ``2026-10-09 00:00``."""
    local = moment.astimezone(zone)
    if end and local.time() == dt.time(0):
        return f"{(local.date() - DAY).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def library_config(root: Path) -> LibraryConfig:
    from guidesrc.workdays import read_config

    return read_config(root)


def open_for_command(root: Path) -> Ledger:
    """The library's ledger, closed when the command ends."""
    from guidesrc.ledger import open_ledger

    ledger = open_ledger(root)
    click.get_current_context().call_on_close(ledger.close)
    return ledger


def deadline_function(settings: InForce) -> Callable[[dt.datetime], dt.datetime]:
    def deadline_for(moment: dt.datetime) -> dt.datetime:
        return settings.calendar().deadline(moment)

    return deadline_for


def configuration_in_force(root: Path, ledger: Ledger, *, warn: bool = False) -> InForce:
    """The approved configuration (the working tree's until the first approval records it)."""
    from guidesrc.config_in_force import approvals_recorded, in_force

    settings = in_force(root, ledger)
    if warn and not settings.approved and approvals_recorded(ledger):
        click.echo(
            _(
                "no approved configuration in the ledger yet: library.yaml and calendar.yaml are used as they are; the next guides approve records them for review"
            ),
            err=True,
        )
    return settings


def with_cause(error: str, cause: str) -> str:
    """The reason for staff, then the technical cause for IT (when there is one)."""
    return _("{error} (cause: {cause})").format(error=error, cause=cause) if cause else error


@dataclass(frozen=True, slots=True)
class LedgerView:
    """What a command that reports from the ledger opens: the library, its ledger (closed when
    the command ends), the configuration in force, its time zone, and the moment it started."""

    root: Path
    ledger: Ledger
    config: LibraryConfig
    zone: ZoneInfo
    now: dt.datetime


def open_ledger_view(library: Path) -> LedgerView:
    """The library found from ``library``, with its ledger and the approved configuration."""
    from guidesrc.library import find_root

    root = find_root(library)
    ledger = open_for_command(root)
    config = configuration_in_force(root, ledger).config
    return LedgerView(root, ledger, config, ZoneInfo(config.timezone), utcnow())


class _Listening(Protocol):
    warnings: list[str]


_S = TypeVar("_S", bound=_Listening)


def start_listening(start: Callable[[], _S], port: int) -> _S:
    """Start a server (``guides serve``, ``guides kiosk``): a port that cannot be had is a clean
    error; an address it could not listen on as well is said, not fatal."""
    from guidesrc.errors import GuidesError

    try:
        server = start()
    except OSError as exc:
        raise GuidesError(
            _("cannot listen on port {port}: {reason}").format(
                port=port, reason=exc.strerror or exc
            )
        ) from exc
    for warning in server.warnings:
        click.echo(_("not listening on {address}").format(address=warning), err=True)
    return server
