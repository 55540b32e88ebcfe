"""``guides approvers``: an approver's own key, and who this machine approves as."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from guidesrc.approvers import KEY_ENV
from guidesrc.cli.options import pass_library, repeatable
from guidesrc.i18n import N_, _
from guidesrc.services import approvers as service
from guidesrc.services.library import Library, open_library


@click.group(
    help=N_("Approvers: each approver's key (kept outside the library) and approvers.yaml.")
)
def approvers() -> None:
    pass


@approvers.command(
    name="key",
    help=N_(
        "Create your approver key (outside the library) and print the entry to add to approvers.yaml; with --show, print it for the key you have."
    ),
)
@click.option("--name", metavar="NAME", help=N_("Your name as the ledger records it."))
@repeatable(
    "--identity",
    "identities",
    "NAME|EMAIL",
    N_("A git identity you commit with (user.name or user.email); repeatable."),
)
@click.option("--show", is_flag=True, help=N_("Do not create a key: show the entry for yours."))
@pass_library(alias=True)
def key(name: str | None, identities: tuple[str, ...], show: bool, library: Path) -> None:
    found = service.own_key(library) if show else service.create_key(library)
    if found.created:
        click.echo(
            _("approver key written to {path} (private: only you can read it; {env})").format(
                path=found.path, env=KEY_ENV
            ),
            err=True,
        )
    lines = found.entry(name, identities, dt.datetime.now(dt.UTC))
    click.echo("\n".join(lines))
    click.echo(
        _(
            "add these lines under approvers: in approvers.yaml and have the change approved by another approver; list every git name and e-mail you commit with under identities"
        ),
        err=True,
    )


@approvers.command(
    name="whoami", help=N_("Who guides approve would record: your approvers entry or OS account.")
)
@pass_library(open_library, alias=True)
def whoami(library: Library) -> None:
    who = service.whoami(library)
    if who.key_id is None:
        click.echo(_("{name} (operating-system account; no approvers.yaml)").format(name=who.name))
    else:
        click.echo(
            _("{name} (approver key {id}; identities: {identities})").format(
                name=who.name, id=who.key_id, identities="、".join(who.person.identities) or "-"
            )
        )
