"""`guides check` as a straight list of stages::

    scan → read + hash → analyse each file (cached by content hash) → library rules
         → apply rule levels → locate (line, column) → sorted diagnostics

The cache (``.guides/cache/check.pickle``) maps each file to the SHA-256 of its bytes and the
result of analysing it; a file whose bytes changed is analysed again, whatever its mtime says.
A run where nothing changed reads and hashes every file but never imports the models or a YAML
parser, which is what makes it fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import guidesrc
from guidesrc.check.library_rules import CATALOGUE_FILES, LibraryFacts, library_rules
from guidesrc.check.rules import RULES
from guidesrc.diagnostics import Diagnostic
from guidesrc.errors import LibraryIOError
from guidesrc.i18n import N_, _
from guidesrc.library import (
    CONFIG_FILE,
    MAX_CATALOGUE_BYTES,
    MAX_GUIDE_BYTES,
    LibraryLayout,
    scan,
)

if TYPE_CHECKING:
    from guidesrc.check.analyse import FileResult

CACHE_FILE = "cache/check.pickle"
_CODE_DIRS = ("model", "check")
_CODE_FILES = ("yamlio.py", "diagnostics.py")


@dataclass(slots=True)
class CheckReport:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    guides: int = 0
    files: int = 0
    analysed: int = 0  # files analysed in this run (the rest came from the cache)

    @property
    def errors(self) -> int:
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity == "warning" for d in self.diagnostics)


def check_library(
    root: Path, *, use_cache: bool = True, strict: bool = False, today: dt.date | None = None
) -> CheckReport:
    layout = scan(root)
    sources = _read_all(layout)
    cache = _Cache(layout.state_dir / CACHE_FILE, _code_fingerprint()) if use_cache else None
    results = {rel: _analyse(rel, data, digest, cache) for rel, (data, digest) in sources.items()}
    report = CheckReport(guides=len(layout.guides), files=len(sources))
    report.analysed = sum(1 for r in results.values() if r[1])
    if cache is not None and report.analysed:
        cache.save({rel: (digest, results[rel][0]) for rel, (_d, digest) in sources.items()})

    diagnostics = [d for result, _fresh in results.values() for d in result.diagnostics]
    config = results[CONFIG_FILE][0].facts if CONFIG_FILE in results else None
    diagnostics += _missing_catalogues(sources)
    if not layout.guides:
        diagnostics.append(_empty_library())
    facts = _library_facts(layout, results, today or _today(config))
    diagnostics += library_rules(facts)

    levels = dict(getattr(config, "rules", {}) or {})
    report.diagnostics = _locate(root, sources, _apply_levels(diagnostics, levels, strict))
    return report


def _read_all(layout: LibraryLayout) -> dict[str, tuple[bytes, str]]:
    """Bytes and SHA-256 of every source file; an oversized file is read only up to its limit."""
    rels = [CONFIG_FILE, *CATALOGUE_FILES.values(), *layout.guides]
    out: dict[str, tuple[bytes, str]] = {}
    for rel in rels:
        limit = MAX_GUIDE_BYTES if _kind_of(rel) == "guide" else MAX_CATALOGUE_BYTES
        try:
            with (layout.root / rel).open("rb") as fh:
                data = fh.read(limit + 1)
                if len(data) > limit:  # keep the true size for the message, not the bytes
                    data = _OVERSIZE + str(os.fstat(fh.fileno()).st_size).encode()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise LibraryIOError(
                _("{file}: cannot read: {error}").format(file=rel, error=exc.strerror)
            ) from exc
        out[rel] = (data, hashlib.sha256(data).hexdigest())
    return out


_OVERSIZE = b"\x00guides-oversize:"


def _analyse(rel: str, data: bytes, digest: str, cache: _Cache | None) -> tuple[FileResult, bool]:
    """The file's result and whether it was computed now (False: from the cache)."""
    if cache is not None:
        hit = cache.get(rel, digest)
        if hit is not None:
            return hit, False
    from guidesrc.check import analyse  # imported only when some file changed
    from guidesrc.yamlio import decode

    kind = _kind_of(rel)
    limit = MAX_GUIDE_BYTES if kind == "guide" else MAX_CATALOGUE_BYTES
    size = int(data[len(_OVERSIZE) :]) if data.startswith(_OVERSIZE) else len(data)
    source = decode(data, rel, limit, size)
    if kind == "guide":
        return analyse.analyse_guide(source), True
    if kind == "config":
        return analyse.analyse_config(source), True
    return analyse.analyse_catalogue(source, kind), True


def _kind_of(rel: str) -> str:
    if rel == CONFIG_FILE:
        return "config"
    for kind, path in CATALOGUE_FILES.items():
        if rel == path:
            return kind
    return "guide"


def _library_facts(layout: LibraryLayout, results: dict[str, Any], today: dt.date) -> LibraryFacts:
    from guidesrc.check.analyse import CatalogueFacts, GuideFacts

    guides = {rel: r.facts for rel, (r, _f) in results.items() if isinstance(r.facts, GuideFacts)}
    catalogues = {
        kind: results[rel][0].facts
        for kind, rel in CATALOGUE_FILES.items()
        if rel in results and isinstance(results[rel][0].facts, CatalogueFacts)
    }
    complete = len(guides) == len(layout.guides) and len(catalogues) == len(CATALOGUE_FILES)
    unreadable = frozenset(Path(rel).stem for rel in layout.guides if rel not in guides)
    return LibraryFacts(guides, catalogues, layout.files, complete, today, unreadable)


def _today(config: Any) -> dt.date:
    try:
        zone = ZoneInfo(getattr(config, "timezone", None) or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return dt.datetime.now(zone).date()


def _missing_catalogues(sources: dict[str, Any]) -> list[Diagnostic]:
    return [
        Diagnostic(
            "missing-catalogue",
            "error",
            rel,
            message=N_("the catalogue file is missing"),
            hint=N_('create it with "entries: {{}}" (guides init creates all catalogues)'),
            line=1,
            column=1,
        )
        for rel in CATALOGUE_FILES.values()
        if rel not in sources
    ]


def _empty_library() -> Diagnostic:
    return Diagnostic(
        "empty-library",
        "error",
        "guides/",
        message=N_("the library holds no guides"),
        hint=N_("add one YAML file per service item under guides/, e.g. guides/hukou-qianru.yaml"),
        line=1,
        column=1,
    )


def _apply_levels(
    diagnostics: Iterable[Diagnostic], levels: dict[str, str], strict: bool
) -> list[Diagnostic]:
    out = []
    for d in diagnostics:
        level = levels.get(d.rule, RULES[d.rule].severity)
        if level == "off":
            continue
        if strict and level == "warning":
            level = "error"
        out.append(d if d.severity == level else replace(d, severity=level))  # type: ignore[arg-type]
    return out


def _locate(
    root: Path, sources: dict[str, tuple[bytes, str]], diagnostics: list[Diagnostic]
) -> list[Diagnostic]:
    """Give every diagnostic a line and column; files are composed once, and only if needed."""
    from guidesrc import yamlio

    trees: dict[str, Any] = {}
    out = []
    for d in diagnostics:
        if d.line is None:
            if d.file not in trees:
                data = sources.get(d.file, (b"", ""))[0]
                trees[d.file] = yamlio.compose(data.decode("utf-8", "replace").lstrip("\ufeff"))
            d = d.located(*yamlio.locate(trees[d.file], d.path, d.at_key))
        out.append(d)
    return sorted(out, key=Diagnostic.sort_key)


def _code_fingerprint() -> str:
    """Cached results are only valid for the code that produced them."""
    package = Path(guidesrc.__file__).resolve().parent
    digest = hashlib.sha256(guidesrc.__version__.encode())
    paths = [package / f for f in _CODE_FILES]
    for folder in _CODE_DIRS:
        paths.extend(sorted((package / folder).glob("*.py")))
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


class _Cache:
    """Analysis results by file and content hash, in one pickle written atomically."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.entries: dict[str, tuple[str, FileResult]] = self._load()

    def _load(self) -> dict[str, tuple[str, FileResult]]:
        try:
            with self.path.open("rb") as fh:
                stored = pickle.load(fh)
        except FileNotFoundError:
            return {}
        except Exception:
            return {}
        if not isinstance(stored, dict) or stored.get("fingerprint") != self.fingerprint:
            return {}
        entries = stored.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, rel: str, digest: str) -> FileResult | None:
        hit = self.entries.get(rel)
        return hit[1] if hit is not None and hit[0] == digest else None

    def save(self, entries: dict[str, tuple[str, FileResult]]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".check-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"fingerprint": self.fingerprint, "entries": entries}, fh, protocol=5)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only library still checks; it is only slower next time
