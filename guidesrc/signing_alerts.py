"""Alerts about what was not signed or printed.

``guides status`` and ``guides publish`` show (and exit 1 for) each file channel whose last check
found files no run wrote and no manifest signed (``manifest.refused``), and each sheet a kiosk
refused to print since its channel was last signed (``print.refused``). How an operator recovers
is :mod:`guidesrc.recovery`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from guidesrc.channel_audit import CLEAN, PRINT_REFUSED, REFUSED, SIGNED, Finding, last_outcome
from guidesrc.i18n import N_, _
from guidesrc.ledger.models import Event
from guidesrc.status import event_detail

if TYPE_CHECKING:
    from guidesrc.ledger import Ledger

_KIND_WORDS = {
    "planted": N_("added"),
    "modified": N_("changed"),
    "removed": N_("removed"),
    "link": N_("a link"),
    "special": N_("not a regular file"),
}


def finding_text(channel: str, folder: str, findings: list[dict[str, Any]]) -> str:
    files = "、".join(
        f"{f['path']}（{_(_KIND_WORDS.get(f['kind'], f['kind']))}）" for f in findings
    )
    return _(
        "{channel}: not signed: files in {folder} that no publish wrote and the last signed manifest does not list: {files}. Remove or put back those files (guides verify names each), or rewrite the channel from the ledger with guides publish --rebuild {channel}; the next publish signs it again"
    ).format(channel=channel, folder=folder, files=files)


def findings_text(channel: str, folder: str, findings: list[Finding]) -> str:
    return finding_text(channel, folder, [f.as_dict() for f in findings])


def alerts(ledger: Ledger, channels: list[str]) -> list[str]:
    """Lines for staff: each channel not signed because of findings, each print refused since
    its channel was last signed (or found clean)."""

    lines: list[str] = []
    for channel in channels:
        last = last_outcome(ledger, channel)
        if last is not None and last[0] == REFUSED:
            detail = last[1]
            lines.append(finding_text(channel, detail.get("folder", ""), detail["findings"]))
    latest: dict[str | None, int] = {}
    query = select(Event).where(col(Event.kind).in_((SIGNED, CLEAN, PRINT_REFUSED)))
    with ledger.session() as session:
        rows = list(session.exec(query.order_by(col(Event.id))))
    for event in rows:
        if event.kind != PRINT_REFUSED:
            latest[event.channel] = event.id or 0
    for event in rows:
        if event.kind == PRINT_REFUSED and (event.id or 0) > latest.get(event.channel, 0):
            detail = event_detail(event)
            lines.append(
                _("{source}: refused to print: {message}").format(
                    source=detail.get("source", "-"), message=detail.get("message", "")
                )
            )
    return lines
