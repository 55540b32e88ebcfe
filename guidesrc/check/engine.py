"""`guides check` as a straight list of stages::

    scan → read + hash → analyse each file (cached by content hash) → library rules
         → apply rule levels → locate (line, column) → sorted diagnostics

Each file's result is kept by its SHA-256 in ``.guides/cache/check.sqlite``, one row per file
(:mod:`guidesrc.check.resultcache`); a file whose bytes changed is analysed again, whatever its
mtime says. The last report is kept with what it was made from
(:mod:`guidesrc.check.incremental`): a check after a change of guide files re-derives what those
files touch and reads the rows of those files only. Both are sealed with this machine's cache
key (:mod:`guidesrc.cachekey`) and read back through :mod:`guidesrc.check.cachecodec`: a planted
or damaged cache is ignored, never run and never believed.
A run where nothing changed reads and hashes every file but never imports the models, which is
what makes it fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

import yaml_rs

import guidesrc
from guidesrc import deployment
from guidesrc.check import dates, incremental, printable
from guidesrc.check.facts import ConfigFacts, FileResult, GuideFacts
from guidesrc.check.findings import Locator, apply_levels, library_own, today_in
from guidesrc.check.library_rules import CATALOGUE_FILES, LibraryFacts
from guidesrc.check.resultcache import CACHE_FILE, ResultCache
from guidesrc.deferred import deferred
from guidesrc.diagnostics import Diagnostic, LevelCounts
from guidesrc.forksafe import can_fork
from guidesrc.libfiles import LibraryFiles
from guidesrc.library import (
    APPROVERS_FILE,
    CONFIG_FILE,
    SYNONYMS_FILE,
    LibraryLayout,
    scan,
)
from guidesrc.yamlio import parse_bytes

if TYPE_CHECKING:
    from guidesrc.check import analysing
else:  # the content models (0.1 s to import), only when a file must be analysed
    analysing = deferred("guidesrc.check.analysing")

LAST_FILE = "cache/check-last.json"
_CODE_DIRS = ("model", "check", "adapters")
_CODE_FILES = (
    "yamlio.py",
    "diagnostics.py",
    "gaps.py",
    "approvers.py",
    "approvers_file.py",
    "synonyms_file.py",
    "identity.py",
    "config_policy.py",
    "deployment.py",
)


@dataclass(slots=True)
class CheckReport(LevelCounts):
    diagnostics: list[Diagnostic] = field(default_factory=list)
    guides: int = 0
    files: int = 0
    analysed: int = 0  # files analysed in this run (the rest came from the cache)

    def levels(self) -> Iterator[str]:
        return (d.severity for d in self.diagnostics)


@dataclass(slots=True)
class Checked:
    """A check and what it read: the layout scanned and the files hashed (a working-tree state
    loaded after it takes them instead of scanning and hashing again)."""

    report: CheckReport
    layout: LibraryLayout
    files: LibraryFiles
    fingerprint: str  # of the checking code (:func:`code_fingerprint`)
    timezone: str | None = None  # library.yaml's, as the check read it


def check_library(
    root: Path,
    *,
    use_cache: bool = True,
    strict: bool = False,
    today: dt.date | None = None,
    jobs: int | None = None,
) -> CheckReport:
    """Check the library at ``root``; ``jobs`` processes analyse changed files (default: one per CPU)."""
    checked = check_pass(root, use_cache=use_cache, today=today, jobs=jobs)
    report = checked.report
    past = dates.past_dates(
        root, checked.files, checked.layout.guides, today or today_in(checked.timezone)
    )
    if past:  # not cached: whether a file changed since HEAD changes with every commit
        levels = _rule_levels(checked.files)
        report = replace(
            report, diagnostics=[*report.diagnostics, *apply_levels(past, levels, strict=False)]
        )
    if not strict:
        return report
    return replace(report, diagnostics=apply_levels(report.diagnostics, {}, strict=True))


def check_pass(
    root: Path, *, use_cache: bool = True, today: dt.date | None = None, jobs: int | None = None
) -> Checked:
    """The check of the library at ``root`` (levels applied, not ``--strict``), with what it read."""
    layout = scan(root)
    files = LibraryFiles(root)
    sources = _read_all(layout, files)
    fingerprint = code_fingerprint()
    attachments = incremental.attachments_digest(layout.files)
    path = layout.state_dir / LAST_FILE
    last = incremental.load(path) if use_cache and today is None else None
    if last is not None and (
        last.fingerprint != fingerprint
        or last.attachments != attachments
        or last.made_on != today_in(last.timezone).isoformat()
    ):
        last = None
    cache = ResultCache(layout.state_dir / CACHE_FILE, fingerprint) if use_cache else None
    try:
        if last is not None and last.sources == sources:
            files.save()
            return Checked(
                _report(last, 0), layout, files, fingerprint, last.timezone
            )  # nothing changed since the last check
        if last is not None and cache is not None:
            now = incremental.Change(layout, sources, files.checked_bytes, _analyser(files, jobs))
            if (found := incremental.update(last, now, cache)) is not None:
                kept, fresh = found
                _save(cache, files, sources, fresh)
                incremental.save(path, kept)
                return Checked(_report(kept, len(fresh)), layout, files, fingerprint, kept.timezone)
        kept, analysed = _whole(
            layout, files, sources, cache, (fingerprint, attachments, jobs, today)
        )
    finally:
        if cache is not None:
            cache.close()
    if use_cache and today is None:
        incremental.save(path, kept)
    return Checked(_report(kept, analysed), layout, files, fingerprint, kept.timezone)


def _rule_levels(files: LibraryFiles) -> dict[str, str]:
    """library.yaml's ``rules:`` levels, read from its text (the check has validated it)."""
    try:
        data = parse_bytes(files.read(CONFIG_FILE) or b"")
    except (ValueError, yaml_rs.YAMLDecodeError):
        return {}
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, dict):
        return {}
    return {str(k): str(v) for k, v in rules.items()}


def _report(kept: incremental.LastCheck, analysed: int) -> CheckReport:
    guides, count = kept.counts
    return CheckReport(kept.diagnostics(), guides, count, analysed)


def _whole(
    layout: LibraryLayout,
    files: LibraryFiles,
    sources: dict[str, str],
    cache: ResultCache | None,
    how: tuple[str, str, int | None, dt.date | None],
) -> tuple[incremental.LastCheck, int]:
    """The whole check: every file's result (from the cache where it can), every rule."""
    fingerprint, attachments, jobs, today = how
    results, fresh = _results(sources, files, cache, jobs)
    if cache is not None:
        cache.close()  # the writer below opens its own
    saving = _in_background(lambda: _save(cache, files, sources, fresh))
    config = results[CONFIG_FILE].facts if CONFIG_FILE in results else None
    config = config if isinstance(config, ConfigFacts) else None
    timezone = config.timezone if config else None
    day = today or today_in(timezone)
    facts = _library_facts(layout, results, day)
    own, library, index = incremental.whole(facts, results, config)
    library += library_own(sources, len(layout.guides))
    levels = config.rules if config else {}
    locate = Locator(files.checked_bytes)
    located = {rel: locate(apply_levels(found, levels, strict=False)) for rel, found in own.items()}
    kept = incremental.LastCheck(
        fingerprint,
        day.isoformat(),
        timezone,
        attachments,
        dict(sources),
        {rel: incremental.guide_key(guide) for rel, guide in facts.guides.items()},
        index.used,
        {rel: found for rel, found in located.items() if found},
        locate(apply_levels(library, levels, strict=False)),
        (len(layout.guides), len(sources)),
    )
    saving()
    return kept, len(fresh)


def library_facts(root: Path) -> LibraryFacts:
    """The facts `guides check` knows about every file (from the cache where it can)."""
    layout = scan(root)
    files = LibraryFiles(root)
    sources = _read_all(layout, files)
    cache = ResultCache(layout.state_dir / CACHE_FILE, code_fingerprint())
    try:
        results, fresh = _results(sources, files, cache, None)
        _save(cache, files, sources, fresh)
    finally:
        cache.close()
    config = results[CONFIG_FILE].facts if CONFIG_FILE in results else None
    timezone = config.timezone if isinstance(config, ConfigFacts) else None
    return _library_facts(layout, results, today_in(timezone))


def _results(
    sources: dict[str, str], files: LibraryFiles, cache: ResultCache | None, jobs: int | None
) -> tuple[dict[str, FileResult], dict[str, FileResult]]:
    """Stage one for every file: from the cache by content hash, else analysed now (the second
    mapping)."""
    cached = cache.get_many(sources) if cache is not None else {}
    fresh = _analyser(files, jobs)([rel for rel in sources if rel not in cached])
    return {rel: cached[rel] if rel in cached else fresh[rel] for rel in sources}, fresh


def _analyser(
    files: LibraryFiles, jobs: int | None
) -> Callable[[list[str]], dict[str, FileResult]]:
    def analyse(rels: list[str]) -> dict[str, FileResult]:
        return _analyse_all([(rel, files.checked_bytes(rel)) for rel in rels], jobs)

    return analyse


def _save(
    cache: ResultCache | None,
    files: LibraryFiles,
    sources: dict[str, str],
    fresh: dict[str, FileResult],
) -> None:
    files.save()
    if cache is not None and fresh:
        cache.put_many({rel: (sources[rel], result) for rel, result in fresh.items()})


def _read_all(layout: LibraryLayout, files: LibraryFiles) -> dict[str, str]:
    """The SHA-256 of every source file (:mod:`guidesrc.libfiles`: read only when changed); an
    oversized file is hashed as a marker with its size.

    A symbolic link, a device or a pipe among them stops the check (:func:`library.read_file`).
    """
    out: dict[str, str] = {}
    for rel in (CONFIG_FILE, APPROVERS_FILE, SYNONYMS_FILE, *CATALOGUE_FILES.values()):
        if (found := files.hashes(rel)) is not None:
            out[rel] = found.sha256
    for rel in layout.guides:  # found by scan, which refused links among the folders
        if (found := files.hashes(rel, folders_checked=True)) is not None:
            out[rel] = found.sha256
    return out


def _analyse_all(pending: list[tuple[str, bytes]], jobs: int | None) -> dict[str, FileResult]:
    """Analyse the files not in the cache (:mod:`guidesrc.check.analysing`)."""
    if not pending:
        return {}  # and the models are never imported
    return analysing.analyse_all(pending, jobs)


def _library_facts(
    layout: LibraryLayout, results: dict[str, FileResult], today: dt.date
) -> LibraryFacts:
    guides = {rel: r.facts for rel, r in results.items() if isinstance(r.facts, GuideFacts)}
    return incremental.library_facts(layout, results, guides, today, guides)


def code_fingerprint() -> str:
    """Cached results are only valid for the code that produced them."""
    digest = hashlib.sha256(_code_digest())
    # library.yaml's channels are checked against the adapters installed (third-party ones too).
    # (guidesrc.adapters.ENTRY_POINT_GROUP, named here so that a check never imports pydantic.)
    for ep in sorted(entry_points(group="guidesrc.adapters"), key=lambda ep: (ep.name, ep.value)):
        digest.update(f"{ep.name}={ep.value}\n".encode())
    # The rule unprintable depends on the print fonts installed (their files' identity).
    digest.update(printable.identity().encode())
    # ... and against the deployment file (which secrets, addresses, folders channels may use).
    digest.update(deployment.identity().encode())
    return digest.hexdigest()


@cache
def _code_digest() -> bytes:
    """The checking code's own files, read once per process (the code a process runs does not
    change under it; the adapters installed, the fonts and the deployment file may)."""
    package = Path(guidesrc.__file__).resolve().parent
    digest = hashlib.sha256(guidesrc.__version__.encode())
    paths = [package / f for f in _CODE_FILES]
    for folder in _CODE_DIRS:
        paths.extend(sorted((package / folder).glob("*.py")))
    for path in paths:
        digest.update(path.read_bytes())
    return digest.digest()


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
