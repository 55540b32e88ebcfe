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
    """What happened to a setting of a configuration file (``config_version.changes``)."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
