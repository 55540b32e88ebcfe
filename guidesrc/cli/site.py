"""``guides serve``: preview the online-hall site, drafts included, on 127.0.0.1 and ::1."""

from __future__ import annotations

from pathlib import Path

import click

from guidesrc.cli.common import start_listening
from guidesrc.cli.options import library_argument
from guidesrc.i18n import N_, _


@click.command(
    help=N_(
        "Preview the site on 127.0.0.1 and ::1: what is approved, and unapproved changes as drafts with their redline."
    )
)
@library_argument
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help=N_("Port to listen on (0: any free port)."),
)
def serve(library: Path, port: int) -> None:
    from guidesrc.library import find_root
    from guidesrc.site.preview import start_preview
    from guidesrc.web.server import wait_for_stop

    root = find_root(library)
    click.echo(_("building the preview of {path} …").format(path=root), err=True)
    preview = start_listening(lambda: start_preview(root, port), port)
    if preview.problem is not None:
        click.echo(
            _("the library has errors: the preview shows them until they are fixed"), err=True
        )
    try:
        preview.serve()
        click.echo(
            _("serving the preview at {urls} (Ctrl-C stops)").format(urls=" ".join(preview.urls)),
            err=True,
        )
        wait_for_stop()  # Ctrl-C or SIGTERM
    finally:
        preview.close()
