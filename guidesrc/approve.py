"""What is pending approval, and recording approvals and withdrawals in the ledger.

Pending changes are the differences between the working tree (checked, compiled) and the latest
approved version of each guide in the ledger. Only guides that are 主动公开 are published; a guide
that stops being public, or whose file is gone, is pending removal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from guidesrc.approvers import Approver, approval_fields
from guidesrc.check.library_rules import CATALOGUE_FILES
from guidesrc.compile import FIELDS_FED_BY
from guidesrc.config_changes import ConfigPending, pending_config, record_config
from guidesrc.diagnostics import format_path
from guidesrc.diff import effective
from guidesrc.diff.changeset import (
    DEFAULT_POLICY,
    ChangeSet,
    GuideChange,
    guide_change,
)
from guidesrc.diff.notice import notice, release_notice
from guidesrc.errors import ApprovalError
from guidesrc.gaps import ELEMENT_TITLES, missing_elements
from guidesrc.i18n import _
from guidesrc.identity import (
    UNCOMMITTED,
    Base,
    Editor,
    Person,
    conflicts,
    editors_since,
    head_source,
)
from guidesrc.ledger import Ledger
from guidesrc.ledger.models import Approval, ConfigVersion, GuideVersion
from guidesrc.model.library import Completeness
from guidesrc.scheduling import schedule
from guidesrc.state import LibraryState
from guidesrc.statuses import ApprovalKind, EventKind
from guidesrc.yamlio import compose, locate

PUBLIC = "主动公开"
PUBLISHED_LABEL = "已审核版本（台账）"


@dataclass(frozen=True, slots=True)
class Latest:
    """The latest approved version of a guide, as the ledger has it."""

    id: int
    guide_id: str
    version: int
    content_hash: str | None
    withdrawn: bool


@dataclass(slots=True)
class Pending:
    """The changes awaiting approval, with what is needed to record them."""

    changes: ChangeSet
    latest: dict[str, Latest]
    compiled: dict[str, dict[str, Any]] = field(default_factory=dict)  # new versions
    withdrawn_present: list[str] = field(default_factory=list)  # withdrawn, file still here
    config_timezone: str = "Asia/Shanghai"
    config: ConfigPending | None = None  # the configuration files (guidesrc.config_changes)

    @property
    def id(self) -> str:
        """Identifies exactly these changes against exactly this ledger state (12 hex digits):
        approving with ``--change-set ID`` refuses anything else."""
        lines = sorted(f"{g.id} {g.old_hash} {g.new_hash}" for g in self.changes.guides)
        if self.config is not None and self.config.to_approve:
            lines.append(self.config.id_line())
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]

    def __bool__(self) -> bool:
        """Anything to approve: a guide, or the configuration."""
        return bool(self.changes) or (self.config is not None and self.config.to_approve)


#: Up to this many guides, their latest versions are asked for by id (more: all are read).
_FEW = 500


def latest_versions(ledger: Ledger, ids: Collection[str] | None = None) -> dict[str, Latest]:
    """Each guide's latest version (``ids``: of these guides only, the work of an approval of
    a few named guides in a large ledger)."""
    newest_query = select(GuideVersion.guide_id, sa.func.max(GuideVersion.version).label("version"))
    if ids is not None and len(ids) <= _FEW:
        newest_query = newest_query.where(col(GuideVersion.guide_id).in_(sorted(ids)))
    newest = newest_query.group_by(col(GuideVersion.guide_id)).subquery()
    v = GuideVersion.__table__.c  # type: ignore[attr-defined]
    query = sa.select(v.id, v.guide_id, v.version, v.content_hash, v.withdrawn).join(
        newest, sa.and_(v.guide_id == newest.c.guide_id, v.version == newest.c.version)
    )
    with ledger.engine.connect() as conn:
        return {
            row[1]: Latest(row[0], row[1], row[2], row[3], row[4]) for row in conn.execute(query)
        }


def compiled_version(ledger: Ledger, version_id: int) -> dict[str, Any]:
    with ledger.session() as session:
        text = session.exec(
            select(GuideVersion.compiled).where(GuideVersion.id == version_id)
        ).one()
    return dict(orjson.loads(text)) if text else {}


def pending_changes(
    state: LibraryState,
    ledger: Ledger,
    only: Iterable[str] = (),
    policy: Mapping[str, str] | None = None,
) -> Pending:
    """Every guide whose public content differs from its latest approved version."""
    rules = tuple({**DEFAULT_POLICY, **(policy or {})}.items())
    named = set(only)
    latest = latest_versions(ledger, named or None)
    unknown = named - state.guide_files.keys() - latest.keys()
    if unknown:
        raise ApprovalError(
            _("no guide with the id {id} in the library or the ledger").format(
                id="、".join(sorted(unknown))
            )
        )
    pending = Pending(ChangeSet(PUBLISHED_LABEL, state.label), latest)
    if state.config is not None:
        pending.config_timezone = state.config.timezone
    state.prefetch(named or state.guide_files)  # with --guide, only the guides named
    for guide_id in sorted(named or (state.guide_files.keys() | latest.keys())):
        before_meta = latest.get(guide_id)
        public = guide_id in state.guide_files and state.data(guide_id).get("disclosure") == PUBLIC
        if before_meta is not None and before_meta.withdrawn:
            if public and guide_id not in named:
                pending.withdrawn_present.append(guide_id)  # stays withdrawn until named
                continue
            before_meta = None  # named again: it comes back as a new guide
        # The hash from the parse cache when the guide and the catalogues are as last time:
        # an approval compiles only what changed.
        new_hash = state.content_hash(guide_id) if public else None
        old_hash = before_meta.content_hash if before_meta is not None else None
        if new_hash == old_hash:
            continue
        after = state.compiled(guide_id) if public else None
        before = compiled_version(ledger, before_meta.id) if before_meta is not None else None
        file = state.guide_files.get(guide_id, f"guides/{guide_id}.yaml")
        change = guide_change(guide_id, file, before, after, (old_hash, new_hash), rules)
        change.old, change.new = before, after
        pending.changes.guides.append(change)
        if after is not None:
            pending.compiled[guide_id] = after
    pending.config = pending_config(state.tree, ledger, included=not named)
    return pending


@dataclass(frozen=True, slots=True)
class Decision:
    """What an approver decided."""

    by: str
    note: str
    effective_date: dt.date | None  # --effective; None: each guide's own (guidesrc.diff.effective)
    now: dt.datetime  # aware
    deadline: dt.datetime  # aware; from the working-day calendar
    force_reason: str | None = None
    expect: str | None = None  # the change-set id the approver reviewed
    approver: Approver | None = None  # authenticated (guidesrc.approvers); else ``by``, unsigned

    @property
    def who(self) -> Approver:
        return self.approver if self.approver is not None else Approver(Person(self.by))


@dataclass(frozen=True, slots=True)
class Approved:
    approval_id: int
    versions: list[tuple[str, int]]
    publications: int
    forced: bool
    editors: list[str]
    config_version: int | None = None  # the configuration version this approval recorded


def record_approval(
    root: Path,
    state: LibraryState,
    ledger: Ledger,
    pending: Pending,
    decision: Decision,
    channels: Iterable[str],
) -> Approved:
    """Check the decision against the rules of approval, then record it in one transaction."""
    _check_decision(state, pending, decision)
    changes = pending.changes
    config = pending.config if pending.config is not None and pending.config.to_approve else None
    approver = decision.who
    editors = _editors(root, changes, ledger, config.changed_files if config else ())
    _four_eyes(approver, editors, decision.force_reason)
    labels = sorted({e.label for e in editors})
    source = head_source(root)
    try:
        with ledger.session() as session:
            approval = _approval_row(pending, decision, labels, source)
            session.add(approval)
            session.flush()
            assert approval.id is not None
            config_version = record_config(session, approval.id, config) if config else None
            versions, count = _record_versions(
                session, ledger, pending, decision, approval.id, channels
            )
            ledger.log(
                session,
                EventKind.APPROVAL_FORCED if decision.force_reason else EventKind.APPROVAL,
                approver.name,
                at=decision.now,
                approval=approval.id,
                guides=len(versions),
                change_set=pending.id,
                config=config_version,
                note=decision.note.strip(),
                editors=labels,
                reason=decision.force_reason,
                deadline=decision.deadline.isoformat(),
            )
            session.commit()
    except IntegrityError as exc:  # another approval recorded a version of these guides first
        raise ApprovalError(
            _(
                "another approval was recorded while this one was being made; review the pending changes again with `guides diff --published`"
            )
        ) from exc
    forced = decision.force_reason is not None
    return Approved(approval.id, versions, count, forced, labels, config_version)


def _check_decision(state: LibraryState, pending: Pending, decision: Decision) -> None:
    """Refuse a decision the rules of approval do not allow (nothing recorded yet)."""
    if not pending:
        raise ApprovalError(_("nothing to approve: the ledger already has this content"))
    if decision.expect is not None and decision.expect != pending.id:
        raise ApprovalError(
            _(
                "the pending changes are no longer those you reviewed (change set {expected}, now {actual}): someone changed the library or approved since; review them again with `guides diff --published` and approve the new change set"
            ).format(expected=decision.expect, actual=pending.id)
        )
    today = decision.now.astimezone(ZoneInfo(pending.config_timezone)).date()
    if decision.effective_date is not None and decision.effective_date < today:
        raise ApprovalError(
            _(
                "the effective date {date} is in the past; give today ({today}) or a later date"
            ).format(date=decision.effective_date, today=today)
        )
    _assign_dates(pending, decision.effective_date, today)
    if any(g.major for g in pending.changes.guides) and not decision.note.strip():
        raise ApprovalError(
            _(
                "these changes include 实质性变更 (major changes): a change note is required; give it with --note"
            )
        )
    refused = incomplete_guides(state, pending)
    if refused:
        raise ApprovalError(
            "\n".join(line for _gid, line in refused)
            + "\n"
            + _(
                "{count} guide(s) lack what the library's completeness policy (library.yaml: completeness.required) requires before approval; nothing was approved. Complete them, or approve the other guides with --guide ID"
            ).format(count=len({gid for gid, _line in refused}))
        )


def _assign_dates(pending: Pending, option: dt.date | None, today: dt.date) -> None:
    """Give each guide the date it takes effect (the notices carry it); refuse a file's date
    that has passed and is not the one in force (guidesrc.diff.effective)."""
    refused = effective.assign(pending.changes, today, option)
    if not refused:
        return
    lines = [
        _(
            "{file}: effective_date: the file proposes {date}, which has passed (today is {today}); write the day the change takes effect, today or later, in effective_date, or give it with guides approve --effective DATE"
        ).format(file=g.file, date=g.file_effective_date, today=today)
        for g in refused[:_SHOWN]
    ]
    if len(refused) > _SHOWN:
        lines.append(
            _("… and {count} more guide(s) like these").format(count=len(refused) - _SHOWN)
        )
    raise ApprovalError("\n".join(lines) + "\n" + _("nothing was approved"))


#: Refused guides named one by one (more: counted).
_SHOWN = 10


def _approval_row(
    pending: Pending, decision: Decision, labels: list[str], source: str | None
) -> Approval:
    """The approval as the ledger records it, signed by the approver."""
    approver = decision.who
    approval = Approval(
        kind=ApprovalKind.APPROVE,
        approved_by=approver.name,
        approved_at=decision.now,
        note=decision.note.strip(),
        effective_date=effective.approval_date(
            pending.changes,
            decision.now.astimezone(ZoneInfo(pending.config_timezone)).date(),
            decision.effective_date,
        ),
        deadline=decision.deadline,
        forced_reason=decision.force_reason,
        editors=labels,
        source=source,
        change_set_id=pending.id,
        release_notice=release_notice(pending.changes).as_dict(),
        key_id=approver.key_id,
    )
    approval.signature = approver.sign(approval_fields(approval))
    return approval


def _record_versions(
    session: Any,
    ledger: Ledger,
    pending: Pending,
    decision: Decision,
    approval_id: int,
    channels: Iterable[str],
) -> tuple[list[tuple[str, int]], int]:
    """A new version of each changed guide, its deliveries queued on every channel and its
    approval logged. Returns the (guide, version) pairs and the number of deliveries queued."""
    zone = ZoneInfo(pending.config_timezone)
    today = decision.now.astimezone(zone).date()
    versions: list[tuple[str, int]] = []
    count = 0
    for g in pending.changes.guides:
        version = _version_row(pending, decision, approval_id, g)
        session.add(version)
        session.flush()
        assert version.id is not None
        versions.append((g.id, version.version))
        count += schedule(session, version, channels, decision.now, decision.deadline, today, zone)
        ledger.log(
            session,
            EventKind.APPROVED,
            decision.who.name,
            at=decision.now,
            guide_id=g.id,
            version=version.version,
            status=g.status,
            major=g.major,
            hash=g.new_hash,
            effective_date=g.effective_date,
            effective_from=g.effective_from,
            file_effective_date=g.file_effective_date,
        )
    return versions, count


def _version_row(
    pending: Pending, decision: Decision, approval_id: int, g: GuideChange
) -> GuideVersion:
    previous = pending.latest.get(g.id)
    compiled = pending.compiled.get(g.id)
    return GuideVersion(
        guide_id=g.id,
        version=(previous.version if previous else 0) + 1,
        approval_id=approval_id,
        name=g.name,
        file=g.file,
        effective_date=dt.date.fromisoformat(g.effective_date or ""),
        withdrawn=compiled is None,
        reason=_("no longer published: removed from the library or not 主动公开")
        if compiled is None
        else None,
        content_hash=g.new_hash,
        # As the editors ordered the lists (the hash is of the canonical form).
        compiled=orjson.dumps(compiled, option=orjson.OPT_SORT_KEYS).decode()
        if compiled is not None
        else None,
        change=g.as_dict(),
        notice=notice(g).as_dict(),
        major=g.major,
    )


def _four_eyes(approver: Approver, editors: list[Editor], force_reason: str | None) -> None:
    """Refuse an approver who is one of the editors (by any identity), unless forced."""
    mine = conflicts(approver.person, editors)
    if not mine or force_reason is not None:
        return
    where = "、".join(
        sorted(
            {
                _("uncommitted changes in this checkout ({who})").format(who=e.label)
                if e.where == UNCOMMITTED
                else _("commit {commit} by {who}").format(commit=e.where, who=e.label)
                for e in mine
            }
        )
    )
    raise ApprovalError(
        _(
            "four eyes: {by} edited what is being approved ({where}) and cannot approve it; another person must approve (or, in an emergency, --force --reason TEXT, which the log flags)"
        ).format(by=approver.name, where=where)
    )


def incomplete_guides(state: LibraryState, pending: Pending) -> list[tuple[str, str]]:
    """(guide id, ``file:line: field: message``) for each required element (library.yaml completeness) that
    a guide to be approved does not state; none when the library allows incomplete guides."""
    config = state.config
    policy = config.completeness if config is not None else Completeness()
    if policy.allow_incomplete:
        return []
    out: list[tuple[str, str]] = []
    texts: dict[str, Any] = {}
    for g in pending.changes.guides:
        compiled = pending.compiled.get(g.id)
        if compiled is None:
            continue  # a withdrawal needs nothing
        known_gaps = compiled.get("gaps") or []
        for element in missing_elements(known_gaps, policy.required):
            rel, path = _gap_location(g.file, element, known_gaps, compiled)
            if rel not in texts:
                data = state.tree.read_many([rel]).get(rel, b"")
                texts[rel] = compose(data.decode("utf-8", "replace"))
            line, _column = locate(texts[rel], path, at_key=True)
            message = _(
                "{file}:{line}: {field}: {guide}: {element} is not known (待补充) and the library requires it before approval; fill it in (ask the department responsible), then approve again"
            ).format(
                file=rel,
                line=line,
                field=format_path(path),
                guide=g.id,
                element=ELEMENT_TITLES.get(element, element),
            )
            out.append((g.id, message))
    return out


def _gap_location(
    rel: str, element: str, gaps: list[str], compiled: dict[str, Any]
) -> tuple[str, tuple[str | int, ...]]:
    """Where an element's gap is written: the guide's pending list or field, or the offices
    catalogue for an office's address or hours."""
    for gap in gaps:
        if missing_elements([gap], [element]):
            parts = gap.split(".")
            if parts[0] == "places" and len(parts) == 3:
                return CATALOGUE_FILES["offices"], ("entries", parts[1], "pending")
            pending = compiled.get("pending") or []
            if parts[0] in pending:
                return rel, ("pending", pending.index(parts[0]))
            if len(parts) == 2:
                return rel, (parts[0], "pending")
            return rel, tuple(parts)
    return rel, (element,)


def _editors(
    root: Path, changes: ChangeSet, ledger: Ledger, config_files: Iterable[str] = ()
) -> list[Editor]:
    """Every identity that edited the files behind the changes since each guide's last approved
    version: the guide's own file, each catalogue feeding a field that changed, and the
    configuration files that changed (since the approval that last recorded the configuration)."""
    bases = approval_bases(ledger, [g.id for g in changes.guides])
    needed: dict[str, Base] = {}
    config_files = list(config_files)
    if config_files:
        base = config_base(ledger)
        for rel in config_files:
            needed[rel] = base
    for g in changes.guides:
        files = {g.file} if g.status != "changed" or _own_fields(g) else set()
        for catalogue, fed in FIELDS_FED_BY.items():
            if any(c.field in fed for c in g.changes):
                files.add(CATALOGUE_FILES[catalogue.replace("_", "-")])
                files.add(g.file)
        base = bases.get(g.id, Base())
        for rel in files:
            needed[rel] = _earlier(needed[rel], base) if rel in needed else base
    return editors_since(root, needed)


def _earlier(a: Base, b: Base) -> Base:
    """The base that counts more edits: none (the whole history) before any other."""
    if a.at is None or b.at is None:
        return a if a.at is None else b
    return a if a.at <= b.at else b


def config_base(ledger: Ledger) -> Base:
    """Where unapproved edits of the configuration files begin: the source commit and time of
    the approval that last recorded the configuration (none yet: the whole history)."""
    query = (
        select(Approval.source, Approval.approved_at)
        .join(ConfigVersion, col(ConfigVersion.approval_id) == col(Approval.id))
        .order_by(col(ConfigVersion.version).desc())
        .limit(1)
    )
    with ledger.session() as session:
        row = session.exec(query).first()
    return Base(row[0], row[1]) if row is not None else Base()


def approval_bases(ledger: Ledger, guide_ids: list[str]) -> dict[str, Base]:
    """Each guide's base: the source commit and time of the approval of its latest version."""
    latest = latest_versions(ledger, guide_ids)
    ids = [latest[g].id for g in guide_ids if g in latest]
    if not ids:
        return {}
    query = (
        select(GuideVersion.guide_id, Approval.source, Approval.approved_at)
        .join(Approval, col(Approval.id) == col(GuideVersion.approval_id))
        .where(col(GuideVersion.id).in_(ids))
    )
    with ledger.session() as session:
        return {gid: Base(source, at) for gid, source, at in session.exec(query)}


def _own_fields(g: GuideChange) -> bool:
    fed = {f for fields in FIELDS_FED_BY.values() for f in fields}
    return any(c.field not in fed for c in g.changes) or not g.changes
