"""Who is running a command, and who last edited a library's files (from git)."""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

USER_ENV = "GUIDES_USER"
_GIT_ENV = {**os.environ, "LC_ALL": "C", "LANGUAGE": "C"}


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, env=_GIT_ENV, check=False
    )


def current_user(root: Path) -> str:
    """``GUIDES_USER``, else git's ``user.name`` for the library, else the login name."""
    name = os.environ.get(USER_ENV, "").strip()
    if name:
        return name
    try:
        result = _git(root, "config", "user.name")
    except OSError:  # no git
        result = None
    if result is not None and result.returncode == 0 and result.stdout.strip():
        return result.stdout.strip()
    return getpass.getuser()


def same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def last_editors(root: Path, rels: Iterable[str]) -> tuple[dict[str, str], str | None]:
    """The last editor of each file (relative to the library), and the git commit (with
    ``+dirty`` when files differ from it) — or ``({}, None)`` outside a git repository.

    A file with uncommitted changes, or not yet committed, was last edited by whoever works in
    this checkout (:func:`current_user`). One ``git log`` walks history once for all files.
    """
    wanted = set(rels)
    try:
        top = _git(root, "rev-parse", "--show-toplevel", "--show-prefix", "HEAD")
    except OSError:
        return {}, None
    if top.returncode != 0:
        return {}, None
    _toplevel, prefix, commit = ([*top.stdout.splitlines(), "", "", ""])[:3]
    status = _git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    dirty_paths = {
        entry[3:][len(prefix) :] for entry in status.stdout.split("\0") if len(entry) > 3
    }
    editors: dict[str, str] = {}
    local = current_user(root)
    for rel in wanted & dirty_paths:
        editors[rel] = local
    todo = wanted - editors.keys()
    if todo:
        log = subprocess.Popen(
            [
                "git",
                "log",
                "--format=\x01%an",
                "--name-only",
                "--no-renames",
                "--relative",
                "--",
                ".",
            ],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
            env=_GIT_ENV,
        )
        assert log.stdout is not None
        author = ""
        for line in log.stdout:
            line = line.rstrip("\n")
            if line.startswith("\x01"):
                author = line[1:]
            elif line in todo:
                editors[line] = author
                todo.discard(line)
                if not todo:
                    break
        log.stdout.close()
        log.kill()
        log.wait()
    for rel in todo:  # never committed and not in git status: not tracked at all
        editors[rel] = local
    source = commit.strip() + ("+dirty" if dirty_paths else "")
    return editors, source or None
