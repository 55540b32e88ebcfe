"""``guides approvers``: an approver's own key, and who this machine approves as."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from guidesrc.cli.common import open_for_command
from guidesrc.cli.options import library_option
from guidesrc.errors import ApprovalError
from guidesrc.i18n import N_, _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


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
@click.option(
    "--identity",
    "identities",
    multiple=True,
    metavar="NAME|EMAIL",
    help=N_("A git identity you commit with (user.name or user.email); repeatable."),
)
@click.option("--show", is_flag=True, help=N_("Do not create a key: show the entry for yours."))
@library_option
def key(name: str | None, identities: tuple[str, ...], show: bool, library: Path) -> None:
    from guidesrc.approvers import KEY_ENV, key_path, public_key_text, read_private_key
    from guidesrc.identity import display_name
    from guidesrc.library import find_root

    root = find_root(library)
    path = key_path()
    if show:
        private = read_private_key(root)
    else:
        private = _create(root, path)
        click.echo(
            _("approver key written to {path} (private: only you can read it; {env})").format(
                path=path, env=KEY_ENV
            ),
            err=True,
        )
    who = display_name(name) if name else _("YOUR NAME")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f"  - name: {who}",
        f"    key: {public_key_text(private.public_key())}",
        "    identities: [" + ", ".join(display_name(i) for i in identities) + "]",
        f"    since: {stamp}",
    ]
    click.echo("\n".join(lines))
    click.echo(
        _(
            "add these lines under approvers: in approvers.yaml and have the change approved by another approver; list every git name and e-mail you commit with under identities"
        ),
        err=True,
    )


def _create(root: Path, path: Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from guidesrc.approvers import DEFAULT_KEY, KEY_ENV, read_private_key

    if path.resolve().is_relative_to(root.resolve()):
        raise ApprovalError(
            _(
                "{path}: the approver key is inside the library, where others can read or commit it; move it outside (default {default}) and set {env}"
            ).format(path=path, default=DEFAULT_KEY, env=KEY_ENV)
        )
    if path.exists():
        raise ApprovalError(
            _(
                "{path} exists: you have an approver key already; show its entry with guides approvers key --show"
            ).format(path=path)
        )
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return read_private_key(root)


@approvers.command(
    name="whoami", help=N_("Who guides approve would record: your approvers entry or OS account.")
)
@library_option
def whoami(library: Path) -> None:
    from guidesrc.approvers import current_approver
    from guidesrc.library import find_root

    root = find_root(library)
    who = current_approver(root, dt.datetime.now(dt.UTC), open_for_command(root))
    if who.key_id is None:
        click.echo(_("{name} (operating-system account; no approvers.yaml)").format(name=who.name))
    else:
        click.echo(
            _("{name} (approver key {id}; identities: {identities})").format(
                name=who.name, id=who.key_id, identities="、".join(who.person.identities) or "-"
            )
        )
