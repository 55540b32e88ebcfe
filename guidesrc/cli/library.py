"""The commands on a library's working tree: ``guides check``, ``diff``, ``where-used``, ``init`` and
``rules``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from guidesrc.cli.common import open_for_command
from guidesrc.cli.options import format_option, library_argument, library_option
from guidesrc.diff.batch import without_cycle_collection
from guidesrc.errors import GuidesError
from guidesrc.i18n import N_, _
from guidesrc.worktree import working_state

if TYPE_CHECKING:
    from guidesrc.config_changes import ConfigPending
    from guidesrc.diff.changeset import ChangeSet


@click.command(help=N_("Check a library: schema, references and content rules."))
@library_argument
@format_option(["text", "json"], N_("text: one line per problem; json: for programs."))
@click.option("--strict", is_flag=True, help=N_("Treat warnings as errors."))
@click.option("--no-cache", is_flag=True, help=N_("Analyse every file again, ignoring the cache."))
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help=N_("Processes that analyse changed files (default: one per CPU)."),
)
def check(library: Path, fmt: str, strict: bool, no_cache: bool, jobs: int | None) -> None:
    from guidesrc.check.engine import check_library
    from guidesrc.diagnostic_lines import format_line
    from guidesrc.library import find_root
    from guidesrc.output import as_json, summary

    root = find_root(library)
    report = check_library(root, use_cache=not no_cache, strict=strict, jobs=jobs)
    if fmt == "json":
        click.echo(as_json(report))
    else:
        out = sys.stdout
        for d in report.diagnostics:
            out.write(format_line(d) + "\n")
        click.echo(summary(report), err=True)
    sys.exit(1 if report.errors else 0)


@click.command(help=N_("Show what changed in the guides, field by field, with the change notices."))
@library_argument
@click.option("--base", metavar="REV", help=N_("Git revision to compare from (default: HEAD)."))
@click.option(
    "--head", metavar="REV", help=N_("Git revision to compare to (default: the working tree).")
)
@format_option(
    ["terminal", "json", "markdown"],
    N_("terminal: coloured, per guide; json: the change set; markdown: for a merge request."),
)
@click.option(
    "--exit-code",
    is_flag=True,
    help=N_("Exit with 1 when anything changed, like git diff --exit-code."),
)
@click.option(
    "--published",
    is_flag=True,
    help=N_(
        "Compare the working tree with what is approved in the ledger (what guides approve would record)."
    ),
)
@click.option(
    "--color/--no-color",
    default=None,
    help=N_("Colour the terminal output (default: when it is a terminal)."),
)
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
    from guidesrc.check.engine import code_fingerprint
    from guidesrc.diff.changeset import change_set
    from guidesrc.library import STATE_DIR, find_root
    from guidesrc.parsecache import ParseCache
    from guidesrc.state import GitTree, WorkingTree, load_state

    root = find_root(library)
    if published:
        if base or head:
            raise GuidesError(
                _(
                    "--published compares the working tree with the ledger: it takes no --base or --head"
                )
            )
        changes, config = _published_changes(root)
        _show_changes(changes, fmt, color, config)
        sys.exit(1 if exit_code and (changes or config.changed) else 0)
    base_tree = GitTree(root, base or "HEAD")
    head_tree = GitTree(root, head) if head else WorkingTree(root, label=_("working tree"))
    cache = ParseCache(root / STATE_DIR, code_fingerprint())
    old = load_state(base_tree, cache)
    new = load_state(head_tree, cache, like=old)  # unchanged catalogues are parsed once
    policy = new.config.change_policy if new.config else None
    changes = change_set(old, new, policy)
    cache.flush()
    _show_changes(changes, fmt, color)
    sys.exit(1 if exit_code and changes else 0)


def _show_changes(
    changes: ChangeSet, fmt: str, color: bool | None, config: ConfigPending | None = None
) -> None:
    """The guides' changes, then the configuration's (when it changed)."""
    import orjson

    from guidesrc import config_changes
    from guidesrc.diff import render

    if config is not None and not config.changed:
        config = None
    if fmt == "json":
        text = render.as_json(changes)
        if config is not None:
            body = orjson.loads(text) | {"config": config.as_dict()}
            text = orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
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


def _published_changes(root: Path) -> tuple[ChangeSet, ConfigPending]:
    """The pending changes: the working tree against the latest approved versions, and the
    configuration files against the approved configuration."""
    from guidesrc.approve import pending_changes

    state, cache = working_state(root)
    policy = state.config.change_policy if state.config else None
    pending = pending_changes(state, open_for_command(root), policy=policy)
    cache.flush()
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
@library_option
def where_used(entry: str, library: Path) -> None:
    from guidesrc.check.engine import library_facts
    from guidesrc.check.library_rules import where_used as find
    from guidesrc.library import find_root

    facts = library_facts(find_root(library))
    kinds, guides = find(facts, entry)
    if not kinds:
        raise GuidesError(_('"{id}" is not in any catalogue').format(id=entry))
    for rel, name in guides:
        click.echo(f"{rel}\t{name}")
    click.echo(_("{count} guide(s) use {id}").format(count=len(guides), id=entry), err=True)


@click.command(help=N_("Create a new library with a sample guide and its catalogues."))
@click.argument("directory", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    from guidesrc.scaffold import create_library

    created = create_library(directory)
    click.echo(
        _("created library {path} ({count} files); check it with: guides check {path}").format(
            path=directory, count=len(created)
        )
    )


@click.command(name="rules", help=N_("List every check rule with its id and default level."))
def list_rules() -> None:
    from guidesrc.check.rules import RULES, SEVERITY_NAMES

    for rule in RULES.values():
        click.echo(f"{rule.id:26} {_(SEVERITY_NAMES[rule.severity]):8} {_(rule.title)}")
