"""What the commands share in what they print: labels of actions, statuses and events, times in
the library's zone, JSON, and starting a server."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import click
import orjson

from guidesrc.i18n import N_, _
from guidesrc.statuses import Action, EventKind, PublicationStatus

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


EVENTS: dict[str, str] = {
    EventKind.APPROVAL: N_("approval"),
    EventKind.APPROVAL_FORCED: N_("approval (four eyes overridden)"),
    EventKind.APPROVED: N_("approved"),
    EventKind.WITHDRAWN: N_("withdrawn"),
    EventKind.WITHDRAWAL_REQUESTED: N_("withdrawal requested"),
    EventKind.WITHDRAWAL_CANCELLED: N_("withdrawal request cancelled"),
    EventKind.DELIVERED: N_("delivered"),
    EventKind.DELIVERY_FAILED: N_("delivery failed"),
    EventKind.QUEUED_NEW_CHANNEL: N_("queued for a new channel"),
    EventKind.AWAITING: N_("handed over, awaiting confirmation"),
    EventKind.HANDOVER_DONE: N_("handover confirmed"),
    EventKind.MANIFEST_FAILED: N_("signed manifest not written"),
}


def local_time(moment: dt.datetime, zone: ZoneInfo, *, end: bool = True) -> str:
    """``2026-09-30 16:00`` in the library's zone; a midnight that ends a day (a deadline) as
    ``2026-10-08 24:00``, one that starts a day (``end=False``) as ``2026-10-09 00:00``."""
    local = moment.astimezone(zone)
    if end and local.time() == dt.time(0):
        return f"{(local.date() - DAY).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def with_cause(error: str, cause: str) -> str:
    """The reason for staff, then the technical cause for IT (when there is one)."""
    return _("{error} (cause: {cause})").format(error=error, cause=cause) if cause else error


def echo_json(body: Any) -> None:
    """``--format json``: the body, indented, on stdout."""
    click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
