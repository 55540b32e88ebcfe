"""`guides export --format xlsx`: the library in the import template, for editors in WPS/Excel."""

from __future__ import annotations

from pathlib import Path

import click

from guidesrc.cli.options import pass_library
from guidesrc.i18n import N_, _
from guidesrc.importer.export import export_xlsx


@click.command(
    name="export",
    help=N_(
        "Write the library's guides (or one department's) in the import template (XLSX): edit them in WPS or Excel and bring the edits back with guides import."
    ),
)
@pass_library(Path)  # the folder as given: export says when it is not a library
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx"]), default="xlsx", show_default=True,
    help=N_("The file format."),
)  # fmt: skip
@click.option(
    "--department", metavar="NAME", default=None,
    help=N_("Only the guides of this implementing body (实施主体, its full name)."),
)  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), default=None,
    help=N_("The file to write (default: 指南.xlsx, or <department>.xlsx, here)."),
)  # fmt: skip
def export(library: Path, fmt: str, department: str | None, output: Path | None) -> None:
    target = output or Path(f"{department or '指南'}.xlsx")
    count = export_xlsx(library, target, department)
    click.echo(
        _("wrote {count} guide(s) to {file}; edit it and import it with: guides import {file} --into {library}").format(
            count=count, file=target, library=library
        )
    )  # fmt: skip
