"""Withdrawing a published guide takes two people: one requests, another approves.

``guides withdraw ID --reason TEXT`` records a request (who asked, why); ``guides withdraw ID
--approve`` by someone else (four eyes by identity, as for approvals) records the withdrawal,
signed in key mode, and queues it on every channel; ``--cancel`` drops an open request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from guidesrc.approve import latest_versions
from guidesrc.approvers import Approver, approval_fields
from guidesrc.errors import ApprovalError
from guidesrc.i18n import _
from guidesrc.identity import Editor, conflicts
from guidesrc.ledger import Ledger
from guidesrc.ledger.models import Approval, GuideVersion, WithdrawalRequest
from guidesrc.scheduling import schedule
from guidesrc.statuses import ApprovalKind, ChangeStatus, EventKind, WithdrawalStatus


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    guide_id: str
    version: int
    reason: str
    requested_by: str
    requested_at: dt.datetime


def open_request(ledger: Ledger, guide_id: str) -> Request | None:
    with ledger.session() as session:
        row = session.exec(
            select(WithdrawalRequest)
            .where(
                WithdrawalRequest.guide_id == guide_id,
                WithdrawalRequest.status == WithdrawalStatus.OPEN,
            )
            .order_by(col(WithdrawalRequest.id).desc())
        ).first()
    if row is None or row.id is None:
        return None
    return Request(
        row.id, row.guide_id, row.version, row.reason, row.requested_by, row.requested_at
    )


def open_requests(ledger: Ledger) -> list[Request]:
    with ledger.session() as session:
        rows = session.exec(
            select(WithdrawalRequest)
            .where(WithdrawalRequest.status == WithdrawalStatus.OPEN)
            .order_by(col(WithdrawalRequest.id))
        ).all()
    return [
        Request(r.id or 0, r.guide_id, r.version, r.reason, r.requested_by, r.requested_at)
        for r in rows
    ]


def request_withdrawal(
    ledger: Ledger, guide_id: str, reason: str, requester: Approver, now: dt.datetime
) -> Request:
    """Record a request to withdraw a guide's published version; nothing is taken down yet."""
    if not reason.strip():
        raise ApprovalError(_("a withdrawal needs a reason; give it with --reason"))
    previous = latest_versions(ledger).get(guide_id)
    if previous is None:
        raise ApprovalError(
            _("{id} has never been approved, so there is nothing to withdraw").format(id=guide_id)
        )
    if previous.withdrawn:
        raise ApprovalError(_("{id} is already withdrawn").format(id=guide_id))
    pending = open_request(ledger, guide_id)
    if pending is not None:
        raise ApprovalError(
            _(
                "a withdrawal of {id} is already requested (#{request}, by {by}): another person approves it with guides withdraw {id} --approve, or cancel it with --cancel"
            ).format(id=guide_id, request=pending.id, by=pending.requested_by)
        )
    identities = sorted({requester.name, *requester.person.identities})
    row = WithdrawalRequest(
        guide_id=guide_id,
        version=previous.version,
        reason=reason.strip(),
        requested_by=requester.name,
        requester=identities,
        key_id=requester.key_id,
        requested_at=now,
    )
    with ledger.session() as session:
        session.add(row)
        ledger.log(
            session,
            EventKind.WITHDRAWAL_REQUESTED,
            requester.name,
            at=now,
            guide_id=guide_id,
            version=previous.version,
            reason=reason.strip(),
        )
        session.commit()
        session.refresh(row)
    assert row.id is not None
    return Request(row.id, guide_id, previous.version, row.reason, row.requested_by, now)


def cancel_withdrawal(ledger: Ledger, guide_id: str, by: Approver, now: dt.datetime) -> Request:
    request = _the_open_request(ledger, guide_id)
    with ledger.session() as session:
        row = session.get(WithdrawalRequest, request.id)
        assert row is not None
        row.status = WithdrawalStatus.CANCELLED
        session.add(row)
        ledger.log(session, EventKind.WITHDRAWAL_CANCELLED, by.name, at=now, guide_id=guide_id)
        session.commit()
    return request


def _the_open_request(ledger: Ledger, guide_id: str) -> Request:
    request = open_request(ledger, guide_id)
    if request is None:
        raise ApprovalError(
            _(
                "no open withdrawal request for {id}: request one with guides withdraw {id} --reason TEXT"
            ).format(id=guide_id)
        )
    return request


@dataclass(frozen=True, slots=True)
class Withdrawal:
    request: Request
    version: int


def approve_withdrawal(
    ledger: Ledger,
    guide_id: str,
    approver: Approver,
    now: dt.datetime,
    deadline: dt.datetime,
    channels: Iterable[str],
    timezone: str,
) -> Withdrawal:
    """A second person approves the open request: the guide is withdrawn from every channel."""
    request = _the_open_request(ledger, guide_id)
    with ledger.session() as session:
        row = session.get(WithdrawalRequest, request.id)
        assert row is not None
        requester = [Editor(str(i), "", "request") for i in row.requester]
    if conflicts(approver.person, requester):
        raise ApprovalError(
            _(
                "four eyes: {by} requested this withdrawal (#{request}) and cannot approve it; another person must approve it with guides withdraw {id} --approve"
            ).format(by=approver.name, request=request.id, id=guide_id)
        )
    latest = latest_versions(ledger).get(guide_id)
    if latest is None or latest.withdrawn or latest.version != request.version:
        raise ApprovalError(
            _(
                "{id} changed since the withdrawal was requested (#{request}, for v{version}); cancel the request with guides withdraw {id} --cancel and request it again"
            ).format(id=guide_id, request=request.id, version=request.version)
        )
    version = record_withdrawal(ledger, request, approver, now, deadline, channels, timezone)
    return Withdrawal(request, version)


def record_withdrawal(
    ledger: Ledger,
    request: Request,
    approver: Approver,
    now: dt.datetime,
    deadline: dt.datetime,
    channels: Iterable[str],
    timezone: str,
) -> int:
    """Withdraw a published guide from every channel (the request approved, in one transaction);
    returns the withdrawal's version number."""
    guide_id = request.guide_id
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    with ledger.session() as session:
        last = session.exec(
            select(GuideVersion).where(
                GuideVersion.guide_id == guide_id, GuideVersion.version == request.version
            )
        ).one()
        approval = _approval(request, approver, now, deadline, today)
        session.add(approval)
        session.flush()
        assert approval.id is not None
        version = _withdrawn_version(request, last, approval.id, today)
        session.add(version)
        session.flush()
        schedule(session, version, channels, now, deadline, today, zone)
        row = session.get(WithdrawalRequest, request.id)
        assert row is not None
        row.status, row.approval_id = WithdrawalStatus.APPROVED, approval.id
        session.add(row)
        ledger.log(
            session,
            EventKind.WITHDRAWN,
            approver.name,
            at=now,
            guide_id=guide_id,
            version=version.version,
            reason=request.reason,
            requested_by=request.requested_by,
        )
        try:
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise ApprovalError(
                _("another approval of {id} was recorded at the same time; try again").format(
                    id=guide_id
                )
            ) from exc
    return version.version


def _approval(
    request: Request, approver: Approver, now: dt.datetime, deadline: dt.datetime, today: dt.date
) -> Approval:
    """The withdrawal's approval, signed by its approver."""
    approval = Approval(
        kind=ApprovalKind.WITHDRAW,
        approved_by=approver.name,
        approved_at=now,
        note=request.reason,
        effective_date=today,
        deadline=deadline,
        editors=[request.requested_by],
        change_set_id=f"withdraw:{request.guide_id}@{request.version}#{request.id}",
        key_id=approver.key_id,
    )
    approval.signature = approver.sign(approval_fields(approval))
    return approval


def _withdrawn_version(
    request: Request, last: GuideVersion, approval_id: int, today: dt.date
) -> GuideVersion:
    """The version that withdraws the guide: its last version's name and file, no content."""
    guide_id, reason = request.guide_id, request.reason
    return GuideVersion(
        guide_id=guide_id,
        version=request.version + 1,
        approval_id=approval_id,
        name=last.name,
        file=last.file,
        effective_date=today,
        withdrawn=True,
        reason=reason,
        notice={
            "guide": guide_id,
            "name": last.name,
            "status": ChangeStatus.REMOVED,
            "effective_date": None,
            "items": [],
            "text": f"“{last.name}”事项办事指南已撤回：{reason}",
        },
    )
