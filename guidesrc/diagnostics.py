"""Problems found in library content, and how they are shown.

A :class:`Diagnostic` holds message ids and arguments, not translated text, so a cached result can
be shown in any language; :func:`format_line` renders the one-line form editors read::

    guides/hukou-qianru.yaml:23:7: materials[2].legal_basis: 申请材料缺少有效的设定依据 …（修改建议：…）
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

Severity = Literal["error", "warning"]

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

    rule: str
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
