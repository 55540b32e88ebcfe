"""The one exception hierarchy of guidesrc.

Problems in library content (a wrong field, a missing legal basis) are not exceptions: they are
:class:`guidesrc.diagnostics.Diagnostic` values, all collected before the command exits. Exceptions
are for what stops a command from running at all::

    GuidesError                  exit 2; the CLI prints the message, never a traceback
    ├── LibraryNotFoundError     no library.yaml at or above the given folder
    ├── LibraryConfigError       library.yaml cannot be read or does not validate
    ├── LibraryIOError           a file or folder of the library cannot be read or written
    ├── GitError                 git is missing, the folder is not a repository, no such revision
    ├── CalendarError            calendar.yaml does not validate, or a date's year has no holiday data
    ├── StateInvalidError        a library state to diff or publish does not pass `guides check`
    ├── LedgerError              the ledger database cannot be opened, migrated or written
    ├── ApprovalError            an approval is refused (four eyes, a moved base, no note …)
    ├── ChannelError             a channel is misconfigured or its adapter cannot be found
    ├── FreeTextError            a free-text option (--note, --reason, --by) holds personal data
    │                            or hidden characters
    ├── DeploymentError          the deployment file (GUIDES_DEPLOYMENT) cannot be read or is wrong
    ├── SigningKeyError          a manifest signing key cannot be read, written or found
    ├── ImportRefusedError       an import would overwrite files with uncommitted changes
    │
    │   Below: caught where they arise, never shown by the CLI as such
    ├── DeliveryError            a delivery failed: the publisher records it and retries
    │   ├── TransientDeliveryError   the channel was unreachable, slow or overloaded
    │   └── PermanentDeliveryError   the channel refused it: it fails again until someone acts
    ├── FailedElsewhere          a delivery's work failed in a worker process (``detail``: its
    │                            traceback); recorded like any other exception, not as ours
    ├── SheetProblem             a print sheet is missing from the bundle or has other bytes
    │   └── UnsignedSheet        a sheet's bytes are not the ones the signed manifest lists
    ├── PrintProblem             a print queue cannot take or finish a job (``transient``)
    │   ├── ServerUnreachable    CUPS does not answer (transient)
    │   ├── QueueMissing         no such queue on the server (permanent: a setting to fix)
    │   ├── QueueStopped         the queue is paused (cupsdisable, or CUPS stopped it)
    │   ├── QueueRejecting       the queue does not accept jobs (cupsreject)
    │   ├── JobFailed            the job was aborted by CUPS or cancelled by someone (permanent)
    │   ├── JobUnfinished        the job did not end in the time given (transient)
    │   └── PrintRefused         CUPS refused the job for another reason (permanent)
    ├── IppError                 the print server answered with an error status: the queue
    │                            turns it into a PrintProblem
    ├── KioskRefusal             a kiosk request turned down: the page answers its HTTP status
    ├── KioskBusy                a job of this kiosk is still printing (answered as a refusal)
    └── TapPending               a tap's first request is still being sent (answered as busy)

Where each of the lower ones goes: the publisher records a delivery error (``failed``, the
message as the reason for staff, the traceback for IT) and retries; the printer channel turns
print queue and sheet problems into the two kinds of delivery error; the kiosk answers a
KioskRefusal with a page of its status and turns the others into one. None reaches the CLI.

Not here, on purpose: three private exceptions that never leave the module that raises them,
``importer.sheet_cells._Unreadable`` and ``check.cachecodec.BadShape`` (a damaged cell or cache
entry, reported or re-computed on the spot) and ``signing.NotEd25519`` (reworded by each caller
as a SigningKeyError); and ``faults.InjectedFault``, which only a test raises (``GUIDES_FAULT``)
to stand for a foreign failure, so it must not be one of ours.

Every error carries the context a user needs to fix it (file, line, field path) in its message;
messages are translated at the point where they are raised.
"""

from __future__ import annotations


class GuidesError(Exception):
    """Base of every error guidesrc raises on purpose."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class LibraryNotFoundError(GuidesError):
    """The folder is not a guidesrc content library."""


class LibraryConfigError(GuidesError):
    """``library.yaml`` is missing a field, has a wrong one, or is not valid YAML."""


class LibraryIOError(GuidesError):
    """A file or folder of the library cannot be read or written."""


class GitError(GuidesError):
    """A git revision of the library cannot be read."""


class CalendarError(GuidesError):
    """Working days cannot be counted: ``calendar.yaml`` is wrong, or a year is not known.

    A year that neither the ``chinese-calendar`` package nor ``calendar.yaml`` knows is an error,
    never a guess: which days are worked depends on that year's State Council notice.
    """


class StateInvalidError(GuidesError):
    """A library state (a revision, the working tree) has errors, so it cannot be compiled."""


class LedgerError(GuidesError):
    """The ledger database cannot be opened, migrated or written."""


class ApprovalError(GuidesError):
    """An approval or withdrawal is refused; nothing was recorded."""


class ChannelError(GuidesError):
    """A publishing channel is misconfigured, or its adapter is not installed."""


class FreeTextError(GuidesError):
    """A free-text command-line option fails the content rules of guide text (去标识化, hidden
    characters); nothing was recorded."""


class DeploymentError(GuidesError):
    """The deployment file (``GUIDES_DEPLOYMENT``, outside the library) is missing or wrong."""


class SigningKeyError(GuidesError):
    """A signing key cannot be read, written or found."""


class ImportRefusedError(GuidesError):
    """The import would overwrite files with uncommitted changes; nothing was written."""


# --- delivery: raised by adapters, recorded by the publisher ---------------------------------


class DeliveryError(GuidesError):
    """A delivery failed. The publisher records it (``failed``, the message as ``last_error``)
    and tries again on its schedule; an adapter raises one of the two kinds below::

        DeliveryError
        ├── TransientDeliveryError   the channel was unreachable, slow or overloaded
        └── PermanentDeliveryError   the channel refused it: it fails again until someone acts

    Adapters import them from :mod:`guidesrc.adapters`, as before.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(message)


class TransientDeliveryError(DeliveryError):
    """The same request may well succeed later (a timeout, a dropped connection, HTTP 5xx)."""


class PermanentDeliveryError(DeliveryError):
    """The channel refused the delivery (credentials, settings, a conflict); repeating the same
    request does not help until the channel or the library is fixed."""


class FailedElsewhere(GuidesError):
    """A delivery's work failed in another process (a worker of a parallel build): the message
    is that process's own, ``detail`` holds its traceback, which the publisher keeps as the
    cause for IT."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


# --- printing: sheets, print queues and the IPP protocol ------------------------------------


class SheetProblem(GuidesError):
    """A sheet is not in the print bundle as the manifest says (missing, or other bytes)."""


class UnsignedSheet(SheetProblem):
    """A sheet's bytes are not the ones the channel's signed manifest lists."""


class PrintProblem(GuidesError):
    """A print queue cannot take or finish a job; the message says what happened and what to
    do. ``transient`` tells the printer channel which kind of delivery error to raise."""

    transient = True


class ServerUnreachable(PrintProblem):
    """CUPS does not answer."""


class QueueMissing(PrintProblem):
    """No such queue on the print server: a setting to fix."""

    transient = False


class QueueStopped(PrintProblem):
    """The queue is paused (cupsdisable, or CUPS stopped it after an error)."""


class QueueRejecting(PrintProblem):
    """The queue does not accept jobs (cupsreject)."""


class JobFailed(PrintProblem):
    """The job was aborted by CUPS or cancelled by someone; ``state`` is its final state."""

    transient = False

    def __init__(self, message: str, state: str) -> None:
        super().__init__(message)
        self.state = state


class JobUnfinished(PrintProblem):
    """The job did not end in the time given; it is asked about again later."""


class PrintRefused(PrintProblem):
    """CUPS refused the job for another reason."""

    transient = False


class IppError(GuidesError):
    """The print server answered with an IPP status other than success (or an HTTP error):
    ``status`` is that status, ``reason`` the server's own words."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"IPP status 0x{status:04x}: {reason}")
        self.status = status
        self.reason = reason


# --- the kiosk: requests it turns down --------------------------------------------------------


class KioskRefusal(GuidesError):
    """A kiosk request turned down: ``status`` is the HTTP status, the message the page's text
    (written for the public, in Chinese)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class KioskBusy(GuidesError):
    """A job of this kiosk is still printing."""

    def __init__(self) -> None:
        super().__init__("a print job of this kiosk is still printing")


class TapPending(GuidesError):
    """The first request of this tap is still being sent to the printer."""

    def __init__(self) -> None:
        super().__init__("the first request of this tap is still being sent to the printer")
