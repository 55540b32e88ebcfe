"""`guides check` as a straight list of stages::

    scan → read + hash → analyse each file (cached by content hash) → library rules
         → apply rule levels → locate (line, column) → sorted diagnostics

The cache (``.guides/cache/check.json``) maps each file to the SHA-256 of its bytes and the
result of analysing it; a file whose bytes changed is analysed again, whatever its mtime says.
It is JSON data signed with this machine's cache key (:mod:`guidesrc.cachekey`), read back
through :mod:`guidesrc.check.cachecodec`: a planted or damaged cache file is ignored, never run
and never believed.
A run where nothing changed reads and hashes every file but never imports the models or a YAML
parser, which is what makes it fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import guidesrc
from guidesrc import cachekey
from guidesrc.check import cachecodec
from guidesrc.check.facts import CatalogueFacts, ConfigFacts, FileResult, GuideFacts
from guidesrc.check.library_rules import (
    CATALOGUE_FILES,
    LibraryFacts,
    library_rules,
    template_placeholders,
)
from guidesrc.check.rules import RULES
from guidesrc.diagnostics import Diagnostic, RuleId
from guidesrc.i18n import N_
from guidesrc.libfiles import OVERSIZE, LibraryFiles
from guidesrc.library import (
    APPROVERS_FILE,
    CONFIG_FILE,
    LibraryLayout,
    scan,
    size_limit,
)

CACHE_FILE = "cache/check.json"
LAST_FILE = "cache/check-last.json"
_CODE_DIRS = ("model", "check", "adapters")
_CODE_FILES = (
    "yamlio.py",
    "diagnostics.py",
    "gaps.py",
    "approvers.py",
    "identity.py",
    "config_policy.py",
    "deployment.py",
)


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
    root: Path,
    *,
    use_cache: bool = True,
    strict: bool = False,
    today: dt.date | None = None,
    jobs: int | None = None,
) -> CheckReport:
    """Check the library at ``root``; ``jobs`` processes analyse changed files (default: one per CPU)."""
    layout = scan(root)
    files = LibraryFiles(root)
    sources = _read_all(layout, files)
    fingerprint = code_fingerprint()
    key = _state_key(fingerprint, sources, layout.files, today)
    last = _LastReport(layout.state_dir / LAST_FILE) if use_cache else None
    if last is not None and (report := last.get(key)) is not None:
        files.save()
        return _strict(report, strict)  # nothing changed since the last check

    cache = _Cache(layout.state_dir / CACHE_FILE, fingerprint) if use_cache else None
    results, analysed = _results(sources, files, cache, jobs)
    report = CheckReport(guides=len(layout.guides), files=len(sources), analysed=analysed)
    saving = _in_background(lambda: _save(cache, files, sources, results, analysed))

    diagnostics = [d for result in results.values() for d in result.diagnostics]
    config = results[CONFIG_FILE].facts if CONFIG_FILE in results else None
    config = config if isinstance(config, ConfigFacts) else None
    diagnostics += _missing_catalogues(sources)
    if not layout.guides:
        diagnostics.append(_empty_library())
    timezone = config.timezone if config else None
    facts = _library_facts(layout, results, today or _today(timezone))
    diagnostics += library_rules(facts)
    if config is not None:
        diagnostics += template_placeholders(facts, config.placeholders)

    levels = config.rules if config else {}
    report.diagnostics = _locate(files, sources, _apply_levels(diagnostics, levels, strict=False))
    if last is not None:
        last.save(key, timezone, today, report)
    saving()
    return _strict(report, strict)


def _strict(report: CheckReport, strict: bool) -> CheckReport:
    if not strict:
        return report
    return replace(report, diagnostics=_apply_levels(report.diagnostics, {}, strict=True))


def _state_key(
    fingerprint: str,
    sources: dict[str, str],
    files: frozenset[str],
    today: dt.date | None,
) -> str:
    """What a check's result depends on: the code, every source file, the attachments."""
    digest = hashlib.sha256(fingerprint.encode())
    for rel in sorted(sources):
        digest.update(f"{rel}\0{sources[rel]}\n".encode())
    for rel in sorted(files):
        digest.update(f"{rel}\n".encode())
    digest.update(str(today).encode())
    return digest.hexdigest()


class _LastReport:
    """The last report, with the state it was made from: a re-check of an unchanged library
    needs neither the per-file cache nor the library rules. The date it was made on is part of
    it (rules about laws in force depend on the date)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, key: str) -> CheckReport | None:
        try:
            stored = cachecodec.last_report(cachekey.read_sealed(self.path))
        except (cachecodec.BadShape, ValueError, TypeError):
            return None
        stored_key, timezone, made_on, guides, files, found = stored
        if stored_key != key or made_on != _today(timezone).isoformat():
            return None
        return CheckReport(found, guides, files, 0)

    def save(
        self, key: str, timezone: str | None, today: dt.date | None, report: CheckReport
    ) -> None:
        made_on = _today(timezone)
        if today is not None:
            return  # a report for another day is not kept
        found = [cachecodec.diagnostic_data(d) for d in report.diagnostics]
        cachekey.write_sealed(
            self.path, [key, timezone, made_on, report.guides, report.files, found], _plain
        )


def library_facts(root: Path) -> LibraryFacts:
    """The facts `guides check` knows about every file (from the cache where it can)."""
    layout = scan(root)
    files = LibraryFiles(root)
    sources = _read_all(layout, files)
    cache = _Cache(layout.state_dir / CACHE_FILE, code_fingerprint())
    results, analysed = _results(sources, files, cache, None)
    _save(cache, files, sources, results, analysed)
    config = results[CONFIG_FILE].facts if CONFIG_FILE in results else None
    timezone = config.timezone if isinstance(config, ConfigFacts) else None
    return _library_facts(layout, results, _today(timezone))


def _results(
    sources: dict[str, str], files: LibraryFiles, cache: _Cache | None, jobs: int | None
) -> tuple[dict[str, FileResult], int]:
    """Stage one for every file: from the cache by content hash, else analysed now (counted)."""
    cached = {
        rel: hit
        for rel, digest in sources.items()
        if cache is not None and (hit := cache.get(rel, digest)) is not None
    }
    fresh = _analyse_all(
        [(rel, files.checked_bytes(rel)) for rel in sources if rel not in cached], jobs
    )
    return {rel: cached[rel] if rel in cached else fresh[rel] for rel in sources}, len(fresh)


def _save(
    cache: _Cache | None,
    files: LibraryFiles,
    sources: dict[str, str],
    results: dict[str, FileResult],
    analysed: int,
) -> None:
    files.save()
    if cache is not None and analysed:
        cache.save({rel: (digest, results[rel]) for rel, digest in sources.items()})


def _read_all(layout: LibraryLayout, files: LibraryFiles) -> dict[str, str]:
    """The SHA-256 of every source file (:mod:`guidesrc.libfiles`: read only when changed); an
    oversized file is hashed as a marker with its size.

    A symbolic link, a device or a pipe among them stops the check (:func:`library.read_file`).
    """
    out: dict[str, str] = {}
    for rel in (CONFIG_FILE, APPROVERS_FILE, *CATALOGUE_FILES.values()):
        if (found := files.hashes(rel)) is not None:
            out[rel] = found.sha256
    for rel in layout.guides:  # found by scan, which refused links among the folders
        if (found := files.hashes(rel, folders_checked=True)) is not None:
            out[rel] = found.sha256
    return out


#: Below this many changed files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 400
_pending: list[tuple[str, bytes]] = []  # read by forked workers (inherited, not pickled)


def _analyse_all(pending: list[tuple[str, bytes]], jobs: int | None) -> dict[str, FileResult]:
    """Analyse the files not in the cache, in worker processes when there are many."""
    if not pending:
        return {}  # and the models are never imported
    from guidesrc.check import (
        analyse,  # noqa: F401 - imported once here, inherited by workers
        printable,
    )

    workers = min(jobs or os.cpu_count() or 1, 8)
    if workers < 2 or len(pending) < PARALLEL_MIN_FILES or not can_fork():
        return {rel: _analyse_one(rel, data) for rel, data in pending}
    printable.unprintable("\u4e00")  # the print fonts' character class, made once for all workers
    global _pending
    _pending = pending
    step = -(-len(pending) // (workers * 4))  # a few slices per worker balance uneven files
    slices = [(start, min(start + step, len(pending))) for start in range(0, len(pending), step)]
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_analyse_slice, slices)
    finally:
        _pending = []
    return {rel: result for part in parts for rel, result in part}


def _analyse_slice(bounds: tuple[int, int]) -> list[tuple[str, FileResult]]:
    return [(rel, _analyse_one(rel, data)) for rel, data in _pending[bounds[0] : bounds[1]]]


def _analyse_one(rel: str, data: bytes) -> FileResult:
    from guidesrc.check import analyse
    from guidesrc.yamlio import decode

    kind = _kind_of(rel)
    limit = size_limit(rel)
    size = int(data[len(OVERSIZE) :]) if data.startswith(OVERSIZE) else len(data)
    source = decode(data, rel, limit, size)
    if kind == "guide":
        return analyse.analyse_guide(source)
    if kind == "config":
        return analyse.analyse_config(source)
    if kind == "approvers":
        from guidesrc.approvers import parse_approvers

        return FileResult(parse_approvers(source)[1], None)
    return analyse.analyse_catalogue(source, kind)


def _kind_of(rel: str) -> str:
    if rel == CONFIG_FILE:
        return "config"
    if rel == APPROVERS_FILE:
        return "approvers"
    for kind, path in CATALOGUE_FILES.items():
        if rel == path:
            return kind
    return "guide"


def _library_facts(
    layout: LibraryLayout, results: dict[str, FileResult], today: dt.date
) -> LibraryFacts:
    guides = {rel: r.facts for rel, r in results.items() if isinstance(r.facts, GuideFacts)}
    catalogues = {
        kind: facts
        for kind, rel in CATALOGUE_FILES.items()
        if rel in results and isinstance(facts := results[rel].facts, CatalogueFacts)
    }
    complete = len(guides) == len(layout.guides) and len(catalogues) == len(CATALOGUE_FILES)
    unreadable = frozenset(Path(rel).stem for rel in layout.guides if rel not in guides)
    return LibraryFacts(guides, catalogues, layout.files, complete, today, unreadable)


def _today(timezone: str | None) -> dt.date:
    try:
        zone = ZoneInfo(timezone or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return dt.datetime.now(zone).date()


def _missing_catalogues(sources: dict[str, Any]) -> list[Diagnostic]:
    return [
        Diagnostic(
            RuleId.MISSING_CATALOGUE,
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
        RuleId.EMPTY_LIBRARY,
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
    files: LibraryFiles, sources: dict[str, str], diagnostics: list[Diagnostic]
) -> list[Diagnostic]:
    """Give every diagnostic a line and column; files are composed once, and only if needed."""
    from guidesrc import yamlio

    trees: dict[str, Any] = {}
    out = []
    for d in diagnostics:
        if d.line is None:
            if d.file not in trees:
                data = files.checked_bytes(d.file) if d.file in sources else b""
                trees[d.file] = yamlio.compose(data.decode("utf-8", "replace").lstrip("\ufeff"))
            d = d.located(*yamlio.locate(trees[d.file], d.path, d.at_key))
        out.append(d)
    return sorted(out, key=Diagnostic.sort_key)


def code_fingerprint() -> str:
    """Cached results are only valid for the code that produced them."""
    package = Path(guidesrc.__file__).resolve().parent
    digest = hashlib.sha256(guidesrc.__version__.encode())
    paths = [package / f for f in _CODE_FILES]
    for folder in _CODE_DIRS:
        paths.extend(sorted((package / folder).glob("*.py")))
    for path in paths:
        digest.update(path.read_bytes())
    # library.yaml's channels are checked against the adapters installed (third-party ones too).
    # (guidesrc.adapters.ENTRY_POINT_GROUP, named here so that a check never imports pydantic.)
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group="guidesrc.adapters"), key=lambda ep: (ep.name, ep.value)):
        digest.update(f"{ep.name}={ep.value}\n".encode())
    # The rule unprintable depends on the print fonts installed (their files' identity).
    from guidesrc.check.printable import identity

    digest.update(identity().encode())
    # ... and against the deployment file (which secrets, addresses, folders channels may use).
    from guidesrc import deployment

    digest.update(deployment.identity().encode())
    return digest.hexdigest()


class _Cache:
    """Analysis results by file and content hash, in one sealed JSON file written atomically.

    Entries are decoded when asked for: one of the wrong shape is analysed again."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.entries: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        stored = cachekey.read_sealed(self.path)
        if not isinstance(stored, dict) or stored.get("fingerprint") != self.fingerprint:
            return {}
        entries = stored.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, rel: str, digest: str) -> FileResult | None:
        hit = self.entries.get(rel)
        if type(hit) is not list or len(hit) != 2 or hit[0] != digest:
            return None
        try:
            return cachecodec.result(hit[1])
        except (cachecodec.BadShape, ValueError, TypeError):
            return None

    def save(self, entries: dict[str, tuple[str, FileResult]]) -> None:
        data = {rel: [digest, cachecodec.result_data(r)] for rel, (digest, r) in entries.items()}
        cachekey.write_sealed(self.path, {"fingerprint": self.fingerprint, "entries": data}, _plain)


def can_fork() -> bool:
    """Forking is safe here: the platform has it and this process runs no other thread (a
    forked child of a threaded process can deadlock on a lock another thread held)."""
    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


def _in_background(work: Callable[[], None]) -> Callable[[], None]:
    """Run ``work`` (writing a cache) in a forked process while this one goes on; the returned
    function waits for it. Where fork is missing, or fails, ``work`` runs here and now."""
    if not can_fork():
        work()
        return lambda: None
    try:
        pid = os.fork()
    except OSError:
        work()
        return lambda: None
    if pid == 0:  # the child: write, and leave without running the parent's clean-up
        try:
            work()
        finally:
            os._exit(0)

    def wait() -> None:
        os.waitpid(pid, 0)

    return wait


def _plain(value: Any) -> Any:
    """Named tuples (facts) as JSON lists."""
    if isinstance(value, tuple):
        return list(value)
    raise TypeError
