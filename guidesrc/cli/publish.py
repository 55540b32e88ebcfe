"""``guides publish``: deliver the approved versions to every channel."""

from __future__ import annotations

import contextlib
import sys

import click

from guidesrc.cli.common import ACTIONS
from guidesrc.cli.options import flag, pass_library
from guidesrc.cli.year_end import warn_year_end
from guidesrc.i18n import N_, _
from guidesrc.outbox import Outcome
from guidesrc.services import publish as service
from guidesrc.services.library import Library, open_library
from guidesrc.signing_alerts import findings_text


@click.command(
    help=N_("Deliver every approved version not yet delivered to every channel (run it from cron).")
)
@pass_library(open_library)
@click.option(
    "--wait", is_flag=True, help=N_("If another publisher runs, wait for it instead of exiting.")
)
@flag("--retry-now", N_("Retry failed deliveries now, without waiting out the backoff."))
@click.option(
    "--rebuild",
    metavar="CHANNEL",
    help=N_(
        "Rewrite a file channel from the ledger's approved versions and sign it (after files were planted or changed in its folder); the old folder is kept under .guides/quarantine."
    ),
)
def publish(library: Library, wait: bool, retry_now: bool, rebuild: str | None) -> None:
    if library.config_unreviewed():
        click.echo(
            _(
                "no approved configuration in the ledger yet: library.yaml and calendar.yaml are used as they are; the next guides approve records them for review"
            ),
            err=True,
        )
    warn_year_end(library.root, library.today)
    if rebuild is not None:
        return _rebuild(service.rebuild(library, rebuild, wait=wait))
    done = service.publish(library, wait=wait, retry_now=retry_now)
    if done.locked_out:
        return _echo_locked_out()
    _echo_outcomes(done.run.outcomes)
    if done.unsigned and _first_unsigned(library):
        click.echo(
            _(
                "no signing key: the channels' folders get no signed manifest, so `guides verify` cannot prove them; create one with guides keys init (said once per library: {marker} records it)"
            ).format(marker=UNSIGNED_NOTED),
            err=True,
        )
    _echo_counts(done)
    _echo_refusals(done.refusals)
    if not done.ok:
        sys.exit(1)


#: Written when ``guides publish`` first said that it publishes without a signing key: it says
#: so once per library, not on every run (delete the file to hear it again).
UNSIGNED_NOTED = ".guides/no-signing-key-noted"


def _first_unsigned(library: Library) -> bool:
    """True the first time this library publishes without a signing key (then noted)."""
    marker = library.root / UNSIGNED_NOTED
    if marker.exists():
        return False
    with contextlib.suppress(OSError):  # a read-only .guides: say it every time, not never
        marker.write_text(
            "guides publish said once that there is no signing key (guides keys init)\n",
            encoding="utf-8",
        )
    return True


def _echo_counts(done: service.Published) -> None:
    """This run's deliveries, each counted once: made, printed for hall staff to post, failed;
    then those left for later runs."""
    click.echo(
        _(
            "this run: {delivered} delivered, {posted} printed in reprint batches for hall staff to post, {failed} failed; {later} left for later runs (not due yet, or to retry)"
        ).format(
            delivered=len(done.run.delivered) - done.handed_over,
            posted=done.handed_over,
            failed=len(done.run.failed),
            later=done.run.later,
        ),
        err=True,
    )
    if done.handed_over:
        click.echo(
            _(
                "the reprint batches: see guides print list, then guides print done BATCH once posted"
            ),
            err=True,
        )


def _echo_locked_out() -> None:
    click.echo(
        _(
            "another guides publish is running; this one stops without publishing (use --wait to wait for it)"
        ),
        err=True,
    )


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


def _echo_refusals(refusals: list[service.Refusal]) -> None:
    """A line per channel not signed (stderr)."""
    for r in refusals:
        click.echo(findings_text(r.channel, r.folder, r.findings), err=True)


def _rebuild(done: service.Rebuild) -> None:
    """``guides publish --rebuild CHANNEL``: exit 0 when the channel is rewritten and signed."""
    result, channel = done.done, done.channel
    if result is None:
        _echo_locked_out()
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
    if result.signed is None:
        click.echo(
            _(
                "{channel}: rewritten from the ledger ({count} deliveries); not signed (no signing key)"
            ).format(channel=channel, count=result.delivered),
            err=True,
        )
    elif result.signed.refused:
        _echo_refusals(done.refusals)
    else:
        click.echo(
            _(
                "{channel}: rewritten from the ledger ({count} deliveries) and signed ({files} files)"
            ).format(channel=channel, count=result.delivered, files=result.signed.files),
            err=True,
        )
    if not done.ok:
        sys.exit(1)
