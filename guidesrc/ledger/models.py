"""The ledger's tables. Every time is stored in UTC (naive in the database, aware in Python).

::

    approval         one `guides approve` or `guides withdraw`: who, when, note, effective date,
                     deadline, the change set and release notice it approved
    guide_version    one approved version of one guide: compiled snapshot (canonical JSON), hash
    publication      one delivery of a version to a channel (the outbox): queued → sending →
                     delivered | awaiting (handed over) | failed (retried with backoff) |
                     superseded (a later version won); guidesrc.statuses names them
    event            append-only history: who did what, when
    handover         work hall staff finish (printed sheets posted), confirmed by them
    print_tally      sheets printed at the kiosks, per day, guide and kiosk (no personal data)
    manifest_file    every (path, SHA-256) a channel's signed manifest listed, and when first seen
    signed_manifest  each file channel's newest signed manifest (its exact bytes): what the
                     next publish compares the folder with, even if the file was deleted
    withdrawal_request  a request to withdraw a guide, waiting for a second person to approve it
    config_version   one approved version of the configuration files (library.yaml, calendar.yaml,
                     approvers.yaml): what publishing uses

The schema is changed only through Alembic migrations (``guidesrc/ledger/migrations``).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from guidesrc.statuses import Action, ApprovalKind, PublicationStatus, WithdrawalStatus


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC (SQLite has no zones)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; use an aware one")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Values(TypeDecorator[StrEnum]):
    """A :mod:`guidesrc.statuses` enum, stored as its plain string (the column stays text)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum(value)


def json_text(value: Any) -> str:
    """How the ledger writes a JSON value: compact, keys in the order given (orjson)."""
    return orjson.dumps(value).decode()


class JSONData(TypeDecorator[Any]):
    """A JSON value (dict, list) in Python. PostgreSQL keeps it in a ``json`` column (the text as
    written: keys stay in their order, any string is allowed, unlike ``jsonb``); SQLite has no
    JSON type, so there it stays text in the column it always was (``stored``: VARCHAR or TEXT;
    ledgers written before need no copy of their tables). Python's None is SQL NULL.

    Like every JSON column it does not see a change made in place: assign a new value."""

    impl = sa.JSON
    cache_ok = True
    hashable = False  # dicts and lists

    def __init__(self, stored: type[sa.String] = sa.Text) -> None:
        super().__init__()
        self.stored = stored

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            # adapted to the dialect's own JSON type (postgresql.JSON): the PostgreSQL dialect
            # is not imported where only SQLite is used (it costs a SQLite process ~25 ms)
            return dialect.type_descriptor(sa.JSON(none_as_null=True))
        return dialect.type_descriptor(self.stored())

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None or dialect.name == "postgresql":
            return value  # PostgreSQL's driver writes it with json_text (guidesrc.ledger.store)
        return json_text(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return orjson.loads(value)


def _utc(nullable: bool = False) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable)


def _json(stored: type[sa.String] = sa.Text, *, nullable: bool = False, **default: Any) -> Any:
    return Field(sa_type=JSONData(stored), nullable=nullable, **default)


class Approval(SQLModel, table=True):
    __tablename__ = "approval"

    id: int | None = Field(default=None, primary_key=True)
    kind: ApprovalKind = Field(sa_type=Values(ApprovalKind), nullable=False)
    approved_by: str
    approved_at: dt.datetime = _utc()
    note: str = ""
    effective_date: dt.date
    deadline: dt.datetime = _utc()
    forced_reason: str | None = None  # four eyes overridden with --force --reason
    editors: list[str] = _json(sa.String, default_factory=list)  # every editor (name <e-mail>)
    source: str | None = None  # the library's git commit, with "+dirty" for uncommitted changes
    change_set_id: str
    release_notice: dict[str, Any] = _json(sa.String, default_factory=dict)  # ReleaseNotice
    key_id: str | None = None  # the approver's key (approvers.yaml); None: by OS account
    signature: str | None = None  # base64 Ed25519 over guidesrc.approvers.signed_bytes


class GuideVersion(SQLModel, table=True):
    __tablename__ = "guide_version"
    __table_args__ = (sa.UniqueConstraint("guide_id", "version", name="uq_guide_version"),)

    id: int | None = Field(default=None, primary_key=True)
    guide_id: str = Field(index=True)
    version: int
    approval_id: int = Field(foreign_key="approval.id", index=True)
    name: str
    file: str
    effective_date: dt.date
    withdrawn: bool = False
    reason: str | None = None  # why it was withdrawn
    content_hash: str | None = None  # None for a withdrawal
    # Canonical JSON, kept as text: its exact bytes are what content_hash hashed.
    compiled: str | None = Field(default=None, sa_type=sa.Text)
    change: dict[str, Any] = _json(default_factory=dict)  # GuideChange.as_dict()
    notice: dict[str, Any] = _json(default_factory=dict)  # Notice.as_dict()
    major: bool = True


class Publication(SQLModel, table=True):
    __tablename__ = "publication"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "channel", "action", name="uq_publication"),
        sa.Index("ix_publication_status_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="guide_version.id", index=True)
    guide_id: str = Field(index=True)
    channel: str
    action: Action = Field(sa_type=Values(Action), nullable=False)
    status: PublicationStatus = Field(
        default=PublicationStatus.QUEUED, sa_type=Values(PublicationStatus), nullable=False
    )
    due_at: dt.datetime = _utc()
    deadline: dt.datetime = _utc()
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=sa.Text)  # the reason, for staff
    error_detail: str | None = Field(default=None, sa_type=sa.Text)  # the full cause, for IT
    next_attempt_at: dt.datetime | None = _utc(nullable=True)
    receipt: dict[str, Any] | None = _json(default=None, nullable=True)  # from the adapter
    delivered_at: dt.datetime | None = _utc(nullable=True)
    updated_at: dt.datetime = _utc()


class Event(SQLModel, table=True):
    __tablename__ = "event"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    actor: str
    kind: str
    guide_id: str | None = Field(default=None, index=True)
    version: int | None = None
    channel: str | None = None
    detail: dict[str, Any] = _json(default_factory=dict)


class Handover(SQLModel, table=True):
    """Work a person must finish before deliveries count as done: a batch of printed sheets that
    hall staff post at a window, say. An adapter hands deliveries over by returning tokens in its
    receipt (``{"handover": [{"token": …, "title": …, …}]}``); a delivery is ``awaiting`` until
    every handover it is part of is confirmed (``guides print done TOKEN``)."""

    __tablename__ = "handover"
    __table_args__ = (sa.UniqueConstraint("channel", "token", name="uq_handover"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    token: str
    title: str
    created_at: dt.datetime = _utc()
    done_at: dt.datetime | None = _utc(nullable=True)
    done_by: str | None = None
    detail: dict[str, Any] = _json(default_factory=dict)  # from the adapter: files, place …


class PrintTally(SQLModel, table=True):
    """Sheets printed on demand (the hall's kiosks), counted per day, guide and kiosk queue:
    statistics without personal data (no time of day, no address, no search text)."""

    __tablename__ = "print_tally"
    __table_args__ = (sa.UniqueConstraint("day", "guide_id", "source", name="uq_print_tally"),)

    id: int | None = Field(default=None, primary_key=True)
    day: dt.date  # in the library's time zone
    guide_id: str
    source: str  # "kiosk:<queue>"
    prints: int = 0  # jobs completed
    pages: int = 0  # pages printed (pages of the sheet × copies)


class ManifestFile(SQLModel, table=True):
    """Every (path, SHA-256) pair a channel's signed manifest has listed, once, first seen when:
    ``guides verify`` tells a file put back from an earlier publish (stale) from one changed by
    hand (modified). Each publish adds only the pairs that are new; the manifest itself is listed
    under its own name, so the newest row for it is the manifest in force."""

    __tablename__ = "manifest_file"
    __table_args__ = (sa.UniqueConstraint("channel", "path", "sha256", name="uq_manifest_file"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    path: str  # relative to the channel's folder, with /
    sha256: str  # hex
    first_seen: dt.datetime = _utc()


class SignedManifest(SQLModel, table=True):
    """The newest manifest signed for each file channel, byte for byte: files not written by a
    publishing run must match it, or signing stops for that channel (docs/verify.md). Kept in the
    ledger, so deleting ``guides-manifest.json`` from the folder is no licence to sign again."""

    __tablename__ = "signed_manifest"

    channel: str = Field(primary_key=True)
    sha256: str  # hex, of ``body`` as UTF-8
    signed_at: dt.datetime = _utc()
    body: str = Field(sa_type=sa.Text)  # the manifest's exact text (signed: never a JSON column)


class WithdrawalRequest(SQLModel, table=True):
    """``guides withdraw ID --reason …``: one person asks; another approves (``guides withdraw
    ID --approve``), which records the withdrawal (``approval_id``), or the request is cancelled."""

    __tablename__ = "withdrawal_request"

    id: int | None = Field(default=None, primary_key=True)
    guide_id: str = Field(index=True)
    version: int  # the approved version it takes down
    reason: str
    requested_by: str
    requester: list[str] = _json(sa.String, default_factory=list)  # every identity, for four eyes
    key_id: str | None = None  # the requester's key (approvers.yaml); None: by OS account
    requested_at: dt.datetime = _utc()
    status: WithdrawalStatus = Field(
        default=WithdrawalStatus.OPEN, sa_type=Values(WithdrawalStatus), nullable=False
    )
    approval_id: int | None = Field(default=None, foreign_key="approval.id")


class ConfigVersion(SQLModel, table=True):
    """One approved version of the library's configuration files (``library.yaml``,
    ``calendar.yaml``, ``approvers.yaml``), recorded by the approval that approved it: what
    ``guides publish``, ``status`` and the adapters use, never the working tree's files."""

    __tablename__ = "config_version"
    __table_args__ = (sa.UniqueConstraint("version", name="uq_config_version"),)

    id: int | None = Field(default=None, primary_key=True)
    version: int
    approval_id: int = Field(foreign_key="approval.id", index=True)
    content_hash: str  # SHA-256 of the files (guidesrc.config_changes.snapshot_hash)
    files: dict[str, str | None] = _json(sa.String)  # file name → its text, None: no such file
    changes: list[dict[str, Any]] = _json(sa.String, default_factory=list)  # ConfigChange.as_dict()
