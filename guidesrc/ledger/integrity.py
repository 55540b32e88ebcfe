"""Is the ledger intact? SQLite's ``PRAGMA quick_check`` at open, and clean errors for a damaged one.

A damaged ``ledger.sqlite`` (a bad disk, a copy taken mid-write, bytes overwritten) can look fine
to the queries of one command and fail another: ``status`` and ``publish`` went on with exit 0
while ``log`` crashed. So :func:`check_sqlite` runs ``PRAGMA quick_check`` (every page, index and
constraint, in time linear in the file) whenever the file changed since the last good check; the
stamp of that check (size, modification and change times, inode of the file and its write-ahead
log) is kept beside it, ``ledger.sqlite.checked``. An unchanged ledger costs two ``stat`` calls.

A command that found the ledger intact and changed it through SQLite records the stamp of its
own result when it closes the ledger (:func:`restamp`), so that the next command does not read
the whole file again for one approval's rows: work in proportion to the change. What this gives
up: damage done by something else *while* a command has the ledger open is not seen at the next
open; so the whole file is checked again at least every :data:`FULL_CHECK_SECONDS` whatever the
stamp says (which also catches a disk's damage that changes no time stamp).

PostgreSQL checks its own pages; its constraints keep the rows consistent. Any database error a
command meets on either (:func:`database_error`) becomes one :class:`LedgerError` naming the
database and what to do, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
from pathlib import Path

import orjson

from guidesrc.errors import LedgerError
from guidesrc.fsio import write_atomic
from guidesrc.i18n import _

STAMP_SUFFIX = ".checked"
_MOST_PROBLEMS = 3  # quick_check lists up to this many; the first is shown
#: The whole ledger is checked at least this often (seconds), whatever its stamp says.
FULL_CHECK_SECONDS = 24 * 3600


def check_sqlite(path: Path) -> bool:
    """Raise :class:`LedgerError` when the SQLite ledger at ``path`` is damaged; True when it is
    known intact (False: a new ledger)."""
    stamp = _stamp(path)
    if stamp is None:
        return False  # a new ledger
    stored = _stored(path)
    if stored is not None and stored[0] == stamp and time.time() - stored[1] < FULL_CHECK_SECONDS:
        return True  # unchanged since it was found intact, and checked whole lately
    try:
        db = sqlite3.connect(path, timeout=30)
        try:
            rows = db.execute(f"PRAGMA quick_check({_MOST_PROBLEMS})").fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise damaged(path, str(exc)) from None
    problems = [str(row[0]) for row in rows if row and row[0] != "ok"]
    if problems or not rows:
        raise damaged(path, problems[0] if problems else "quick_check returned nothing")
    # The stamp after the check: closing the last connection may have checkpointed the log.
    if (after := _stamp(path)) is not None:
        _store(path, after, int(time.time()))
    return True


def restamp(path: Path) -> None:
    """Record the ledger as it is now as intact, keeping the time of its last whole check: for a
    command that found it intact at open (:func:`check_sqlite`) and has closed it after its own
    writes."""
    stored = _stored(path)
    if stored is not None and (now := _stamp(path)) is not None and now != stored[0]:
        _store(path, now, stored[1])


def damaged(path: Path | str, detail: str) -> LedgerError:
    return LedgerError(
        _(
            "{file}: the ledger database is damaged ({detail}); nothing was changed. Stop"
            " publishing, restore the file from your last backup and run the command again"
            " (the channels keep what they show; guides verify compares them with the ledger)"
        ).format(file=path, detail=" ".join(detail.split())[:200] or "?")
    )


def database_error(exc: BaseException, where: str | None) -> LedgerError | None:
    """The error to show for a database error a command met (None: ``exc`` is something else)."""
    alchemy = sys.modules.get("sqlalchemy.exc")
    if alchemy is not None and isinstance(exc, alchemy.DBAPIError):
        detail = str(exc.orig).strip() if exc.orig is not None else str(exc)
    elif isinstance(exc, sqlite3.DatabaseError):
        detail = str(exc)
    else:
        return None
    return ledger_failed(where, detail or type(exc).__name__)


def ledger_failed(where: str | None, detail: str) -> LedgerError:
    return LedgerError(
        _(
            "{file}: the ledger database failed ({detail}); nothing more was done. If it is"
            " damaged, restore it from your last backup; if it cannot be reached, try again later"
        ).format(file=where or _("the ledger"), detail=detail.strip().splitlines()[0][:200])
    )


def _stamp(path: Path) -> list[int] | None:
    out: list[int] = []
    for name in (str(path), f"{path}-wal"):
        try:
            info = os.stat(name)
        except FileNotFoundError:
            if name == str(path):
                return None
            out += [-1, -1, -1, -1]
            continue
        out += [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
    return out


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + STAMP_SUFFIX)


def _stored(path: Path) -> tuple[list[int], int] | None:
    """The stamp of the ledger found intact, and when it was last checked whole (seconds)."""
    try:
        found = orjson.loads(_stamp_path(path).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if type(found) is not list or len(found) != 9 or any(type(n) is not int for n in found):
        return None  # of an older guidesrc: checked again
    return found[:8], found[8]


def _store(path: Path, stamp: list[int], checked_at: int) -> None:
    target = _stamp_path(path)
    with contextlib.suppress(OSError):  # checked again next time
        write_atomic(target, orjson.dumps([*stamp, checked_at]), 0o644, durable=False)
