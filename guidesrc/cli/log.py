"""``guides log``: the history of a guide, or of the whole library."""

from __future__ import annotations

from typing import Any

import click

from guidesrc.cli.common import ACTIONS, EVENTS, echo_json, local_time, with_cause
from guidesrc.cli.options import format_option, pass_library
from guidesrc.i18n import N_, _
from guidesrc.services.library import Library, open_library
from guidesrc.services.status import history
from guidesrc.statuses import EventKind


@click.command(name="log", help=N_("The history of a guide, or of the whole library."))
@pass_library(open_library)
@click.option("--guide", metavar="ID", help=N_("Only this guide's events."))
@click.option("--limit", type=click.IntRange(1), metavar="N", help=N_("Only the last N events."))
@format_option(["text", "json"], N_("text: for people; json: for programs."))
def log(library: Library, guide: str | None, limit: int | None, fmt: str) -> None:
    found = history(library, guide=guide, limit=limit)
    if fmt == "json":
        echo_json([entry.as_dict() for entry in found])
        return
    for entry in found:
        e = entry.event
        what = _(EVENTS.get(e.kind, e.kind))
        target = f"{e.guide_id} v{e.version}" if e.guide_id else ""
        extra = _event_extra(e.kind, entry.detail)
        parts = [local_time(e.at, library.zone), e.actor, what, target, e.channel or "", extra]
        click.echo("\t".join(parts).rstrip())


def _event_extra(kind: str, detail: dict[str, Any]) -> str:
    if kind in (EventKind.APPROVAL, EventKind.APPROVAL_FORCED):
        text = _("{guides} guide(s), change set {id}").format(
            guides=detail.get("guides"), id=detail.get("change_set")
        )
        if detail.get("config"):
            text += _(", configuration version {version}").format(version=detail["config"])
        if detail.get("note"):
            text += _(", note: {note}").format(note=detail["note"])
        if detail.get("reason"):
            text += _(", forced because: {reason}").format(reason=detail["reason"])
        return text
    if kind == EventKind.DELIVERED:
        return _(ACTIONS.get(str(detail.get("action")), ""))
    if kind == EventKind.DELIVERY_FAILED:
        error = with_cause(str(detail.get("error")), str(detail.get("cause") or ""))
        return f"{_(ACTIONS.get(str(detail.get('action')), ''))}: {error}"
    if kind == EventKind.WITHDRAWN and detail.get("requested_by"):
        return _("{reason} (requested by {by})").format(
            reason=detail.get("reason", ""), by=detail["requested_by"]
        )
    if kind in (EventKind.WITHDRAWN, EventKind.WITHDRAWAL_REQUESTED):
        return str(detail.get("reason", ""))
    if kind == EventKind.APPROVED:
        return _("effective {date}").format(date=detail.get("effective_date"))
    return ""
