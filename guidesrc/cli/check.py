"""``guides check`` and ``guides rules``: a library's schema, references and content rules.

This module imports neither the ledger nor the web server nor the PDF renderer: ``guides check``
runs in editors' hooks and CI, where each command's start-up time counts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from guidesrc.check.engine import check_library
from guidesrc.check.rules import RULES, SEVERITY_NAMES
from guidesrc.cli.options import format_option, pass_library
from guidesrc.cli.year_end import warn_year_end
from guidesrc.diagnostic_lines import format_line
from guidesrc.i18n import N_, _
from guidesrc.output import as_json, summary


@click.command(help=N_("Check a library: schema, references and content rules."))
@pass_library()
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
    report = check_library(library, use_cache=not no_cache, strict=strict, jobs=jobs)
    if fmt == "json":
        click.echo(as_json(report))
    else:
        out = sys.stdout
        for d in report.diagnostics:
            out.write(format_line(d) + "\n")
        click.echo(summary(report), err=True)
        warn_year_end(library)
    sys.exit(1 if report.errors else 0)


@click.command(name="rules", help=N_("List every check rule with its id and default level."))
def list_rules() -> None:
    for rule in RULES.values():
        click.echo(f"{rule.id:26} {_(SEVERITY_NAMES[rule.severity]):8} {_(rule.title)}")
