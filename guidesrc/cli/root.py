"""The ``guides`` command line. Only the CLI parses options, prints and picks exit codes.

Exit codes: 0 nothing wrong, 1 problems found in the library, 2 the command could not run (usage,
missing library, unreadable files). User mistakes never show a traceback.

Every command lives in a module of this package, one per command group, and is named once, in
:data:`COMMANDS`: a command's module is imported only when the command runs (or ``--help`` lists
it), so ``guides check`` does not load the ledger, the web server or the PDF renderer.
"""

from __future__ import annotations

import gc
import gettext
import importlib
import os
import sys
from typing import Any

import click

from guidesrc import __version__
from guidesrc.errors import GuidesError
from guidesrc.i18n import LOCALE_DIR, N_, _, current_lang, resolve_lang, set_lang

#: The lazy command table: each command's name and where it is defined (``module:attribute``).
COMMANDS = {
    "approve": "guidesrc.cli.approve:approve",
    "approvers": "guidesrc.cli.approvers:approvers",
    "calendar": "guidesrc.cli.calendar:calendar",
    "check": "guidesrc.cli.check:check",
    "diff": "guidesrc.cli.library:diff",
    "export": "guidesrc.cli.export:export",
    "import": "guidesrc.cli.importing:import_",
    "init": "guidesrc.cli.library:init",
    "keys": "guidesrc.cli.verify:keys",
    "kiosk": "guidesrc.cli.kiosk:kiosk",
    "log": "guidesrc.cli.log:log",
    "print": "guidesrc.cli.printing:print_group",
    "publish": "guidesrc.cli.publish:publish",
    "report": "guidesrc.cli.report:report",
    "rules": "guidesrc.cli.check:list_rules",
    "search": "guidesrc.cli.search:search",
    "serve": "guidesrc.cli.site:serve",
    "status": "guidesrc.cli.status:status",
    "verify": "guidesrc.cli.verify:verify",
    "verify-file": "guidesrc.cli.verify:verify_file",
    "where-used": "guidesrc.cli.library:where_used",
    "withdraw": "guidesrc.cli.withdraw:withdraw",
}


class _Group(click.Group):
    #: Set by :func:`main`: translate each command's help as it is loaded.
    translate_help = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, _sep, attribute = COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            gc.freeze()  # the modules just loaded live as long as the process: never scan them
            if self.translate_help:
                _translate_help(command)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GuidesError as exc:
            click.echo(_("error: {message}").format(message=exc.message), err=True)
            ctx.exit(exc.exit_code)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=N_("guidesrc: one source for service guides: check, diff, publish and verify them."),
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: _print_version(ctx) if value else None,
    help=N_("Show the version and exit."),
)
@click.option(
    "--lang",
    metavar="LANG",
    help=N_("Language of messages: zh_CN (default) or en; also set by GUIDES_LANG."),
)
def cli(lang: str | None) -> None:
    set_lang(resolve_lang(lang))


def _print_version(ctx: click.Context) -> None:
    click.echo(_("guides, version {version}").format(version=__version__))
    ctx.exit()


#: Allocations between two collections of the youngest generation (CPython's default: 700).
#: Loading a ledger's rows or a channel's state allocates millions of objects that stay alive
#: to the end of the command: with the default, a one-change publish of 10,000 guides ran
#: ~700 young and 5 full collections that freed almost nothing (≈ 0.3 s of 2.3 s).
GC_YOUNG = 50_000


def main() -> None:
    """Entry point: pick the language before click formats any help or error text."""
    gc.set_threshold(GC_YOUNG)
    set_lang(resolve_lang(_lang_from_argv(sys.argv[1:])))
    _translate_click()
    _translate_help(cli)
    try:
        cli(prog_name="guides")
    finally:
        # The command is done: what it leaves is freed as the interpreter ends, without the
        # last full collection walking it first (≈ 17 ms of a one-change publish's 41 ms exit).
        gc.freeze()


def _lang_from_argv(args: list[str]) -> str | None:
    for n, arg in enumerate(args):
        if arg == "--lang" and n + 1 < len(args):
            return args[n + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def _translate_click() -> None:
    """click's own words ("Usage:", "Error: …") come from gettext's global domain."""
    gettext.bindtextdomain("click", LOCALE_DIR)
    gettext.textdomain("click")
    os.environ["LANGUAGE"] = current_lang()


def _translate_help(command: click.Command) -> None:
    if isinstance(command, _Group):
        command.translate_help = True  # the commands not loaded yet: as they are loaded
    if command.help:
        command.help = _(command.help)
    for param in command.params:
        if isinstance(param, click.Option) and param.help:
            param.help = _(param.help)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _translate_help(sub)
