"""The statuses and actions guidesrc stores in the ledger and writes to JSON.

Each is a :class:`~enum.StrEnum`: a mistyped one fails at attribute access, not at run time, and
each member is the very string that is stored (it compares equal to it), so ledgers and JSON
written before read back the same. The ledger's columns hold them as text
(:class:`guidesrc.ledger.models.Values`).
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What a delivery does on a channel."""

    PUBLISH = "publish"  # the version is in force now: show it as the guide
    ANNOUNCE = "announce"  # it takes effect later: show it as upcoming, keep the current one
    ACTIVATE = "activate"  # the effective date of an announced version has come
    WITHDRAW = "withdraw"  # the guide is taken down, with the reason


class PublicationStatus(StrEnum):
    """Where one delivery (a ``publication`` row, the outbox) stands."""

    QUEUED = "queued"  # waiting for its due time, or for the next `guides publish`
    SENDING = "sending"  # claimed by a publishing run
    DELIVERED = "delivered"
    AWAITING = "awaiting"  # delivered, handed over: staff confirm the handover
    FAILED = "failed"  # retried with backoff
    SUPERSEDED = "superseded"  # a later version won before it was delivered
    SCHEDULED = "scheduled"  # never stored: a queued one whose due time is ahead, as shown


class WithdrawalStatus(StrEnum):
    """Where a request to withdraw a guide stands (four eyes: one asks, another approves)."""

    OPEN = "open"
    APPROVED = "approved"
    CANCELLED = "cancelled"


class PrintJobState(StrEnum):
    """A CUPS print job's ``job-state`` (RFC 8011), by name."""

    PENDING = "pending"
    HELD = "held"
    PROCESSING = "processing"
    STOPPED = "stopped"
    CANCELED = "canceled"
    ABORTED = "aborted"
    COMPLETED = "completed"


#: The states a print job ends in.
FINAL_JOB_STATES = frozenset(
    {PrintJobState.CANCELED, PrintJobState.ABORTED, PrintJobState.COMPLETED}
)


class ChangeStatus(StrEnum):
    """What happened to a guide between two versions (``guides diff``, ``guide_version.change``)
    or to a setting of a configuration file (``config_version.changes``)."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"

    @classmethod
    def between(cls, before: object, after: object) -> ChangeStatus:
        """Added when there was nothing before, removed when there is nothing after."""
        return cls.ADDED if before is None else cls.REMOVED if after is None else cls.CHANGED


class FieldAction(StrEnum):
    """What happened to one field of a guide (a :class:`guidesrc.diff.changeset.FieldChange`)."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    MOVED = "moved"  # an item of an ordered list changed place


class ApprovalKind(StrEnum):
    """What an approval recorded (``approval.kind``)."""

    APPROVE = "approve"  # `guides approve`
    WITHDRAW = "withdraw"  # `guides withdraw`, approved by a second person


class EventKind(StrEnum):
    """What an event of the ledger's log records (``event.kind``). The column stays text, read
    as it is: a kind written by a later guidesrc is shown, not refused."""

    APPROVAL = "approval"
    APPROVAL_FORCED = "approval.forced"  # four eyes overridden with --force --reason
    APPROVED = "approved"  # one guide's version
    WITHDRAWAL_REQUESTED = "withdrawal.requested"
    WITHDRAWAL_CANCELLED = "withdrawal.cancelled"
    WITHDRAWN = "withdrawn"
    QUEUED_NEW_CHANNEL = "queued.new-channel"
    DELIVERED = "delivered"
    AWAITING = "awaiting"  # delivered, handed over to staff
    DELIVERY_FAILED = "delivery.failed"
    HANDOVER_DONE = "handover.done"
    CHANNEL_REBUILT = "channel.rebuilt"
    MANIFEST_SIGNED = "manifest.signed"
    MANIFEST_CLEAN = "manifest.clean"
    MANIFEST_REFUSED = "manifest.refused"
    MANIFEST_FAILED = "manifest.failed"
    PRINT_REFUSED = "print.refused"
