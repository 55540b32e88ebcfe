"""The import pipeline (see :mod:`guidesrc.importer`): find the file, know its format, read it,
merge it into the library, write it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from guidesrc.errors import GuidesError, ImportRefusedError
from guidesrc.i18n import N_, _
from guidesrc.importer import apply, gdzwfw, sheet
from guidesrc.importer.catalogues import KINDS, CatalogueBuilder
from guidesrc.importer.records import Item, Problem, ReadResult
from guidesrc.importer.report import ImportReport
from guidesrc.importer.sheet_columns import SHEETS

Format = Literal["gdzwfw-json", "csv", "xlsx"]
FORMATS: dict[str, Format] = {
    ".jsonl": "gdzwfw-json", ".json": "gdzwfw-json", ".csv": "csv", ".xlsx": "xlsx",
}  # fmt: skip


def detect_format(source: Path) -> Format:
    found = FORMATS.get(source.suffix.lower())
    if found is None:
        raise GuidesError(
            _("{file}: unknown file type; give --format gdzwfw-json, csv or xlsx").format(
                file=source
            )
        )
    return found


def main_file(folder: Path) -> Path:
    """The file to import from a folder: the one ``.xlsx`` workbook, or the items' CSV file of a
    set saved as documented (指南.csv beside 指南-申请材料.csv …), or the one ``.jsonl`` export."""
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))
    )
    sheets = tuple(f"-{name}" for name in SHEETS[1:])
    candidates = [p for p in files if p.suffix.lower() == ".csv" and not p.stem.endswith(sheets)]
    for suffix in (".xlsx", ".jsonl", ".json"):
        if not candidates:
            candidates = [p for p in files if p.suffix.lower() == suffix]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise GuidesError(
            _("{file}: the folder holds no file to import (.csv, .xlsx or .jsonl)").format(
                file=folder
            )
        )
    raise GuidesError(
        _("{file}: the folder holds {count} files to import ({names}); give one of them").format(
            file=folder, count=len(candidates), names="、".join(p.name for p in candidates)
        )
    )


def read_source(source: Path, fmt: Format) -> ReadResult:
    if not source.is_file():
        raise GuidesError(_("{file}: no such file").format(file=source))
    if fmt == "gdzwfw-json":
        return gdzwfw.read(source)
    return sheet.read(source, fmt)


def run_import(
    source: Path,
    into: Path,
    fmt: Format | None = None,
    *,
    force: bool = False,
    settings: dict[str, str] | None = None,
) -> ImportReport:
    """Import ``source`` into the library ``into``. ``settings`` (name, region_code, base_url)
    go into the library.yaml of a new library; an existing library's are edited there."""
    if source.is_dir():
        source = main_file(source)
    fmt = fmt or detect_format(source)
    read = read_source(source, fmt)
    items = _unique(read.items, read.problems)
    settings = {k: v for k, v in (settings or {}).items() if v}
    _check_settings(settings)
    existing = apply.load_existing(into)
    if settings and not existing.is_new:
        raise GuidesError(
            _(
                "{path}: the library exists; --name, --region-code and --base-url are for a new library (edit library.yaml)"
            ).format(path=into)
        )
    builder = CatalogueBuilder(existing.catalogues)
    planned = apply.plan(existing, items, builder)
    report = ImportReport(
        source=source.name, library=str(into), rows=read.rows, problems=read.problems,
        added=planned.added, updated=planned.updated, unchanged=planned.unchanged,
        guides=planned.guides,
    )  # fmt: skip
    for kind in KINDS:
        report.new_entries[kind] = len(builder.added[kind])
        report.catalogue_gaps[kind] = sum(
            bool(builder.entries[kind][i].get("pending")) for i in builder.added[kind]
        )
    if not existing.is_new and not force:
        dirty = apply.uncommitted(into, sorted(planned.files))
        if dirty:
            raise ImportRefusedError(
                _(
                    "{count} file(s) to be updated have uncommitted changes, e.g. {file}; commit them first, or use --force"
                ).format(count=len(dirty), file=dirty[0])
            )
    if planned.files or existing.is_new:
        if read.region_code and "region_code" not in settings:
            settings["region_code"] = read.region_code
        apply.write(existing, planned.files, settings)
    report.written = True
    return report


def _check_settings(settings: dict[str, str]) -> None:
    if "region_code" in settings and not re.fullmatch(r"\d{6}", settings["region_code"]):
        raise GuidesError(
            _('--region-code "{value}": write the 6-digit administrative division code, e.g. 220100').format(
                value=settings["region_code"]
            )
        )  # fmt: skip
    if "base_url" in settings and not re.fullmatch(r"https?://[^\s]+", settings["base_url"]):
        raise GuidesError(
            _('--base-url "{value}": write the address of the guides on the online hall, starting with https://').format(
                value=settings["base_url"]
            )
        )  # fmt: skip


def _unique(items: list[Item], problems: list[Problem]) -> list[Item]:
    """The first row of each 实施编码; each later one is an error that names the first."""
    first: dict[str, Item] = {}
    out = []
    for item in items:
        if item.code in first:
            seen = first[item.code]
            problems.append(
                Problem(
                    item.source, item.line, N_("implementation code"),
                    N_("the implementation code {code} is also on line {line}; this row was not imported"),
                    N_("each item has its own code: correct it, or delete the duplicate row"),
                    args={"code": item.code, "line": seen.line},
                )
            )  # fmt: skip
            continue
        first[item.code] = item
        out.append(item)
    return out
