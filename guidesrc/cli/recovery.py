"""The CLI side of signing alerts: ``guides publish --rebuild CHANNEL`` and the lines that
``guides publish`` and ``guides status`` print for channels not signed (:mod:`guidesrc.signing_alerts`, :mod:`guidesrc.recovery`)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from guidesrc.cli.common import open_for_command
from guidesrc.i18n import _


def echo_refused(refused: dict[str, Any], adapters: dict[str, Any]) -> None:
    """After a publish: a line per channel not signed (stderr)."""
    from guidesrc.manifest import channel_folder
    from guidesrc.signing_alerts import findings_text

    for channel, findings in sorted(refused.items()):
        folder = channel_folder(adapters[channel])
        click.echo(findings_text(channel, str(folder), findings), err=True)


def run_rebuild(root: Path, adapters: dict[str, Any], channel: str, wait: bool) -> None:
    """``guides publish --rebuild CHANNEL``: exit 0 when the channel is rewritten and signed."""
    from guidesrc.recovery import rebuild_channel

    ledger = open_for_command(root)
    result = rebuild_channel(ledger, adapters, channel, dt.datetime.now(dt.UTC), wait)
    if result is None:
        click.echo(
            _(
                "another guides publish is running; this one stops without publishing (use --wait to wait for it)"
            ),
            err=True,
        )
        sys.exit(1)
    for line in result.failed:
        click.echo(_("failed\t{error}").format(error=line))
    if result.quarantined is not None:
        click.echo(
            _(
                "{channel}: the old folder was moved to {path} (not served; inspect it, then delete it)"
            ).format(channel=channel, path=result.quarantined),
            err=True,
        )
    signed = result.signed
    if signed is None:
        click.echo(
            _(
                "{channel}: rewritten from the ledger ({count} deliveries); not signed (no signing key)"
            ).format(channel=channel, count=result.delivered),
            err=True,
        )
    elif signed.refused:
        echo_refused({channel: list(signed.findings)}, adapters)
    else:
        click.echo(
            _(
                "{channel}: rewritten from the ledger ({count} deliveries) and signed ({files} files)"
            ).format(channel=channel, count=result.delivered, files=signed.files),
            err=True,
        )
    if result.failed or signed is None or signed.refused:
        sys.exit(1)
