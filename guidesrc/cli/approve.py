"""``guides approve``: record the pending changes as approved versions."""

from __future__ import annotations

import click

from guidesrc.cli.common import local_time
from guidesrc.cli.options import (
    DATE,
    pass_library,
    refused_by_option,
    repeatable,
    text_option,
)
from guidesrc.cli.year_end import warn_year_end
from guidesrc.diff import effective as eff
from guidesrc.diff.changeset import GuideChange
from guidesrc.errors import ApprovalError
from guidesrc.i18n import N_, _
from guidesrc.services import approve as service
from guidesrc.services.library import Day, Library, open_library


@click.command(help=N_("Approve the pending changes (all, or the guides named with --guide)."))
@pass_library(open_library)
@repeatable("--guide", "guides", "ID", N_("Approve only this guide; repeatable."))
@refused_by_option
@click.option(
    "--effective",
    type=DATE,
    metavar="DATE",
    help=N_(
        "具体实施时间 for every guide approved, today or later (YYYY-MM-DD, or today); default: each guide's effective_date (today when it has passed and was not changed)."
    ),
)
@text_option("--note", N_("Change note; required for 实质性变更."), default="")
@click.option(
    "--change-set",
    "expect",
    metavar="ID",
    help=N_("The change set you reviewed (from guides diff --published); refuse anything else."),
)
@click.option(
    "--force", is_flag=True, help=N_("Approve your own edits (four eyes); needs --reason.")
)
@text_option("--reason", N_("Why --force is needed; kept in the log."))
def approve(
    library: Library,
    guides: tuple[str, ...],
    effective: Day | None,
    note: str,
    expect: str | None,
    force: bool,
    reason: str | None,
) -> None:
    _check_force(force, reason)
    warn_year_end(library.root, library.today)
    result = service.approve(
        library,
        effective=effective,
        guides=guides,
        note=note,
        change_set=expect,
        force_reason=reason if force else None,
    )
    if result.approved is None:
        click.echo(_("nothing to approve: every guide is as approved"), err=True)
    else:
        _echo_approved(result)
    if result.withdrawn_present:
        click.echo(
            _(
                "withdrawn and not approved again: {ids} (name them with --guide to publish them again)"
            ).format(ids="、".join(result.withdrawn_present)),
            err=True,
        )


def _check_force(force: bool, reason: str | None) -> None:
    """``--force`` needs ``--reason``, and ``--reason`` goes only with ``--force``."""
    if force and not (reason and reason.strip()):
        raise ApprovalError(_("--force needs --reason: say why four eyes cannot apply"))
    if reason and not force:
        raise ApprovalError(_("--reason goes with --force"))


def _echo_approved(result: service.ApproveResult) -> None:
    """The versions recorded (stdout) and what the approval means (stderr)."""
    done = result.approved
    assert done is not None and result.deadline is not None
    for guide_id, number in done.versions:
        click.echo(f"{guide_id}\tv{number}")
    guides = result.pending.changes.guides
    dates = {g.effective_date for g in guides if g.effective_date}
    option = result.effective.isoformat() if result.effective else None
    click.echo(
        _(
            "approved {count} guide(s) as approval #{id} by {by}, in effect from {date}; {deliveries} deliveries queued (one per guide and channel; two when a guide takes effect later: the notice now, the switch on its day), to be public by {deadline}: run guides publish"
        ).format(
            count=len(done.versions),
            id=done.approval_id,
            by=result.by,
            date=dates.pop() if len(dates) == 1 else option or _("the dates below"),
            deliveries=done.publications,
            deadline=local_time(result.deadline, result.zone),
        ),
        err=True,
    )
    for line in effective_lines(guides, option):
        click.echo(line, err=True)
    if done.config_version is not None:
        click.echo(
            _(
                "configuration approved as version {version} ({files}): guides publish uses it from now on"
            ).format(version=done.config_version, files="、".join(result.config_files)),
            err=True,
        )
    if done.forced:
        click.echo(
            _("four eyes overridden (--force): the log records it with the reason"), err=True
        )


def effective_lines(guides: list[GuideChange], option: str | None) -> list[str]:
    """Which date each guide takes effect on and why, when it is not plain: the files' dates,
    today for a past date kept from the version in force, --effective moving a file's date."""
    if option is not None:
        moved = eff.moved(guides)
        return (
            [
                _(
                    "{count} guide(s) take effect on {date} as given with --effective, not on the effective_date of their file: {guides}"
                ).format(count=len(moved), date=option, guides=_named(moved, True))
            ]
            if moved
            else []
        )
    lines = []
    from_file = [g for g in guides if g.effective_from == eff.FILE]
    if from_file:
        lines.append(
            _("{count} guide(s) take effect on the effective_date of their file: {guides}").format(
                count=len(from_file), guides=_named(from_file, False)
            )
        )
    kept = [g for g in guides if g.effective_from == eff.TODAY and g.file_effective_date]
    if kept:
        lines.append(
            _(
                "{count} guide(s) take effect today, {date}: the effective_date of their file has passed and was not changed with this change: {guides}"
            ).format(count=len(kept), date=kept[0].effective_date, guides=_named(kept, True))
        )
    undated = [
        g for g in guides if g.effective_from == eff.TODAY and g.new and not g.file_effective_date
    ]
    if undated:
        lines.append(
            _(
                "{count} guide(s) take effect today, {date}: their file gives no effective_date: {guides}"
            ).format(
                count=len(undated), date=undated[0].effective_date, guides=_named(undated, False)
            )
        )
    return lines


#: Guides named in a line (more: counted).
_NAMED = 10


def _named(guides: list[GuideChange], file_dates: bool) -> str:
    """``id 2026-12-10、…`` (the date applied; with ``file_dates`` the file's, in brackets)."""
    names = [
        f"{g.id}（{g.file_effective_date}）" if file_dates else f"{g.id} {g.effective_date}"
        for g in guides[:_NAMED]
    ]
    more = len(guides) - _NAMED
    return "、".join(names) + (_(" and {count} more").format(count=more) if more > 0 else "")
