"""The commands on a library's working tree: ``guides diff``, ``where-used`` and ``init``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from guidesrc import config_changes
from guidesrc.check.findings import today_in
from guidesrc.cli.options import color_option, flag, format_option, pass_library
from guidesrc.config_changes import ConfigPending
from guidesrc.diff import effective, render
from guidesrc.diff.batch import without_cycle_collection
from guidesrc.diff.changeset import ChangeSet
from guidesrc.errors import GuidesError
from guidesrc.i18n import N_, _
from guidesrc.scaffold import create_library
from guidesrc.services import approve, tree
from guidesrc.services.library import open_library
from guidesrc.workdays import read_config


@click.command(help=N_("Show what changed in the guides, field by field, with the change notices."))
@pass_library()
@click.option("--base", metavar="REV", help=N_("Git revision to compare from (default: HEAD)."))
@click.option(
    "--head", metavar="REV", help=N_("Git revision to compare to (default: the working tree).")
)
@format_option(
    ["terminal", "json", "markdown"],
    N_("terminal: coloured, per guide; json: the change set; markdown: for a merge request."),
)
@flag("--exit-code", N_("Exit with 1 when anything changed, like git diff --exit-code."))
@flag(
    "--published",
    N_(
        "Compare the working tree with what is approved in the ledger (what guides approve would record)."
    ),
)
@color_option(N_("Colour the terminal output (default: when it is a terminal)."))
@without_cycle_collection()
def diff(
    library: Path,
    base: str | None,
    head: str | None,
    fmt: str,
    exit_code: bool,
    published: bool,
    color: bool | None,
) -> None:
    if published:
        if base or head:
            raise GuidesError(
                _(
                    "--published compares the working tree with the ledger: it takes no --base or --head"
                )
            )
        changes, config = _published_changes(library)
        _preview_dates(changes, library)
        _show_changes(changes, fmt, color, config)
        sys.exit(1 if exit_code and (changes or config.changed) else 0)
    changes = tree.changes(library, base=base, head=head)
    _preview_dates(changes, library)
    _show_changes(changes, fmt, color)
    sys.exit(1 if exit_code and changes else 0)


def _show_changes(
    changes: ChangeSet, fmt: str, color: bool | None, config: ConfigPending | None = None
) -> None:
    """The guides' changes, then the configuration's (when it changed)."""
    if config is not None and not config.changed:
        config = None
    if fmt == "json":
        text = render.as_json(changes)
        if config is not None:
            text = orjson.dumps(
                orjson.loads(text) | {"config": config.as_dict()}, option=orjson.OPT_INDENT_2
            ).decode()
        click.echo(text)
    elif fmt == "markdown":
        lines = config_changes.markdown_lines(config) if config is not None else []
        if changes or not lines:
            click.echo(render.markdown(changes), nl=False)
        click.echo("".join(f"{line}\n" for line in lines), nl=False)
    else:
        use_color = sys.stdout.isatty() if color is None else color
        lines = config_changes.text_lines(config) if config is not None else []
        if changes or not lines:
            click.echo(render.terminal(changes, use_color), nl=False, color=use_color)
        click.echo("".join(f"{line}\n" for line in lines), nl=False)


def _preview_dates(changes: ChangeSet, library: Path) -> None:
    """Date each notice as ``guides approve`` without --effective would, approving today
    (guidesrc.diff.effective): the file's date, today for a past date kept from the version in
    force; a new past date stays, marked as one approval refuses."""
    try:
        today = today_in(read_config(library).timezone)
    except GuidesError:
        today = today_in(None)
    effective.assign(changes, today)


def _published_changes(start: Path) -> tuple[ChangeSet, ConfigPending]:
    """The pending changes: the working tree against the latest approved versions, and the
    configuration files against the approved configuration."""
    with open_library(start) as library:
        pending = approve.pending(library)
    assert pending.config is not None
    if pending:
        click.echo(
            _(
                "change set {id}: approve exactly these changes with guides approve --change-set {id}"
            ).format(id=pending.id),
            err=True,
        )
    return pending.changes, pending.config


@click.command(name="where-used", help=N_("List the guides that use a catalogue entry."))
@click.argument("entry")
@pass_library(alias=True)
def where_used(entry: str, library: Path) -> None:
    guides = tree.where_used(library, entry)
    for rel, name in guides:
        click.echo(f"{rel}\t{name}")
    click.echo(_("{count} guide(s) use {id}").format(count=len(guides), id=entry), err=True)


@click.command(help=N_("Create a new library with a sample guide and its catalogues."))
@click.argument("directory", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    created = create_library(directory, today_in("Asia/Shanghai"))  # the skeleton's time zone
    click.echo(
        _("created library {path} ({count} files); check it with: guides check {path}").format(
            path=directory, count=len(created)
        )
    )
