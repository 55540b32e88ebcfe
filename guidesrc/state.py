"""A library as it stands in one place: the working tree, or a git revision.

A :class:`Tree` lists and reads the library's source files; :func:`load_state` turns them into
validated models, refusing a state with errors (a diff or a publish must stand on a checked
library). Git is read through two subprocesses whatever the library's size: ``git ls-tree`` for
the listing, ``git cat-file --batch`` for the contents.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml_rs
from pydantic import BaseModel

from guidesrc.check.library_rules import CATALOGUE_FILES
from guidesrc.check.loader import load_bytes
from guidesrc.compile import (
    COMPILED_FORMAT,
    Catalogues,
    Validated,
    compile_data,
    compile_fields,
    compiler_fingerprint,
    content_hash,
)
from guidesrc.errors import GitError, StateInvalidError
from guidesrc.i18n import _
from guidesrc.libfiles import LibraryFiles
from guidesrc.library import (
    CONFIG_FILE,
    GUIDES_DIR,
    YAML_SUFFIXES,
    LibraryLayout,
    scan,
    symlink_error,
)
from guidesrc.model.catalogues import (
    FaqCatalogue,
    FaqEntry,
    LegalBasis,
    LegalBasisCatalogue,
    Material,
    MaterialCatalogue,
    Office,
    OfficeCatalogue,
)
from guidesrc.model.guide import Guide
from guidesrc.model.library import LibraryConfig
from guidesrc.parsecache import CacheEntries, ParseCache
from guidesrc.yamlio import parse_bytes


class Tree(Protocol):
    """Where a library's files come from."""

    @property
    def label(self) -> str: ...

    def guide_files(self) -> list[str]: ...

    def content_ids(self, rels: Iterable[str]) -> dict[str, str]:
        """An id per file that changes exactly when its bytes change: its git blob id, the same
        for the same bytes whatever the tree."""
        ...

    def read_many(self, rels: Iterable[str]) -> dict[str, bytes]:
        """The bytes of each file that exists (missing files are left out), kept for later calls."""
        ...

    def mentioning(self, needles: Iterable[str], rels: Iterable[str]) -> set[str]:
        """Those of ``rels`` whose bytes contain any of ``needles``."""
        ...


class WorkingTree:
    """The library's folder as it is now. Files are read once and kept.

    ``layout`` and ``files``: what a check just scanned and hashed
    (:func:`guidesrc.worktree.checked_state`), taken instead of scanning and hashing again: the
    state is then made of the very files the check saw."""

    def __init__(
        self,
        root: Path,
        label: str = "working tree",
        *,
        layout: LibraryLayout | None = None,
        files: LibraryFiles | None = None,
    ) -> None:
        self.root = root
        self.label = label
        self._files = files if files is not None else LibraryFiles(root)
        self._layout = layout
        self._scanned: set[str] = set()

    def guide_files(self) -> list[str]:
        found = (self._layout or scan(self.root)).guides
        self._scanned.update(found)
        return found

    def content_ids(self, rels: Iterable[str]) -> dict[str, str]:
        """Git's blob ids: a file that is as committed has its id in the commit, so comparing
        with a revision skips it like an unchanged file between two revisions. A file whose
        identity is as last seen is not read (:mod:`guidesrc.libfiles`)."""
        out = {}
        for rel in rels:
            found = self._files.hashes(rel, folders_checked=rel in self._scanned)
            if found is not None:
                out[rel] = found.blob
        self._files.save()
        return out

    def mentioning(self, needles: Iterable[str], rels: Iterable[str]) -> set[str]:
        encoded = [n.encode() for n in needles]
        return {
            rel for rel, data in self.read_many(rels).items() if any(n in data for n in encoded)
        }

    def read_many(self, rels: Iterable[str]) -> dict[str, bytes]:
        """Links are refused, and a file is read only up to one byte past its size limit."""
        out = {}
        for rel in rels:
            data = self._files.read(rel, folders_checked=rel in self._scanned)
            if data is not None:
                out[rel] = data
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
        self._links: set[str] = set()  # committed symbolic links: refused when read
        self._blobs = self._list()
        self._contents: dict[str, bytes] = {}

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
            mode, kind, blob = meta.split()
            if kind == "blob" and path.startswith(self.prefix):
                blobs[path[len(self.prefix) :]] = blob
                if mode == _GIT_SYMLINK:
                    self._links.add(path[len(self.prefix) :])
        return blobs

    def content_ids(self, rels: Iterable[str]) -> dict[str, str]:
        return {rel: self._blobs[rel] for rel in rels if rel in self._blobs}

    def mentioning(self, needles: Iterable[str], rels: Iterable[str]) -> set[str]:
        """``git grep`` in the commit: searched by git in C, nothing piped through Python."""
        patterns = [arg for needle in needles for arg in ("-e", needle)]
        if not patterns:
            return set()
        result = subprocess.run(
            [
                "git",
                "grep",
                "-l",
                "-z",
                "-F",
                *patterns,
                self.commit,
                "--",
                f"{self.prefix}{GUIDES_DIR}/",
            ],
            cwd=self.repo,
            capture_output=True,
            text=True,
            check=False,
            env=_GIT_ENV,
        )
        if result.returncode not in (0, 1):  # 1: nothing found
            raise GitError(
                _("git {command} failed: {error}").format(
                    command="grep", error=result.stderr.strip()
                )
            )
        out = result.stdout
        prefix = f"{self.commit}:{self.prefix}"
        found = {path[len(prefix) :] for path in out.split("\0") if path.startswith(prefix)}
        return found & set(rels)

    def guide_files(self) -> list[str]:
        for rel in self._links:
            if rel.startswith(f"{GUIDES_DIR}/") or rel == GUIDES_DIR:
                raise symlink_error(rel)
        return sorted(
            rel
            for rel in self._blobs
            if rel.startswith(f"{GUIDES_DIR}/") and rel.endswith(YAML_SUFFIXES) and "/." not in rel
        )

    def read_many(self, rels: Iterable[str]) -> dict[str, bytes]:
        """Through one ``git cat-file --batch``; contents are kept for the next call."""
        rels = [rel for rel in rels if rel in self._blobs]
        for rel in rels:
            if rel in self._links or any(rel.startswith(f"{link}/") for link in self._links):
                raise symlink_error(rel)
        wanted = [rel for rel in dict.fromkeys(rels) if rel not in self._contents]
        if wanted:
            request = "".join(f"{self._blobs[rel]}\n" for rel in wanted).encode()
            out = subprocess.run(
                ["git", "cat-file", "--batch"],
                cwd=self.repo,
                input=request,
                capture_output=True,
                check=True,
            ).stdout
            pos = 0
            for rel in wanted:
                header_end = out.index(b"\n", pos)
                size = int(out[pos:header_end].split()[2])
                self._contents[rel] = out[header_end + 1 : header_end + 1 + size]
                pos = header_end + 1 + size + 1
        return {rel: self._contents[rel] for rel in rels}


_GIT_SYMLINK = "120000"


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


class LibraryState:
    """A library state: config and catalogues loaded, guides read and validated on demand.

    A diff touches only the guides that changed, so a state never parses what it is not asked
    for; ``content_ids`` (git blob ids, in a revision or the working tree) tell which did.
    """

    def __init__(
        self, tree: Tree, cache: ParseCache | None = None, like: LibraryState | None = None
    ) -> None:
        """``like``: another state whose config and catalogues are taken where the bytes match."""
        self._cache = cache
        self._data: dict[str, dict[str, Any]] = {}
        self.tree = tree
        self.label = tree.label
        self.guide_files: dict[str, str] = {_stem(rel): rel for rel in tree.guide_files()}
        self.content_ids = tree.content_ids(self.guide_files.values())
        self._guides: dict[str, Guide] = {}
        self._hashes: dict[str, str] = {}
        shared = [CONFIG_FILE, *CATALOGUE_FILES.values()]
        self.shared_ids = tree.content_ids(shared)
        #: What a compiled guide depends on besides its own file: the catalogues and the compiler.
        self.compiled_from = _compiled_from(self.shared_ids)
        models: dict[str, BaseModel] = {}
        entries: dict[str, Mapping[str, BaseModel]] = {}  # catalogue file → its entries
        if like is not None:
            same = [rel for rel in shared if like.shared_ids.get(rel) == self.shared_ids.get(rel)]
            models = {rel: like._models[rel] for rel in same if rel in like._models}
            entries = {rel: like._entries[rel] for rel in same if rel in like._entries}
        entries |= self._cached([rel for rel in CATALOGUE_FILES.values() if rel not in entries])
        contents = tree.read_many(rel for rel in shared if rel not in models | entries)
        for rel, data in contents.items():
            if rel == CONFIG_FILE:
                models[rel] = self._parse(rel, data, LibraryConfig)
            else:
                entries[rel] = self._catalogue(rel, data)
        self._models: dict[str, BaseModel] = models
        self._entries: dict[str, Mapping[str, BaseModel]] = entries
        config = models.get(CONFIG_FILE)
        self.config = config if isinstance(config, LibraryConfig) else None
        if like is not None and all(
            rel in entries and entries[rel] is like._entries.get(rel)
            for rel in CATALOGUE_FILES.values()
        ):
            self.catalogues: Catalogues = like.catalogues  # with what it has resolved already
        else:
            self.catalogues = Catalogues(
                materials=entries.get(CATALOGUE_FILES["materials"], {}),  # type: ignore[arg-type]
                legal_bases=entries.get(CATALOGUE_FILES["legal-bases"], {}),  # type: ignore[arg-type]
                offices=entries.get(CATALOGUE_FILES["offices"], {}),  # type: ignore[arg-type]
                faq=entries.get(CATALOGUE_FILES["faq"], {}),  # type: ignore[arg-type]
            )
        for basis in _legal_refs(self.catalogues.materials):
            if basis not in self.catalogues.legal_bases:
                self._unresolved(CATALOGUE_FILES["materials"], basis)

    def _cached(self, rels: list[str]) -> dict[str, Mapping[str, BaseModel]]:
        """The entries of those catalogues the parse cache has the data of (as parsed from the
        same bytes and validated whole by the same code), each entry validated when used."""
        keys = {_RAW + self.shared_ids[rel]: rel for rel in rels if rel in self.shared_ids}
        if self._cache is None or not keys:
            return {}
        found: dict[str, Mapping[str, BaseModel]] = {}
        for key, data in self._cache.get_many(keys).items():
            raw = data.get("entries")
            if isinstance(raw, dict):
                found[keys[key]] = Validated(raw, _ENTRY_MODELS[keys[key]])
        return found

    def _catalogue(self, rel: str, data: bytes) -> Mapping[str, BaseModel]:
        """A catalogue's entries, validated whole; its parsed data kept in the parse cache."""
        try:  # the fast path: a checked library parses and validates
            raw = parse_bytes(data)
            model = _MODELS[rel].model_validate(raw)
        except (ValueError, yaml_rs.YAMLDecodeError):  # as `guides check` reads it
            model = self._loaded(rel, load_bytes(data, rel, _MODELS[rel])[1])
        else:
            if self._cache is not None and rel in self.shared_ids:
                # not JSON data (a key that is not text): parsed again next time
                with contextlib.suppress(TypeError):
                    self._cache.put(_RAW + self.shared_ids[rel], raw)
        return _entries(model)

    def _parse(self, rel: str, data: bytes, model: type[BaseModel]) -> BaseModel:
        if rel == CONFIG_FILE:  # as the command and the calendar read it (once per process)
            return self._loaded(rel, load_bytes(data, rel, model)[1])
        try:  # the fast path: a checked library parses and validates
            return model.model_validate(parse_bytes(data))
        except (ValueError, yaml_rs.YAMLDecodeError):
            pass  # ValidationError and UnicodeDecodeError are ValueErrors
        # as `guides check` reads it: only when it fails
        return self._loaded(rel, load_bytes(data, rel, model)[1])

    def _loaded(self, rel: str, loaded: BaseModel | None) -> BaseModel:
        if loaded is None:
            raise StateInvalidError(
                _(
                    "{state}: {count} file(s) do not pass `guides check`, e.g. {file}; fix them first"
                ).format(state=self.label, count=1, file=rel)
            )
        return loaded

    def _unresolved(self, rel: str, target: str) -> None:
        raise StateInvalidError(
            _(
                '{state}: {file} refers to "{id}", which is not in the catalogues; run `guides check`'
            ).format(state=self.label, file=rel, id=target)
        )

    def read(self, guide_ids: Iterable[str]) -> dict[str, bytes]:
        """The bytes of these guides' files (read in one go; the tree keeps them)."""
        rels = [self.guide_files[g] for g in guide_ids if g in self.guide_files]
        return {_stem(rel): data for rel, data in self.tree.read_many(rels).items()}

    def guide(self, guide_id: str) -> Guide:
        if guide_id not in self._guides:
            rel = self.guide_files[guide_id]
            data = self.read([guide_id])[guide_id]
            guide = self._parse(rel, data, Guide)
            assert isinstance(guide, Guide)
            self._guides[guide_id] = guide
        return self._guides[guide_id]

    def prefetch(self, guide_ids: Iterable[str]) -> None:
        """Take what the parse cache has for these guides (validated data, content hashes), and
        read the bytes of those it has no data for."""
        ids = [g for g in guide_ids if g in self.guide_files]
        if self._cache is not None:
            keys = {self.content_ids[self.guide_files[g]]: g for g in ids}
            missing = [key for key, g in keys.items() if g not in self._data]
            for key, data in self._cache.get_many(missing).items():
                self._data[keys[key]] = data
            for key, value in self._cache.hashes(self.compiled_from, keys).items():
                self._hashes[keys[key]] = value
        self.read(g for g in ids if g not in self._data)

    def ready(self, guide_id: str) -> bool:
        """This guide's validated data and content hash are at hand (or it is not in this state)."""
        return guide_id not in self.guide_files or (
            guide_id in self._data and guide_id in self._hashes
        )

    def unsaved(self) -> CacheEntries:
        """What this process added to the parse cache and has not written yet."""
        return self._cache.unsaved() if self._cache is not None else CacheEntries()

    def remember(self, entries: CacheEntries) -> None:
        """Add entries made elsewhere (a worker process) to the parse cache."""
        if self._cache is not None:
            self._cache.add(entries)

    def same_file(self, guide_id: str, other: LibraryState) -> bool:
        """The guide's file is byte for byte the same here and in ``other``."""
        rel, theirs = self.guide_files.get(guide_id), other.guide_files.get(guide_id)
        return (
            rel is not None
            and theirs is not None
            and self.content_ids.get(rel) == other.content_ids.get(theirs)
        )

    def data(self, guide_id: str) -> dict[str, Any]:
        """The guide's validated data (``Guide.model_dump(mode="json")``)."""
        if guide_id not in self._data:
            self._data[guide_id] = self.guide(guide_id).model_dump(mode="json")
            if self._cache is not None:
                self._cache.put(self.content_ids[self.guide_files[guide_id]], self._data[guide_id])
        return self._data[guide_id]

    def share(self, guide_id: str, other: LibraryState) -> None:
        """Take ``other``'s validated data for a guide whose file is byte-for-byte the same here."""
        if (
            guide_id not in self._data
            and guide_id in other._data
            and self.same_file(guide_id, other)
        ):
            self._data[guide_id] = other._data[guide_id]

    @property
    def guides(self) -> dict[str, Guide]:
        """Every guide, validated (reads and parses the whole library)."""
        self.read(self.guide_files)
        return {guide_id: self.guide(guide_id) for guide_id in sorted(self.guide_files)}

    def compiled(self, guide_id: str, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """The compiled guide; with ``fields``, only those fields of it."""
        data = self.data(guide_id)
        try:
            if fields is None:
                return compile_data(data, self.catalogues)
            return compile_fields(data, self.catalogues, fields)
        except KeyError as exc:
            self._unresolved(self.guide_files[guide_id], str(exc.args[0]))
            raise  # not reached

    def known_hash(self, guide_id: str) -> str | None:
        """The guide's content hash, when the parse cache or an earlier call gave it."""
        return self._hashes.get(guide_id)

    def content_hash(
        self,
        guide_id: str,
        compiled: dict[str, Any] | None = None,
        reuse: dict[tuple[str, int], Any] | None = None,
    ) -> str:
        """The guide's content hash: the known one, or taken of ``compiled`` (the guide compiled
        in this state; compiled here when not given) and kept in the parse cache.
        ``reuse``: as for :func:`guidesrc.compile.content_hash`."""
        if guide_id not in self._hashes:
            value = content_hash(
                compiled if compiled is not None else self.compiled(guide_id), reuse
            )
            self._hashes[guide_id] = value
            if self._cache is not None:
                content_id = self.content_ids[self.guide_files[guide_id]]
                self._cache.put_hash(self.compiled_from, content_id, value)
        return self._hashes[guide_id]


def _compiled_from(shared_ids: dict[str, str]) -> str:
    """An id of the catalogues' bytes and of the compiler: with a guide's content id, the key
    of its content hash."""
    parts = [f"format {COMPILED_FORMAT}", compiler_fingerprint()]
    parts += [f"{rel} {shared_ids.get(rel)}" for rel in CATALOGUE_FILES.values()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _stem(rel: str) -> str:
    """``guides/dept/hukou.yaml`` → ``hukou``: a guide's id is its file name (`guides check`)."""
    return rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def load_state(
    tree: Tree, cache: ParseCache | None = None, like: LibraryState | None = None
) -> LibraryState:
    """A library state to compare or publish; refuses catalogues that do not validate."""
    return LibraryState(tree, cache, like)


_MODELS: dict[str, type[BaseModel]] = {
    CONFIG_FILE: LibraryConfig,
    CATALOGUE_FILES["materials"]: MaterialCatalogue,
    CATALOGUE_FILES["legal-bases"]: LegalBasisCatalogue,
    CATALOGUE_FILES["offices"]: OfficeCatalogue,
    CATALOGUE_FILES["faq"]: FaqCatalogue,
}


#: The model of each catalogue's entries.
_ENTRY_MODELS: dict[str, type[BaseModel]] = {
    CATALOGUE_FILES["materials"]: Material,
    CATALOGUE_FILES["legal-bases"]: LegalBasis,
    CATALOGUE_FILES["offices"]: Office,
    CATALOGUE_FILES["faq"]: FaqEntry,
}
#: The parse cache's key of a catalogue's parsed data: this, then the file's content id.
_RAW = "catalogue "


def _entries(catalogue: BaseModel | None) -> dict[str, Any]:
    return dict(getattr(catalogue, "entries", {}))


def _legal_refs(materials: Mapping[str, Material]) -> Iterator[str]:
    """The legal bases the materials cite (read from the data, not validating every entry)."""
    if isinstance(materials, Validated):
        for entry in materials.raw.values():
            yield from (entry.get("legal_basis") or ()) if isinstance(entry, dict) else ()
        return
    for material in materials.values():
        yield from material.legal_basis
