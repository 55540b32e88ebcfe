"""``guides keys init``, ``guides verify`` and ``guides verify-file``: signing keys, and proof of
what every channel shows (docs/verify.md).

Exit codes of ``guides verify`` (for cron and monitoring): 0 every channel shows what the ledger
and the signed manifests say; 1 any finding; 2 the check could not run (no ledger, no public key,
a channel that cannot be read at all).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from guidesrc.cli.common import echo_json
from guidesrc.cli.options import flag, format_option, pass_library, repeatable
from guidesrc.errors import GuidesError
from guidesrc.i18n import N_, _
from guidesrc.services import verify as service
from guidesrc.services.library import Library, open_existing
from guidesrc.signing import KEY_ENV, KEY_FILE_ENV, key_file
from guidesrc.verify_checks import KINDS, ChannelCheck


@click.group(help=N_("Signing keys: the key pair that signs each channel's manifest."))
def keys() -> None:
    pass


@keys.command(
    name="init",
    help=N_(
        "Make a signing key pair: the private key into .guides/signing-key.pem (or GUIDES_SIGNING_KEY_FILE), the public key into keys/."
    ),
)
@pass_library(alias=True)
@flag("--force", N_("Replace the private key and retire the old public key (rotation)."))
def keys_init(library: Path, force: bool) -> None:
    root = library
    made = service.make_keys(root, force=force)
    click.echo(
        _(
            "made the key {id}: private key {private} (keep it secret, mode 0600), public key {public} (commit it)"
        ).format(id=made.id, private=made.private, public=made.public.relative_to(root)),
        err=True,
    )
    if made.retired:
        click.echo(
            _(
                "retired: {ids}; manifests they signed before now still verify. The next guides publish signs with the new key."
            ).format(ids="、".join(made.retired)),
            err=True,
        )
    if os.environ.get(KEY_ENV, "").strip():
        click.echo(
            _("note: {env} is set and takes precedence over the key file: update it too").format(
                env=KEY_ENV
            ),
            err=True,
        )


@keys.command(
    name="status", help=N_("Which private key signs the manifests, and the library's public keys.")
)
@pass_library(alias=True)
def keys_status(library: Path) -> None:
    found = service.keys(library)
    for kid, key in sorted(found.public.items()):
        state = (
            _("retired {time}").format(time=key.retired.strftime("%Y-%m-%dT%H:%M:%SZ"))
            if key.retired
            else _("active")
        )
        click.echo(f"{kid}\t{state}")
    signer = found.signer
    if signer is None:
        click.echo(
            _(
                "no private key: neither {env} nor {path} ({file_env}); guides publish writes no signed manifests, and guides verify reports them missing. Run guides keys init"
            ).format(env=KEY_ENV, path=key_file(library), file_env=KEY_FILE_ENV),
            err=True,
        )
        sys.exit(1)
    click.echo(
        _("manifests are signed with the key {id} from {source}").format(
            id=signer.id, source=signer.source
        ),
        err=True,
    )
    if not found.known:
        click.echo(
            _(
                "the key {id} is not in keys/: guides verify will refuse its signatures; add keys/{id}.pub.pem"
            ).format(id=signer.id),
            err=True,
        )
        sys.exit(1)


@click.command(
    help=N_(
        "Check what each channel shows now against the ledger and the signed manifests: missing, modified, stale, unexpected, signature. Exit 1 on any finding."
    )
)
@pass_library(open_existing)
@repeatable("--channel", "channels", "NAME", N_("Only this channel; repeatable."))
@repeatable(
    "--url",
    "urls",
    "CHANNEL=URL",
    N_("Check a file channel at its public address instead of its folder; repeatable."),
)
@format_option(["text", "json"], N_("text: one line per finding; json: for monitoring."))
def verify(library: Library, channels: tuple[str, ...], urls: tuple[str, ...], fmt: str) -> None:
    found = service.verify(library, channels=channels, urls=_addresses(urls))
    if fmt == "json":
        echo_json(found.as_dict())
    else:
        _print_text(found.checks)
    if found.failed:
        sys.exit(2)
    if not found.ok:
        sys.exit(1)


def _addresses(urls: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in urls:
        name, sep, url = item.partition("=")
        if not sep or not name or not url.startswith(("https://", "http://")):
            raise GuidesError(
                _("--url {value}: write CHANNEL=URL, e.g. site=https://zwfw.example.gov.cn").format(
                    value=item
                )
            )
        found[name] = url
    return found


def _print_text(checks: list[ChannelCheck]) -> None:
    for check in checks:
        for f in check.findings:
            click.echo(f"{f.where}: {_(KINDS[f.kind])}: {f.message} [{f.kind}]")
    for check in checks:
        if check.method == "none":
            summary = _("{channel}: not checked").format(channel=check.channel)
        elif check.method == "ledger" and not check.findings:
            summary = _("approvals: {signed} of {count} signed, every signature valid").format(
                signed=check.guides, count=check.files
            )
        elif check.findings:
            summary = _("{channel}: {count} finding(s)").format(
                channel=check.channel, count=len(check.findings)
            )
        else:
            summary = _(
                "{channel}: as signed and as the ledger says ({guides} guide(s), {files} file(s))"
            ).format(channel=check.channel, guides=check.guides, files=check.files)
        click.echo(summary, err=True)
        for note in check.notes:
            click.echo(f"  {note}", err=True)


@click.command(
    name="verify-file",
    help=N_(
        "Check one file (a downloaded page, a PDF) against a signed manifest and a public key, without a library."
    ),
)
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--manifest",
    required=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help=N_("The signed manifest (guides-manifest.json)."),
)
@click.option(
    "--key",
    required=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help=N_("The public key (PEM), e.g. guides-public-key.pem or keys/<id>.pub.pem."),
)
@click.option(
    "--signature",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help=N_("The signature (default: the manifest's name + .sig)."),
)
def verify_file(file: Path, manifest: Path, key: Path, signature: Path | None) -> None:
    result = service.check_file(file, manifest, key, signature)
    if not result.signature_ok:
        click.echo(
            _("{path}: signature invalid: the manifest is not signed by this key").format(
                path=manifest
            )
        )
        sys.exit(1)
    click.echo(
        _("{path}: signature valid (key {id}, manifest of {time})").format(
            path=manifest, id=result.key, time=result.created_at
        ),
        err=True,
    )
    if not result.matches:
        click.echo(
            _("{path}: not in the manifest: no listed file has its SHA-256 {hash}").format(
                path=file, hash=result.sha256
            )
        )
        sys.exit(1)
    click.echo(
        _("{path}: matches {listed} (SHA-256 {hash})").format(
            path=file, listed="、".join(result.matches), hash=result.sha256
        )
    )
