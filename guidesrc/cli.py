"""The ``guides`` command line. Only the CLI parses options, prints and picks exit codes.

Exit codes: 0 nothing wrong, 1 problems found in the library, 2 the command could not run (usage,
missing library, unreadable files). User mistakes never show a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from guidesrc import __version__
from guidesrc.errors import GuidesError
from guidesrc.i18n import _, resolve_lang, set_lang


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GuidesError as exc:
            click.echo(_("error: {message}").format(message=exc.message), err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="guides")
@click.option(
    "--lang",
    metavar="LANG",
    help="Language of messages: zh_CN (default) or en; also GUIDES_LANG.",
)
def cli(lang: str | None) -> None:
    """guidesrc: 办事指南同源管理（检查、比对、发布、核验）。"""
    set_lang(resolve_lang(lang))


@cli.command()
@click.argument("library", default=".", type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--no-cache", is_flag=True, help="Analyse every file again.")
def check(library: Path, fmt: str, strict: bool, no_cache: bool) -> None:
    """Validate a library: schema, references and content rules."""
    from guidesrc.check.engine import check_library
    from guidesrc.library import find_root
    from guidesrc.output import as_json, format_line, summary

    root = find_root(library)
    report = check_library(root, use_cache=not no_cache, strict=strict)
    if fmt == "json":
        click.echo(as_json(report))
    else:
        out = sys.stdout
        for d in report.diagnostics:
            out.write(format_line(d) + "\n")
        click.echo(summary(report), err=True)
    sys.exit(1 if report.errors else 0)


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    """Create a new library with one sample guide and empty catalogues."""
    from guidesrc.scaffold import create_library

    created = create_library(directory)
    click.echo(
        _("created library {path} ({count} files); check it with: guides check {path}").format(
            path=directory, count=len(created)
        )
    )


@cli.command(name="rules")
def list_rules() -> None:
    """List every check rule with its id and default level."""
    from guidesrc.check.rules import RULES

    for rule in RULES.values():
        click.echo(f"{rule.id:26} {_(rule.severity):8} {_(rule.title)}")


def main() -> None:
    cli(prog_name="guides")
