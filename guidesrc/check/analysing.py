"""Analysing the files a check found neither in its cache nor unchanged: each file alone
(:mod:`guidesrc.check.analyse`), in forked worker processes when there are many.

:mod:`guidesrc.check.engine` imports this module only when some file must be analysed, so a
check where nothing changed never imports the models.
"""

from __future__ import annotations

import multiprocessing as mp
import os

from guidesrc.approvers_file import parse_approvers
from guidesrc.check import analyse, printable
from guidesrc.check.facts import FileResult
from guidesrc.check.library_rules import CATALOGUE_FILES
from guidesrc.forksafe import can_fork
from guidesrc.libfiles import OVERSIZE
from guidesrc.library import APPROVERS_FILE, CONFIG_FILE, SYNONYMS_FILE, size_limit
from guidesrc.synonyms_file import parse_synonyms
from guidesrc.yamlio import decode

#: Below this many changed files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 400
_pending: list[tuple[str, bytes]] = []  # read by forked workers (inherited, not pickled)


def analyse_all(pending: list[tuple[str, bytes]], jobs: int | None) -> dict[str, FileResult]:
    """Analyse the files not in the cache, in worker processes when there are many."""
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
    kind = _kind_of(rel)
    limit = size_limit(rel)
    size = int(data[len(OVERSIZE) :]) if data.startswith(OVERSIZE) else len(data)
    source = decode(data, rel, limit, size)
    if kind == "guide":
        return analyse.analyse_guide(source)
    if kind == "config":
        return analyse.analyse_config(source)
    if kind == "approvers":
        return FileResult(parse_approvers(source)[1], None)
    if kind == "synonyms":
        return FileResult(parse_synonyms(source)[1], None)
    return analyse.analyse_catalogue(source, kind)


def _kind_of(rel: str) -> str:
    if rel == CONFIG_FILE:
        return "config"
    if rel == APPROVERS_FILE:
        return "approvers"
    if rel == SYNONYMS_FILE:
        return "synonyms"
    for kind, path in CATALOGUE_FILES.items():
        if rel == path:
            return kind
    return "guide"
