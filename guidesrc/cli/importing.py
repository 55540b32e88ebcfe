"""`guides import`: guides from a provincial portal's export or a spreadsheet into a library.

Exit codes: 0 imported, no row had an error; 1 imported, some rows had errors (listed, not
imported); 2 nothing imported (no such file, unknown format, uncommitted changes without --force).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from guidesrc.cli.options import flag, text_option
from guidesrc.errors import GuidesError
from guidesrc.i18n import N_, _
from guidesrc.importer.pipeline import Format
from guidesrc.importer.report import summary
from guidesrc.services import importing as service


@click.command(
    name="import",
    help=N_(
        "Import guides from a provincial portal's JSON export (gdzwfw) or a CSV/XLSX sheet; what the source lacks is marked 待补充."
    ),
)
@click.argument("source", type=click.Path(path_type=Path), required=False)
@click.option(
    "--into",
    "into",
    default=".",
    type=click.Path(path_type=Path),
    show_default=True,
    help=N_("The library to import into; created when it does not exist."),
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["gdzwfw-json", "csv", "xlsx"]),
    default=None,
    help=N_("The source's format (default: from the file name: .jsonl/.json, .csv, .xlsx)."),
)
@flag("--force", N_("Overwrite files that have uncommitted changes in git."))
@click.option(
    "--template",
    type=click.Path(path_type=Path),
    default=None,
    help=N_(
        "Write an empty template to fill in (FILE.xlsx, or FILE.csv and its sibling sheets) and exit."
    ),
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(path_type=Path),
    default=None,
    help=N_("Folder for the import report (default: the library's .guides/import/)."),
)
@text_option("--name", N_("A new library's name, e.g. 长春市政务服务中心办事指南库."))
@click.option(
    "--region-code", default=None, metavar="CODE",
    help=N_("A new library's 6-digit administrative division code (GB/T 2260), e.g. 220100."),
)  # fmt: skip
@click.option(
    "--base-url", default=None, metavar="URL",
    help=N_("A new library's address of the guides on the online hall (pages and QR codes)."),
)  # fmt: skip
def import_(
    source: Path | None,
    into: Path,
    fmt: Format | None,
    force: bool,
    template: Path | None,
    report_dir: Path | None,
    name: str | None,
    region_code: str | None,
    base_url: str | None,
) -> None:
    if template is not None:
        for path in service.template(template):
            click.echo(_("wrote {file}").format(file=path))
        return
    if source is None:
        raise GuidesError(_("give the file to import, or --template FILE to get a template"))
    report = service.import_guides(
        source, into, fmt=fmt, force=force, name=name, region_code=region_code, base_url=base_url
    )
    out = sys.stdout
    for problem in report.problems:
        out.write(problem.text() + "\n")
    written = service.write_report(report, into, report_dir)
    click.echo(summary(report), err=True)
    click.echo(
        _("report: {file}; check the guides with: guides check {library}").format(
            file=written[0], library=into
        ),
        err=True,
    )
    sys.exit(1 if report.errors else 0)
