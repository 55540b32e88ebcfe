"""The import report: rows read and imported, coverage per field, the guides with most gaps.

Shown after `guides import` and written, in Chinese, as Markdown (``import-report.md``) and CSV
(``import-coverage.csv``, ``import-gaps.csv``, ``import-problems.csv``) for the editors' worklist.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guidesrc.diagnostics import LevelCounts
from guidesrc.i18n import _
from guidesrc.importer.records import Problem
from guidesrc.model.codes import field_title
from guidesrc.model.guide import Guide

#: The GB/T 39046 elements a guide is measured on (the guide's fields, without tool fields).
ELEMENTS = [name for name in Guide.model_fields if name not in ("pending", "id", "version")]
TOP_GAPS = 20


@dataclass(slots=True)
class ImportReport(LevelCounts):
    source: str
    library: str
    rows: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    guides: dict[str, dict[str, Any]] = field(default_factory=dict)  # rel → data imported
    new_entries: dict[str, int] = field(default_factory=dict)  # catalogue → entries added
    catalogue_gaps: dict[str, int] = field(default_factory=dict)  # catalogue → entries pending
    written: bool = False

    def levels(self) -> Iterator[str]:
        return (p.level for p in self.problems)

    def coverage(self) -> list[tuple[str, str, int, int, int]]:
        """(field, title, filled, pending, empty) for each element, over the imported guides."""
        out = []
        for name in ELEMENTS:
            filled = pending = 0
            for data in self.guides.values():
                value = data.get(name)
                if name in data.get("pending", ()) or (
                    isinstance(value, dict) and value.get("pending")
                ):  # 实施主体 without its name or code, 收费 not known: not filled
                    pending += 1
                elif data.get(name) not in (None, "", [], {}):
                    filled += 1
            empty = len(self.guides) - filled - pending
            out.append((name, field_title(name), filled, pending, empty))
        return out

    def gaps(self) -> list[tuple[str, str, int]]:
        """(file, name, number of 待补充 fields, nested ones included), most first."""
        rows = [
            (rel, str(data.get("name", "")), count_gaps(data)) for rel, data in self.guides.items()
        ]
        return sorted((r for r in rows if r[2]), key=lambda r: (-r[2], r[0]))


def count_gaps(node: Any) -> int:
    if isinstance(node, dict):
        own = node.get("pending")
        return (len(own) if isinstance(own, list) else 0) + sum(
            count_gaps(v) for k, v in node.items() if k != "pending"
        )
    if isinstance(node, list):
        return sum(count_gaps(v) for v in node)
    return 0


def summary(report: ImportReport) -> str:
    text = _(
        "{rows} row(s) read from {source}: {added} guide(s) added, {updated} updated, "
        "{unchanged} unchanged; {errors} error(s), {warnings} warning(s)"
    ).format(
        rows=report.rows, source=report.source, added=len(report.added),
        updated=len(report.updated), unchanged=len(report.unchanged),
        errors=report.errors, warnings=report.warnings,
    )  # fmt: skip
    return text


def markdown(report: ImportReport) -> str:
    total = len(report.guides) or 1
    lines = [
        _("# Import report"),
        "",
        summary(report),
        "",
        _("Library: {library}").format(library=report.library),
        "",
        _("## Coverage per field"),
        "",
        _("| field | title | filled | 待补充 | empty | filled % |"),
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, title, filled, pending, empty in report.coverage():
        lines.append(
            f"| `{name}` | {title} | {filled} | {pending} | {empty} | {100 * filled / total:.1f} |"
        )
    lines += [
        "",
        _("## Catalogues"),
        "",
        _("| catalogue | new entries | with 待补充 |"),
        "|---|---:|---:|",
    ]
    for kind, count in report.new_entries.items():
        lines.append(f"| {kind} | {count} | {report.catalogue_gaps.get(kind, 0)} |")
    lines += [
        "",
        _("## Guides with most gaps (待补充)"),
        "",
        _("| guide | name | gaps |"),
        "|---|---|---:|",
    ]
    for rel, name, gaps in report.gaps()[:TOP_GAPS]:
        lines.append(f"| `{rel}` | {name} | {gaps} |")
    lines += ["", _("## Problems"), ""]
    lines += [f"- {p.text()}" for p in report.problems] or [_("None.")]
    return "\n".join(lines) + "\n"


def _csv(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return "\ufeff" + buffer.getvalue()  # with a BOM, so that spreadsheet programs read UTF-8


def write_files(report: ImportReport, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "import-report.md": markdown(report),
        "import-coverage.csv": _csv(
            [["字段", "名称", "已填", "待补充", "空", "已填比例"]]
            + [
                [n, t, f, p, e, f"{100 * f / (len(report.guides) or 1):.1f}"]
                for n, t, f, p, e in report.coverage()
            ]
        ),
        "import-gaps.csv": _csv(
            [["文件", "事项名称", "待补充项数"]] + [list(g) for g in report.gaps()]
        ),
        "import-problems.csv": _csv(
            [["来源", "行", "字段", "级别", "说明"]]
            + [[p.source, p.line, _(p.element), p.level, p.text()] for p in report.problems]
        ),
    }
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
