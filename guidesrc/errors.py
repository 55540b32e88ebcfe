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
    └── DeploymentError          the deployment file (GUIDES_DEPLOYMENT) cannot be read or is wrong

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
