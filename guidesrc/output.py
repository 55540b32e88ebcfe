"""Rendering diagnostics for people (one line each) and for machines (JSON)."""

from __future__ import annotations

import json
from typing import Any

from guidesrc.check.engine import CheckReport
from guidesrc.diagnostic_lines import message_of
from guidesrc.i18n import _


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
