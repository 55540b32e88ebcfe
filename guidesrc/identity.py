"""Who edited what is being approved (from git), who runs a command, and how identities compare.

Four eyes compares *identities*, never typed names: every author and committer (name and e-mail)
of every commit behind a change since its last approved version is an editor, and so is the person
working in this checkout for uncommitted changes. Identities are compared through
:func:`identity_key`: NFKC, case-folded, with invisible and format characters and all whitespace
removed, so ``编辑甲`` with a zero-width space is still ``编辑甲``.
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import subprocess
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

UNCOMMITTED = "uncommitted"
#: Commit dates may be skewed: without a known base commit, edits this long before the last
#: approval still count.
CLOCK_SLACK = dt.timedelta(days=1)
# Letters that look like nothing: Hangul fillers, and the variation selectors (category Mn).
_INVISIBLE = {0x115F, 0x1160, 0x3164, 0xFFA0, 0x034F, 0x180B, 0x180C, 0x180D, 0x180F}
_INVISIBLE.update(range(0xFE00, 0xFE10))
_INVISIBLE.update(range(0xE0100, 0xE01F0))
_HIDDEN_CATEGORIES = ("Cf", "Cc", "Co", "Cs", "Cn")


def identity_key(text: str) -> str:
    """The form two identities are compared in: NFKC, case-folded, without control, format,
    private-use or invisible characters, and without whitespace of any kind."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = []
    for char in unicodedata.normalize("NFKC", folded):
        category = unicodedata.category(char)
        if category in _HIDDEN_CATEGORIES or category[0] == "Z" or char.isspace():
            continue
        if ord(char) in _INVISIBLE:
            continue
        kept.append(char)
    return "".join(kept)


def display_name(text: str) -> str:
    """A name as shown in messages and the ledger: NFKC, invisible characters removed, runs of
    whitespace as one space."""
    kept = [
        " " if c.isspace() else c
        for c in unicodedata.normalize("NFKC", text)
        if c.isspace()
        or (unicodedata.category(c) not in _HIDDEN_CATEGORIES and ord(c) not in _INVISIBLE)
    ]
    return " ".join("".join(kept).split())


@dataclass(frozen=True, slots=True)
class Person:
    """Someone as four eyes sees them: a name to show and every identity that is them."""

    name: str
    identities: tuple[str, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(k for k in map(identity_key, (self.name, *self.identities)) if k)


@dataclass(frozen=True, slots=True)
class Editor:
    """One identity that edited a file behind a change: in a commit, or uncommitted here."""

    name: str
    email: str
    where: str  # a commit (short hash), or UNCOMMITTED

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(k for k in (identity_key(self.name), identity_key(self.email)) if k)

    @property
    def label(self) -> str:
        return f"{display_name(self.name)} <{self.email}>" if self.email else self.name


def conflicts(person: Person, editors: Iterable[Editor]) -> list[Editor]:
    """The editors that are ``person`` (by any of their identities)."""
    mine = person.keys
    return [e for e in editors if e.keys & mine]


# --- the person running the command ---------------------------------------------------------


def os_account() -> Person:
    """The operating-system account this process runs as (its effective uid, never an
    environment variable): login name and, when set, the full name (GECOS)."""
    entry = pwd.getpwuid(os.geteuid())
    full = entry.pw_gecos.split(",", 1)[0].strip()
    return Person(entry.pw_name, (full,) if full else ())


def local_editors(root: Path) -> list[Editor]:
    """Whoever works in this checkout: the author and committer identities a commit made here
    would get (git's configuration; git itself falls back to the account's name), else the
    operating-system account."""
    found: list[Editor] = []
    for var in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        ident = _git_out(root, "var", var)
        if ident:
            name, _sep, rest = ident.partition(" <")
            found.append(Editor(name.strip(), rest.split(">", 1)[0], UNCOMMITTED))
    if not found:
        account = os_account()
        found.extend(Editor(n, "", UNCOMMITTED) for n in (account.name, *account.identities))
    return found


# --- git ------------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "--literal-pathspecs", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C", "LANGUAGE": "C"},
        check=False,
    )


def _git_out(root: Path, *args: str) -> str | None:
    try:
        result = _git(root, *args)
    except OSError:  # no git
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def head_source(root: Path) -> str | None:
    """The library's git commit, with ``+dirty`` when its files differ from it (None outside
    git or before the first commit)."""
    commit = _git_out(root, "rev-parse", "--verify", "-q", "HEAD")
    if not commit:
        return None
    status = _git_out(root, "status", "--porcelain", "--untracked-files=all", "--", ".")
    return commit + ("+dirty" if status else "")


@dataclass(frozen=True, slots=True)
class Base:
    """Where a file's unapproved edits begin: the commit its last approved version was approved
    from (``source``) and when (``at``); both None for a file never approved."""

    source: str | None = None
    at: dt.datetime | None = None


def editors_since(root: Path, files: Mapping[str, Base]) -> list[Editor]:
    """Every identity that edited ``files`` (relative to the library) since their base.

    Committed edits: every author and committer of every commit from the base commit to HEAD
    that touches a file. A base commit that git does not know, or that is not an ancestor of
    HEAD (history rewritten), falls back to every commit since the approval's time (less
    :data:`CLOCK_SLACK`); a file never approved counts its whole history. Uncommitted changes,
    untracked files and a library outside git count as :func:`local_editors`.
    """
    if not files:
        return []
    prefix = _git_out(root, "rev-parse", "--show-prefix")
    if prefix is None:  # not in git: nothing is committed
        return local_editors(root)
    head = _git_out(root, "rev-parse", "--verify", "-q", "HEAD")
    tracked = set(_lines(root, "ls-files", "-z", "--", *files)) if head else set()
    status = _lines(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", *files)
    dirty = {e[3:].removeprefix(prefix) for e in status if len(e) > 3}  # from the top level
    found: list[Editor] = []
    if (set(files) - tracked) | (dirty & set(files)):
        found.extend(local_editors(root))
    if head:
        groups: dict[Base, list[str]] = {}
        for rel, base in files.items():
            if rel in tracked or base.source:
                groups.setdefault(base, []).append(rel)
        for base, rels in groups.items():
            found.extend(_committed(root, base, rels))
    return found


def _lines(root: Path, *args: str) -> list[str]:
    result = _git(root, *args)
    return [e for e in result.stdout.split("\0") if e] if result.returncode == 0 else []


def _committed(root: Path, base: Base, rels: list[str]) -> list[Editor]:
    commit = (base.source or "").split("+", 1)[0]
    since: dt.datetime | None = None
    revisions = ["HEAD"]
    if commit and _git(root, "merge-base", "--is-ancestor", commit, "HEAD").returncode == 0:
        revisions = [f"{commit}..HEAD"]
    elif base.at is not None:  # base unknown or rewritten away: count by time
        since = base.at - CLOCK_SLACK
    fmt = "--format=%h%x00%an%x00%ae%x00%cn%x00%ce%x00%ct"
    out = _git(root, "log", fmt, "--no-renames", *revisions, "--", *rels)
    editors: list[Editor] = []
    for line in out.stdout.splitlines():
        parts = line.split("\0")
        if len(parts) != 6:
            continue
        sha, an, ae, cn, ce, ct = parts
        if since is not None and dt.datetime.fromtimestamp(int(ct), dt.UTC) < since:
            continue
        editors.append(Editor(an, ae, sha))
        if (cn, ce) != (an, ae):
            editors.append(Editor(cn, ce, sha))
    return editors
