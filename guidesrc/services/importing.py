"""Import: guides from a provincial portal's export or a spreadsheet into a library, with the
import report; and the empty template to fill in."""

from __future__ import annotations

from pathlib import Path

from guidesrc.errors import GuidesError
from guidesrc.i18n import _
from guidesrc.importer.pipeline import Format, run_import
from guidesrc.importer.report import ImportReport, write_files
from guidesrc.importer.sheet_template import write_template
from guidesrc.library import STATE_DIR


def import_guides(
    source: Path,
    into: Path,
    *,
    fmt: Format | None = None,
    force: bool = False,
    name: str | None = None,
    region_code: str | None = None,
    base_url: str | None = None,
) -> ImportReport:
    """Import ``source`` into the library at ``into`` (created when it does not exist; ``name``,
    ``region_code`` and ``base_url`` go into a new library's library.yaml). ``fmt``: the
    source's format (default: from the file name); ``force``: overwrite files with uncommitted
    changes."""
    settings = {"name": name or "", "region_code": region_code or "", "base_url": base_url or ""}
    return run_import(source, into, fmt, force=force, settings=settings)


def write_report(report: ImportReport, into: Path, folder: Path | None = None) -> list[Path]:
    """Write the import report into ``folder`` (default: the library's ``.guides/import``);
    the files written, the report first."""
    folder = folder or into / STATE_DIR / "import"
    try:
        return write_files(report, folder)
    except OSError as exc:
        raise GuidesError(
            _("{file}: cannot write: {error}").format(file=folder, error=exc.strerror or exc)
        ) from exc


def template(path: Path) -> list[Path]:
    """Write an empty template (``FILE.xlsx``, or ``FILE.csv`` and its sibling sheets)."""
    return write_template(path)
