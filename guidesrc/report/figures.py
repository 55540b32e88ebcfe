"""The figures of `guides report` (see :mod:`guidesrc.report`), read from the ledger."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from guidesrc.ledger import Ledger
from guidesrc.ledger.models import Approval, Event, GuideVersion, Publication
from guidesrc.statuses import ApprovalKind, EventKind, PublicationStatus


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    guide_id: str
    name: str
    version: int
    channel: str
    action: str
    approved_at: dt.datetime
    deadline: dt.datetime
    delivered_at: dt.datetime | None
    status: str
    reason: str  # why it was late or is still open ("" when on time)

    @property
    def on_time(self) -> bool:
        return self.delivered_at is not None and self.delivered_at <= self.deadline

    def late(self, now: dt.datetime) -> bool:
        """Delivered after its deadline, or not delivered and the deadline has passed."""
        if self.delivered_at is not None:
            return self.delivered_at > self.deadline
        return now > self.deadline


@dataclass(frozen=True, slots=True)
class ChannelFigures:
    channel: str
    deliveries: int
    on_time: int
    late: int
    pending: int  # not delivered, deadline still ahead

    @property
    def rate(self) -> float | None:
        """On-time rate over the deliveries whose outcome is known (delivered, or overdue)."""
        decided = self.on_time + self.late
        return self.on_time / decided if decided else None


@dataclass(frozen=True, slots=True)
class Withdrawal:
    guide_id: str
    name: str
    at: dt.datetime
    by: str
    reason: str


@dataclass(slots=True)
class Report:
    start: dt.date
    end: dt.date
    zone: ZoneInfo
    now: dt.datetime
    approvals: int = 0
    changes: Counter[str] = field(default_factory=Counter)  # added / changed / removed
    major: int = 0
    minor: int = 0
    guides: int = 0  # distinct guides changed
    channels: list[ChannelFigures] = field(default_factory=list)
    deliveries: list[DeliveryRow] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    months: list[dict[str, Any]] = field(default_factory=list)

    @property
    def late(self) -> list[DeliveryRow]:
        return [d for d in self.deliveries if d.late(self.now)]

    @property
    def rate(self) -> float | None:
        on_time = sum(c.on_time for c in self.channels)
        decided = on_time + sum(c.late for c in self.channels)
        return on_time / decided if decided else None


def build_report(
    ledger: Ledger, start: dt.date, end: dt.date, zone: ZoneInfo, now: dt.datetime
) -> Report:
    begin = dt.datetime.combine(start, dt.time(), zone)
    stop = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
    report = Report(start, end, zone, now)
    rows = _read(ledger, begin, stop)
    report.approvals = sum(a.kind == ApprovalKind.APPROVE for a in rows.approvals.values())
    _count_changes(report, rows)
    report.guides = len({v.guide_id for v in rows.versions})
    report.deliveries.extend(_delivery_rows(rows, now))
    report.channels = _channels(report.deliveries, now)
    report.months = _months(report, rows.versions, rows.approvals)
    return report


@dataclass(slots=True)
class _Rows:
    """What the ledger holds of the approvals made in a period."""

    approvals: dict[int | None, Approval]
    versions: list[GuideVersion]
    publications: list[Publication]  # not superseded, by deadline
    failures: dict[tuple[str, int, str], list[str]]  # (guide, version, channel) → errors

    @property
    def by_id(self) -> dict[int | None, GuideVersion]:
        return {v.id: v for v in self.versions}


def _read(ledger: Ledger, begin: dt.datetime, stop: dt.datetime) -> _Rows:
    with ledger.session() as session:
        approvals: dict[int | None, Approval] = {
            a.id: a
            for a in session.exec(
                select(Approval).where(Approval.approved_at >= begin, Approval.approved_at < stop)
            )
        }
        versions = (
            list(
                session.exec(
                    select(GuideVersion).where(col(GuideVersion.approval_id).in_(approvals))
                )
            )
            if approvals
            else []
        )
        ids = [v.id for v in versions]
        pubs = (
            list(
                session.exec(
                    select(Publication)
                    .where(col(Publication.version_id).in_(ids))
                    .where(Publication.status != PublicationStatus.SUPERSEDED)
                    .order_by(col(Publication.deadline), col(Publication.id))
                )
            )
            if ids
            else []
        )
        failures = _failures(session, {(v.guide_id, v.version) for v in versions})
    return _Rows(approvals, versions, pubs, failures)


def _count_changes(report: Report, rows: _Rows) -> None:
    """Added / changed / removed, major / minor, and the withdrawals with their reasons."""
    for v in rows.versions:
        approval = rows.approvals[v.approval_id]
        change = v.change
        status = "removed" if v.withdrawn else change.get("status", "changed")
        report.changes[status] += 1
        if v.major:
            report.major += 1
        else:
            report.minor += 1
        if v.withdrawn:
            report.withdrawals.append(
                Withdrawal(
                    v.guide_id, v.name, approval.approved_at, approval.approved_by, v.reason or ""
                )
            )


def _delivery_rows(rows: _Rows, now: dt.datetime) -> list[DeliveryRow]:
    by_id = rows.by_id
    out = []
    for pub in rows.publications:
        v = by_id[pub.version_id]
        row = DeliveryRow(
            v.guide_id,
            v.name,
            v.version,
            pub.channel,
            pub.action,
            rows.approvals[v.approval_id].approved_at,
            pub.deadline,
            pub.delivered_at,
            pub.status,
            "",
        )
        if row.late(now):
            key = (v.guide_id, v.version, pub.channel)
            row = _with_reason(row, pub, rows.failures.get(key, []))
        out.append(row)
    return out


def _failures(
    session: Any, versions: set[tuple[str, int]]
) -> dict[tuple[str, int, str], list[str]]:
    found: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    events = session.exec(
        select(Event).where(Event.kind == EventKind.DELIVERY_FAILED).order_by(col(Event.id))
    )
    for e in events:
        if (e.guide_id, e.version) in versions and e.channel:
            found[(e.guide_id, e.version, e.channel)].append(str(e.detail.get("error", "")))
    return found


def _with_reason(row: DeliveryRow, pub: Publication, errors: list[str]) -> DeliveryRow:
    """The ledger's account of why a delivery is late: its failures, a handover confirmed late,
    or no publishing run before the deadline."""
    handed_over = bool(pub.receipt and pub.receipt.get("handover"))
    if errors:
        reason = f"送达失败 {len(errors)} 次，最后一次：{errors[-1]}"
    elif handed_over:
        reason = "现场张贴确认晚于期限" if pub.delivered_at else "尚待现场张贴确认"
    elif pub.delivered_at is None:
        reason = "尚未送达：期限前没有运行发布（guides publish）"
    else:
        reason = "期限前没有运行发布（guides publish）"
    return dataclasses.replace(row, reason=reason)


def _channels(rows: list[DeliveryRow], now: dt.datetime) -> list[ChannelFigures]:
    out = []
    for channel in sorted({r.channel for r in rows}):
        mine = [r for r in rows if r.channel == channel]
        on_time = sum(r.on_time for r in mine)
        late = sum(r.late(now) for r in mine)
        out.append(ChannelFigures(channel, len(mine), on_time, late, len(mine) - on_time - late))
    return out


def _months(
    report: Report, versions: list[GuideVersion], approvals: dict[int | None, Approval]
) -> list[dict[str, Any]]:
    months: dict[str, dict[str, Any]] = {}
    day = report.start.replace(day=1)
    while day <= report.end:
        key = f"{day.year}-{day.month:02d}"
        months[key] = {"month": key, "changes": 0, "on_time": 0, "late": 0}
        day = (day + dt.timedelta(days=32)).replace(day=1)
    for v in versions:
        at = approvals[v.approval_id].approved_at.astimezone(report.zone)
        months[f"{at.year}-{at.month:02d}"]["changes"] += 1
    for r in report.deliveries:
        at = r.approved_at.astimezone(report.zone)
        bucket = months[f"{at.year}-{at.month:02d}"]
        if r.on_time:
            bucket["on_time"] += 1
        elif r.late(report.now):
            bucket["late"] += 1
    return list(months.values())
