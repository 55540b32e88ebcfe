"""``guides serve``: preview the online-hall site, drafts included, on 127.0.0.1 and ::1."""

from __future__ import annotations

from pathlib import Path

import click

from guidesrc.cli.options import pass_library, port_option
from guidesrc.cli.serving import serving, start_listening
from guidesrc.i18n import N_, _
from guidesrc.site.preview import start_preview


@click.command(
    help=N_(
        "Preview the site on 127.0.0.1 and ::1: what is approved, and unapproved changes as drafts with their redline."
    )
)
@pass_library()
@port_option(8000)
def serve(library: Path, port: int) -> None:
    click.echo(_("building the preview of {path} …").format(path=library), err=True)
    preview = start_listening(lambda: start_preview(library, port), port)
    if preview.problem is not None:
        click.echo(
            _("the library has errors: the preview shows them until they are fixed"), err=True
        )
    with serving(preview):
        click.echo(
            _("serving the preview at {urls} (Ctrl-C stops)").format(urls=" ".join(preview.urls)),
            err=True,
        )
