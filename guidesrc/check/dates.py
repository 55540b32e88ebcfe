"""``effective-date-past``: a guide changed since the last commit whose ``effective_date`` (the
proposed 具体实施时间) has already passed.

The change is told by git (the file's blob id against ``HEAD``, one ``git ls-tree``), as
``guides diff`` tells it by default: the moment an editor checks an edit, before committing it
(and in the pre-commit hook). Outside a git repository, or for a file as committed, nothing is
said. The date is read from the file's text (a top-level ``effective_date:`` line), so the pass
needs no model and no cache: it runs after the check, on the few files that changed.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from guidesrc.diagnostics import Diagnostic, RuleId
from guidesrc.i18n import N_
from guidesrc.libfiles import LibraryFiles

_DATE = re.compile(rb"^effective_date:[ \t]*[\"']?(\d{4}-\d{2}-\d{2})[\"']?[ \t]*(?:#.*)?$", re.M)


def past_dates(
    root: Path, files: LibraryFiles, guides: Iterable[str], today: dt.date
) -> list[Diagnostic]:
    """One warning per guide changed since ``HEAD`` whose effective_date is before ``today``."""
    committed = _head_blobs(root)
    if committed is None:
        return []
    found = []
    for rel in guides:
        hashes = files.hashes(rel)
        if hashes is None or committed.get(rel) == hashes.blob:
            continue
        data = files.read(rel) or b""
        match = _DATE.search(data)
        if match is None:
            continue
        try:
            date = dt.date.fromisoformat(match.group(1).decode())
        except ValueError:
            continue  # the schema says so
        if date < today:
            found.append(_warning(rel, date, today, data.count(b"\n", 0, match.start()) + 1))
    return found


def _warning(rel: str, date: dt.date, today: dt.date, line: int) -> Diagnostic:
    return Diagnostic(
        RuleId.EFFECTIVE_DATE_PAST,
        "warning",
        rel,
        path=("effective_date",),
        message=N_(
            "the guide changed, but its effective_date {date} has passed (today is {today}): guides approve takes today when the date is the one in force, and refuses a past date newly written"
        ),
        hint=N_("write the day the change takes effect, today or later"),
        args={"date": date.isoformat(), "today": today.isoformat()},
        line=line,
        column=1,
    )


def _head_blobs(root: Path) -> dict[str, str] | None:
    """The blob id of each file under ``root`` at ``HEAD`` (paths relative to ``root``); None
    outside a git repository or before the first commit."""
    try:
        run = subprocess.run(
            ["git", "ls-tree", "-r", "-z", "HEAD", "--", "."],
            cwd=root,
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if run.returncode != 0:
        return None
    blobs = {}
    for entry in run.stdout.split(b"\0"):
        meta, _tab, path = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            blobs[path.decode("utf-8", "surrogateescape")] = parts[2].decode()
    return blobs
