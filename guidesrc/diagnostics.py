"""Problems found in library content, and how they are shown.

A :class:`Diagnostic` holds message ids and arguments, not translated text, so a cached result can
be shown in any language; :func:`format_line` renders the one-line form editors read::

    guides/hukou-qianru.yaml:23:7: materials[2].legal_basis: 申请材料缺少有效的设定依据 …（修改建议：…）
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal

Severity = Literal["error", "warning"]


class RuleId(StrEnum):
    """The id of every rule a diagnostic can come from (a mistyped one fails at import, not
    at run time). :data:`guidesrc.check.rules.RULES` gives each a severity and a title; only
    ``calendar`` has none there: a wrong ``calendar.yaml`` stops the command (CalendarError)."""

    ENCODING = "encoding"
    FILE_TOO_LARGE = "file-too-large"
    YAML_SYNTAX = "yaml-syntax"
    YAML_STRUCTURE = "yaml-structure"
    DUPLICATE_KEY = "duplicate-key"
    SCHEMA = "schema"
    CHANNEL = "channel"
    FILE_NAME = "file-name"
    APPROVERS = "approvers"
    SYNONYMS = "synonyms"
    ID_MISMATCH = "id-mismatch"
    DUPLICATE_ID = "duplicate-id"
    DUPLICATE_CODE = "duplicate-code"
    CREDIT_CODE = "credit-code"
    MATERIAL_LEGAL_BASIS = "material-legal-basis"
    LEGAL_BASIS_REPEALED = "legal-basis-repealed"
    LEGAL_BASIS_NOT_IN_FORCE = "legal-basis-not-in-force"
    EFFECTIVE_DATE_PAST = "effective-date-past"
    REFERENCE_CYCLE = "reference-cycle"
    UNKNOWN_REFERENCE = "unknown-reference"
    MISSING_FILE = "missing-file"
    UNUSED_ENTRY = "unused-entry"
    TO_COMPLETE = "to-complete"
    INCOMPLETE_GUIDE = "incomplete-guide"
    WINDOW_PLACE = "window-place"
    TIME_LIMIT_EXCEEDS = "time-limit-exceeds"
    TIME_LIMIT_UNITS = "time-limit-units"
    IMMEDIATE_CASE = "immediate-case"
    PROMISED_CASE = "promised-case"
    FEE_ITEMS = "fee-items"
    FEE_BASIS = "fee-basis"
    MATERIAL_COUNT = "material-count"
    ONSITE_REASON = "onsite-reason"
    ONLINE_URL = "online-url"
    PERSONAL_DATA = "personal-data"
    HIDDEN_CHARACTERS = "hidden-characters"
    UNPRINTABLE = "unprintable"
    PROTECTED_RULE = "protected-rule"
    MISSING_CATALOGUE = "missing-catalogue"
    EMPTY_LIBRARY = "empty-library"
    TEMPLATE_PLACEHOLDER = "template-placeholder"
    GOVERNMENT_SITE = "government-site"
    CALENDAR = "calendar"


PathPart = str | int


def format_path(parts: tuple[PathPart, ...]) -> str:
    """``("materials", 2, "legal_basis")`` → ``materials[2].legal_basis``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = part
    return out


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: which rule, where, and the message to show (as ids and arguments)."""

    rule: RuleId
    severity: Severity
    file: str
    path: tuple[PathPart, ...] = ()
    message: str = ""
    hint: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    column: int | None = None
    #: True when ``path`` names a mapping key itself (unknown field, bad id), not its value.
    at_key: bool = False

    @property
    def field_path(self) -> str:
        return format_path(self.path)

    def located(self, line: int | None, column: int | None) -> Diagnostic:
        return replace(self, line=line, column=column)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line or 0, self.column or 0, self.field_path, self.rule)


def error_at(
    rule: RuleId, rel: str, path: tuple[PathPart, ...], message: str, hint: str, **args: Any
) -> Diagnostic:
    """An error at ``path`` in file ``rel``; ``at_key=True`` among ``args`` places it on the key."""
    at_key = bool(args.pop("at_key", False))
    return Diagnostic(
        rule, "error", rel, path=path, message=message, hint=hint, args=args, at_key=at_key
    )


def file_error(rule: RuleId, rel: str, message: str, hint: str, **args: Any) -> Diagnostic:
    """An error about a file as a whole (or the library's folder), placed at its first line."""
    return Diagnostic(rule, "error", rel, message=message, hint=hint, args=args, line=1, column=1)


class LevelCounts:
    """A report's ``errors`` and ``warnings``: how many of its :meth:`levels` are each."""

    __slots__ = ()

    def levels(self) -> Iterable[str]:
        """The level (``error``, ``warning``) of each problem the report holds."""
        raise NotImplementedError

    @property
    def errors(self) -> int:
        return sum(level == "error" for level in self.levels())

    @property
    def warnings(self) -> int:
        return sum(level == "warning" for level in self.levels())
