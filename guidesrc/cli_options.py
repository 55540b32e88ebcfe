"""Options shared by the ``guides`` commands, written once."""

from __future__ import annotations

from pathlib import Path

import click

from guidesrc.i18n import N_

#: ``--library DIR`` for commands whose argument is something else (an entry, a guide, a token).
library_option = click.option(
    "--library",
    default=".",
    type=click.Path(path_type=Path),
    help=N_("The library (default: here)."),
)

#: ``[LIBRARY]`` for commands that act on a library as a whole.
library_argument = click.argument("library", default=".", type=click.Path(path_type=Path))
