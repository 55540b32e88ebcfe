"""Rendering diagnostics for people (one line each) and for machines (JSON)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from guidesrc.check.engine import CheckReport
from guidesrc.diagnostics import Diagnostic
from guidesrc.i18n import _

if TYPE_CHECKING:
    from guidesrc.yamlio import Source

#: Arguments that are themselves message ids (and may use the other arguments).
_TRANSLATED_ARGS = ("found", "kind")


def message_of(d: Diagnostic) -> tuple[str, str]:
    """The translated message and fix hint of a diagnostic."""
    args = dict(d.args)
    for key in _TRANSLATED_ARGS:
        if isinstance(args.get(key), str):
            args[key] = _(args[key]).format(**d.args)
    return _(d.message).format(**args), _(d.hint).format(**args) if d.hint else ""


def format_line(d: Diagnostic) -> str:
    """``file:line:col: field.path: message（修改建议：hint）[rule]``"""
    message, hint = message_of(d)
    where = f"{d.file}:{d.line or 1}:{d.column or 1}: "
    if d.path:
        where += f"{d.field_path}: "
    if d.severity == "warning":
        message = _("warning: {message}").format(message=message)
    if hint:
        message = _("{message} (fix: {hint})").format(message=message, hint=hint)
    return f"{where}{message} [{d.rule}]"


def summary(report: CheckReport) -> str:
    return _(
        "checked {guides} guides in {files} files: {errors} errors, {warnings} warnings"
    ).format(
        guides=report.guides, files=report.files, errors=report.errors, warnings=report.warnings
    )


def as_json(report: CheckReport) -> str:
    items: list[dict[str, Any]] = []
    for d in report.diagnostics:
        message, hint = message_of(d)
        items.append(
            {
                "file": d.file,
                "line": d.line,
                "column": d.column,
                "path": d.field_path,
                "rule": d.rule,
                "severity": d.severity,
                "message": message,
                "hint": hint,
            }
        )
    body = {
        "guides": report.guides,
        "files": report.files,
        "errors": report.errors,
        "warnings": report.warnings,
        "diagnostics": items,
    }
    return json.dumps(body, ensure_ascii=False, indent=2)


def located_lines(source: Source, problems: list[Diagnostic]) -> str:
    """Problems of one file as `guides check` prints them, located in it: ``file:line:col: …``."""
    from guidesrc import yamlio

    tree = yamlio.compose(source.text) if source.text is not None else None
    located = [
        d if d.line is not None else d.located(*yamlio.locate(tree, d.path, d.at_key))
        for d in problems
    ]
    return "\n".join(format_line(d) for d in sorted(located, key=Diagnostic.sort_key))
