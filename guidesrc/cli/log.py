"""``guides log``: the history of a guide, or of the whole library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from guidesrc.cli.common import (
    ACTIONS,
    EVENTS,
    local_time,
    open_ledger_view,
    with_cause,
)
from guidesrc.cli.options import (
    format_option,
    library_argument,
)
from guidesrc.i18n import N_, _


@click.command(name="log", help=N_("The history of a guide, or of the whole library."))
@library_argument
@click.option("--guide", metavar="ID", help=N_("Only this guide's events."))
@click.option("--limit", type=click.IntRange(1), metavar="N", help=N_("Only the last N events."))
@format_option(["text", "json"], N_("text: for people; json: for programs."))
def log(library: Path, guide: str | None, limit: int | None, fmt: str) -> None:
    from guidesrc.status import event_detail, events

    view = open_ledger_view(library)
    ledger, zone = view.ledger, view.zone
    found = events(ledger, guide, limit)
    if fmt == "json":
        body = [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "kind": e.kind,
                "guide": e.guide_id,
                "version": e.version,
                "channel": e.channel,
                "detail": event_detail(e),
            }
            for e in found
        ]
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    for e in found:
        what = _(EVENTS.get(e.kind, e.kind))
        target = f"{e.guide_id} v{e.version}" if e.guide_id else ""
        detail = event_detail(e)
        extra = _event_extra(e.kind, detail)
        parts = [local_time(e.at, zone), e.actor, what, target, e.channel or "", extra]
        click.echo("\t".join(parts).rstrip())


def _event_extra(kind: str, detail: dict[str, Any]) -> str:
    if kind.startswith("approval"):
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
    if kind == "delivered":
        return _(ACTIONS.get(str(detail.get("action")), ""))
    if kind == "delivery.failed":
        error = with_cause(str(detail.get("error")), str(detail.get("cause") or ""))
        return f"{_(ACTIONS.get(str(detail.get('action')), ''))}: {error}"
    if kind == "withdrawn" and detail.get("requested_by"):
        return _("{reason} (requested by {by})").format(
            reason=detail.get("reason", ""), by=detail["requested_by"]
        )
    if kind in ("withdrawn", "withdrawal.requested"):
        return str(detail.get("reason", ""))
    if kind == "approved":
        return _("effective {date}").format(date=detail.get("effective_date"))
    return ""
