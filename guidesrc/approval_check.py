"""``guides verify``: every approval the ledger recorded, checked against the approvers list.

In key mode (``approvers.yaml``) each approval carries the approver's key id and an Ed25519
signature over its fields (:func:`guidesrc.approvers.approval_fields`). A row whose signature does
not verify, whose key is not listed (or was retired before it), whose recorded approver is not
the key's owner, or that carries no signature although approvals were signed by then, is a
finding: someone wrote the ledger without an approver's key. Approvals made before the list
came into force (OS-account mode) are counted in a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import col, select

from guidesrc.approvers import (
    approval_fields,
    approvers_ever_approved,
    signature_matches,
)
from guidesrc.approvers_file import ApproverEntry
from guidesrc.i18n import _
from guidesrc.identity import identity_key
from guidesrc.ledger.models import Approval
from guidesrc.verify_checks import ChannelCheck

if TYPE_CHECKING:
    from guidesrc.ledger import Ledger
    from guidesrc.verify_checks import ChannelCheck

CHECK_NAME = "approvals"


def check_approvals(root: Path, ledger: Ledger) -> ChannelCheck:
    """One check (shown like a channel's) over every recorded approval."""

    check = ChannelCheck(CHECK_NAME, "ledger", "approvers.yaml", "ledger")
    entries = approvers_ever_approved(root, ledger)
    with ledger.session() as session:
        approvals = list(session.exec(select(Approval).order_by(col(Approval.id))).all())
    check.files = len(approvals)
    by_key = {e.key_id: e for e in entries}
    first_signed = min((a.id or 0 for a in approvals if a.key_id), default=None)
    starts = [e.since for e in entries if e.since is not None]
    start = min(starts) if starts else None
    unsigned = 0
    for a in approvals:
        where = _("approval #{id}").format(id=a.id)
        if a.key_id is None:
            late = (first_signed is not None and (a.id or 0) > first_signed) or (
                start is not None and a.approved_at >= start
            )
            if late:
                check.add("unsigned", where, _unsigned_message(a))
            else:
                unsigned += 1
            continue
        problem = _signed_problem(a, by_key.get(a.key_id))
        if problem:
            check.add("signature", where, problem)
    check.guides = len(approvals) - unsigned
    if unsigned:
        check.notes.append(
            _(
                "{count} approval(s) made by operating-system account before approvers.yaml: not signed"
            ).format(count=unsigned)
        )
    return check


def _unsigned_message(a: Approval) -> str:
    return _(
        "recorded by {by} on {at} without an approver's signature, although approvals are signed since approvers.yaml came into force: written to the ledger by other means"
    ).format(by=a.approved_by, at=a.approved_at.isoformat(timespec="seconds"))


def _signed_problem(a: Approval, entry: ApproverEntry | None) -> str | None:
    if entry is None:
        return _(
            "signed with the key {id}, which approvers.yaml does not list: the approval cannot be proven"
        ).format(id=a.key_id)
    if entry.retired is not None and a.approved_at >= entry.retired:
        return _("signed with the key {id} of {name} after it was retired ({retired})").format(
            id=a.key_id, name=entry.name, retired=entry.retired.isoformat()
        )
    if identity_key(entry.name) != identity_key(a.approved_by):
        return _("recorded as approved by {by}, but signed with the key of {name}").format(
            by=a.approved_by, name=entry.name
        )
    if not a.signature or not signature_matches(entry, approval_fields(a), a.signature):
        return _(
            "the signature of {name} does not match what the ledger records (change set, date, note or approver changed after approval)"
        ).format(name=entry.name)
    return None
