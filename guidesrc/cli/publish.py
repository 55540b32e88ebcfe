"""``guides publish``: deliver the approved versions to every channel."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from guidesrc.cli.common import (
    ACTIONS,
    configuration_in_force,
    deadline_function,
    open_for_command,
)
from guidesrc.cli.options import (
    library_argument,
)
from guidesrc.cli.recovery import echo_refused, run_rebuild
from guidesrc.errors import ChannelError, SigningKeyError
from guidesrc.i18n import N_, _

if TYPE_CHECKING:
    from guidesrc.publisher import Outcome


@click.command(
    help=N_("Deliver every approved version not yet delivered to every channel (run it from cron).")
)
@library_argument
@click.option(
    "--wait", is_flag=True, help=N_("If another publisher runs, wait for it instead of exiting.")
)
@click.option(
    "--retry-now",
    is_flag=True,
    help=N_("Retry failed deliveries now, without waiting out the backoff."),
)
@click.option(
    "--rebuild",
    metavar="CHANNEL",
    help=N_(
        "Rewrite a file channel from the ledger's approved versions and sign it (after files were planted or changed in its folder); the old folder is kept under .guides/quarantine."
    ),
)
def publish(library: Path, wait: bool, retry_now: bool, rebuild: str | None) -> None:
    from guidesrc.library import find_root
    from guidesrc.publisher import channel_adapters
    from guidesrc.publisher import publish as run

    root = find_root(library)
    ledger = open_for_command(root)
    settings = configuration_in_force(root, ledger, warn=True)
    adapters = channel_adapters(root, settings.config, settings.library_yaml())
    if not adapters:
        raise ChannelError(
            _(
                "library.yaml: channels: no channel is configured, so there is nowhere to publish; add one, e.g. a directory channel (see README)"
            )
        )
    if rebuild is not None:
        return run_rebuild(root, adapters, rebuild, wait)
    report = run(
        ledger,
        adapters,
        deadline_for=deadline_function(settings),
        timezone=settings.config.timezone,
        wait=wait,
        retry_now=retry_now,
    )
    if report.locked_out:
        click.echo(
            _(
                "another guides publish is running; this one stops without publishing (use --wait to wait for it)"
            ),
            err=True,
        )
        return
    _echo_outcomes(report.outcomes)
    _warn_unsigned(root, adapters)
    click.echo(
        _("{delivered} delivered, {failed} failed, {later} still open").format(
            delivered=len(report.delivered), failed=len(report.failed), later=report.later
        ),
        err=True,
    )
    handed = sum(o.handed_over for o in report.outcomes)
    if handed:
        click.echo(
            _(
                "{count} of them printed in reprint batches for hall staff to post: see guides print list, then guides print done BATCH"
            ).format(count=handed),
            err=True,
        )
    if report.refused:
        echo_refused(report.refused, adapters)
    if report.failed or report.refused:
        sys.exit(1)


def _echo_outcomes(outcomes: list[Outcome]) -> None:
    """A line per delivery of this run: delivered, handed over for posting, or failed."""
    for o in outcomes:
        if o.handed_over:
            line = _("to post\t{guide} v{version}\t{channel}\t{action}\t{batches}")
        elif o.ok:
            line = _("delivered\t{guide} v{version}\t{channel}\t{action}")
        else:
            line = _("failed\t{guide} v{version}\t{channel}\t{action}\t{error}")
        fields = {"guide": o.guide_id, "version": o.version, "channel": o.channel}
        click.echo(
            line.format(**fields, action=_(ACTIONS[o.action]), batches=o.detail, error=o.detail)
        )


def _warn_unsigned(root: Path, adapters: dict[str, Any]) -> None:
    """File channels get a signed manifest only when a signing key is configured."""
    from guidesrc.signing import signing_key

    if not any(a.files for a in adapters.values()):
        return
    try:
        key = signing_key(root)
    except SigningKeyError:
        return  # the publisher logged the problem; `guides keys status` explains it
    if key is None:
        click.echo(
            _(
                "no signing key: the channels' folders get no signed manifest, so `guides verify` cannot prove them; create one with guides keys init"
            ),
            err=True,
        )
