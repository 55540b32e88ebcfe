"""A library as it stands in one place: the working tree, or a git revision.

A :class:`Tree` lists and reads the library's source files; :func:`load_state` turns them into
validated models, refusing a state with errors (a diff or a publish must stand on a checked
library). Git is read through two subprocesses whatever the library's size: ``git ls-tree`` for
the listing, ``git cat-file --batch`` for the contents.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from pydantic import BaseModel

from guidesrc.check.library_rules import CATALOGUE_FILES
from guidesrc.compile import Catalogues
from guidesrc.errors import GitError, StateInvalidError
from guidesrc.i18n import _
from guidesrc.library import (
    CONFIG_FILE,
    GUIDES_DIR,
    MAX_CATALOGUE_BYTES,
    MAX_GUIDE_BYTES,
    YAML_SUFFIXES,
    scan,
)
from guidesrc.model.catalogues import (
    FaqCatalogue,
    LegalBasisCatalogue,
    MaterialCatalogue,
    OfficeCatalogue,
)
from guidesrc.model.guide import Guide
from guidesrc.model.library import LibraryConfig


class Tree(Protocol):
    """Where a library's files come from."""

    @property
    def label(self) -> str: ...

    def guide_files(self) -> list[str]: ...

    def read_many(self, rels: Iterable[str]) -> dict[str, bytes]:
        """The bytes of each file that exists (missing files are left out)."""
        ...


@dataclass(frozen=True)
class WorkingTree:
    root: Path
    label: str = "working tree"

    def guide_files(self) -> list[str]:
        return scan(self.root).guides

    def read_many(self, rels: Iterable[str]) -> dict[str, bytes]:
        out = {}
        for rel in rels:
            try:
                out[rel] = (self.root / rel).read_bytes()
            except FileNotFoundError:
                continue
        return out


class GitTree:
    """The library at a git revision (the library may be a sub-folder of the repository)."""

    def __init__(self, library: Path, revision: str) -> None:
        self.repo = Path(_git(library, "rev-parse", "--show-toplevel").strip())
        self.prefix = _git(library, "rev-parse", "--show-prefix").strip()
        commit = _git(
            self.repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", missing_ok=True
        )
        if not commit.strip():
            raise GitError(
                _('the revision "{rev}" does not exist in {repo}').format(
                    rev=revision, repo=self.repo
                )
            )
        self.commit = commit.strip()
        self.label = f"{revision} ({self.commit[:10]})"
        self._blobs = self._list()

    def _list(self) -> dict[str, str]:
        """Path inside the library → blob id, for every file under the library at this commit."""
        out = _git(
            self.repo, "ls-tree", "-r", "-z", "--full-tree", self.commit, "--", self.prefix or "."
        )
        blobs = {}
        for record in out.split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            _mode, kind, blob = meta.split()
            if kind == "blob" and path.startswith(self.prefix):
                blobs[path[len(self.prefix) :]] = blob
        return blobs

    def blob_ids(self) -> dict[str, str]:
        return dict(self._blobs)

    def guide_files(self) -> list[str]:
        return sorted(
            rel
            for rel in self._blobs
            if rel.startswith(f"{GUIDES_DIR}/")
            and rel.endswith(YAML_SUFFIXES)
            and not any(part.startswith(".") for part in PurePosixPath(rel).parts)
        )

    def read_many(self, rels: Iterable[str]) -> dict[str, bytes]:
        wanted = [rel for rel in rels if rel in self._blobs]
        if not wanted:
            return {}
        request = "".join(f"{self._blobs[rel]}\n" for rel in wanted).encode()
        out = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=self.repo,
            input=request,
            capture_output=True,
            check=True,
        ).stdout
        contents: dict[str, bytes] = {}
        pos = 0
        for rel in wanted:
            header_end = out.index(b"\n", pos)
            size = int(out[pos:header_end].split()[2])
            contents[rel] = out[header_end + 1 : header_end + 1 + size]
            pos = header_end + 1 + size + 1
        return contents


# git's own messages in English, whatever the user's locale, so that they can be recognised.
_GIT_ENV = {**os.environ, "LC_ALL": "C", "LANGUAGE": "C"}


def _git(cwd: Path, *args: str, missing_ok: bool = False) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, env=_GIT_ENV
        )
    except FileNotFoundError as exc:
        raise GitError(_("git is not installed; install it to compare revisions")) from exc
    if result.returncode != 0 and not missing_ok:
        if "not a git repository" in result.stderr:
            raise GitError(
                _(
                    "{path} is not in a git repository; run `git init` there, or compare with the ledger"
                ).format(path=cwd)
            )
        raise GitError(
            _("git {command} failed: {error}").format(command=args[0], error=result.stderr.strip())
        )
    return result.stdout


@dataclass
class LibraryState:
    """A checked library: its config, guides by id, catalogues, and each file's SHA-256."""

    label: str
    config: LibraryConfig | None
    guides: dict[str, Guide]
    guide_files: dict[str, str]  # guide id → file
    catalogues: Catalogues
    hashes: dict[str, str]  # file → SHA-256 of its bytes


def load_state(tree: Tree) -> LibraryState:
    """Read, validate and resolve a library state; refuse one that does not pass its schema."""
    from guidesrc.check.analyse import load
    from guidesrc.yamlio import decode

    rels = [CONFIG_FILE, *CATALOGUE_FILES.values(), *tree.guide_files()]
    contents = tree.read_many(rels)
    problems = []
    models = {}
    for rel in rels:
        if rel not in contents:
            continue
        model = _MODELS.get(rel, Guide)
        limit = MAX_GUIDE_BYTES if model is Guide else MAX_CATALOGUE_BYTES
        loaded, _problems = load(decode(contents[rel], rel, limit), model)
        if loaded is None:
            problems.append(rel)
        models[rel] = loaded
    if problems:
        raise StateInvalidError(
            _(
                "{state}: {count} file(s) do not pass `guides check`, e.g. {file}; fix them first"
            ).format(state=tree.label, count=len(problems), file=problems[0])
        )
    guides = {m.id: m for rel, m in models.items() if isinstance(m, Guide)}
    unresolved = _unresolved(models)
    if unresolved:
        raise StateInvalidError(
            _(
                '{state}: {file} refers to "{id}", which is not in the catalogues; run `guides check`'
            ).format(state=tree.label, file=unresolved[0], id=unresolved[1])
        )
    catalogues = Catalogues(
        materials=_entries(models.get(CATALOGUE_FILES["materials"])),
        legal_bases=_entries(models.get(CATALOGUE_FILES["legal-bases"])),
        offices=_entries(models.get(CATALOGUE_FILES["offices"])),
        faq=_entries(models.get(CATALOGUE_FILES["faq"])),
    )
    config = models.get(CONFIG_FILE)
    return LibraryState(
        label=tree.label,
        config=config if isinstance(config, LibraryConfig) else None,
        guides=guides,
        guide_files={m.id: rel for rel, m in models.items() if isinstance(m, Guide)},
        catalogues=catalogues,
        hashes={rel: hashlib.sha256(data).hexdigest() for rel, data in contents.items()},
    )


_MODELS: dict[str, type[BaseModel]] = {
    CONFIG_FILE: LibraryConfig,
    CATALOGUE_FILES["materials"]: MaterialCatalogue,
    CATALOGUE_FILES["legal-bases"]: LegalBasisCatalogue,
    CATALOGUE_FILES["offices"]: OfficeCatalogue,
    CATALOGUE_FILES["faq"]: FaqCatalogue,
}


def _unresolved(models: dict[str, BaseModel | None]) -> tuple[str, str] | None:
    """The first reference that names no entry, as (file, id); compiling needs every one."""
    entries = {rel: set(_entries(models.get(rel))) for rel in CATALOGUE_FILES.values()}
    legal, materials = (
        entries[CATALOGUE_FILES["legal-bases"]],
        entries[CATALOGUE_FILES["materials"]],
    )
    offices, faq = entries[CATALOGUE_FILES["offices"]], entries[CATALOGUE_FILES["faq"]]
    for rel, model in models.items():
        if not isinstance(model, Guide):
            continue
        wanted = [
            *((i, legal) for i in model.legal_basis),
            *((m.material, materials) for m in model.materials),
            *((i, legal) for m in model.materials for i in m.legal_basis),
            *((i, legal) for f in model.fees.items for i in f.legal_basis),
            *((i, offices) for i in model.places),
            *((i, faq) for i in model.faq),
        ]
        for target, known in wanted:
            if target not in known:
                return rel, target
    catalogue = models.get(CATALOGUE_FILES["materials"])
    for material in _entries(catalogue).values():
        for basis in material.legal_basis:
            if basis not in legal:
                return CATALOGUE_FILES["materials"], basis
    return None


def _entries(catalogue: object) -> dict:  # type: ignore[type-arg]
    return dict(getattr(catalogue, "entries", {}))


def is_git_work_tree(path: Path) -> bool:
    return (
        os.path.isdir(path)
        and subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"],
            cwd=path,
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
