"""One way to spread work over processes: :func:`parallel_map` on :mod:`concurrent.futures`.

Workers are new interpreters (``spawn``), never forks of the calling process: a fork copies
whatever threads and native state the caller holds (Typst's compiler threads, an open database
connection) into a child that cannot use them safely. A worker keeps its own state for the whole
map (a compiler, say): ``setup`` makes it once per worker. Being children of the caller,
the workers are waited for when the map ends, so their CPU time counts as the caller's children's
(``getrusage(RUSAGE_CHILDREN)``, what ``time`` and the benchmarks report).

Workers start with mimalloc as their C allocator where it is installed (Debian
``libmimalloc2.0``; :func:`worker_allocator`). Typst's compiler, what the workers run, allocates
and frees many small blocks: with glibc's allocator that was about a seventh of a worker's CPU
(``perf``: ``_int_malloc``, ``_int_free``, ``malloc_consolidate``), and a sheet takes 10–14 %
less CPU with mimalloc, the PDF bytes unchanged. ``GUIDES_WORKER_MALLOC=system`` keeps glibc's.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing as mp
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import cache, partial
from typing import Any, TypeVar

from guidesrc.errors import DeploymentError
from guidesrc.i18n import _

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

#: Chunks a worker is sent at most, counted per worker: small enough that the workers finish
#: together, large enough that sending them costs little.
CHUNKS_PER_WORKER = 8
MAX_CHUNK = 32

_state: Any = None  # in a worker: what ``setup`` made, for every item of the map

#: The workers' C allocator: "mimalloc" (the default, where installed) or "system" (glibc's).
MALLOC_ENV = "GUIDES_WORKER_MALLOC"
MALLOC_CHOICES = ("mimalloc", "system")


def default_workers(limit: int | None = None) -> int:
    """One worker per CPU (at most ``limit``)."""
    count = os.cpu_count() or 1
    return count if limit is None else max(1, min(count, limit))


def parallel_map(
    fn: Callable[[S, T], R],
    items: Sequence[T],
    workers: int,
    setup: Callable[..., S],
    args: tuple[Any, ...] = (),
    *,
    min_items: int = 2,
    here: Callable[[], S] | None = None,
) -> Iterator[R]:
    """``fn(state, item)`` for each item, in order; ``state`` is ``setup(*args)``, made once per
    process (a compiler, say).

    With fewer than ``min_items`` items or fewer than two ``workers``, the items are computed in
    this process (with the state ``here()`` gives, when the caller keeps one, else a new one):
    starting a worker costs an interpreter and ``setup``. Otherwise ``workers`` new processes
    compute them. ``fn`` and ``setup`` must be module-level functions (they are sent by name).
    An exception raised by ``fn`` ends the map (it is raised here): a caller whose items may fail
    one by one returns the exception as the item's result instead. Results are yielded as they
    come, so the caller works on the first while the workers compute the next.
    """
    if workers < 2 or len(items) < min_items:
        state = here() if here is not None else setup(*args)
        for item in items:
            yield fn(state, item)
        return
    chunk = max(1, min(MAX_CHUNK, len(items) // (workers * CHUNKS_PER_WORKER)))
    preload = worker_allocator()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("spawn"),
        initializer=_start,
        initargs=(setup, args),
    ) as pool:
        with _preloading(preload):  # the workers start as the map is submitted, all at once
            results = pool.map(partial(_call, fn), items, chunksize=chunk)
        yield from results


@cache
def worker_allocator() -> str | None:
    """The library the workers preload as their C allocator (None: glibc's), as
    :data:`MALLOC_ENV` chooses; DeploymentError for a value it does not know."""
    choice = os.environ.get(MALLOC_ENV, "").strip() or "mimalloc"
    if choice not in MALLOC_CHOICES:
        raise DeploymentError(
            _(
                "{name}={value}: unknown allocator; use one of {choices} (mimalloc, the default, needs the Debian package libmimalloc2.0)"
            ).format(name=MALLOC_ENV, value=choice, choices=", ".join(MALLOC_CHOICES))
        )
    return ctypes.util.find_library("mimalloc") if choice == "mimalloc" else None


@contextmanager
def _preloading(library: str | None) -> Iterator[None]:
    """``LD_PRELOAD`` names ``library`` for the processes started in the block (a spawned
    worker inherits this process's environment), and is as it was after."""
    if library is None:
        yield
        return
    before = os.environ.get("LD_PRELOAD")
    os.environ["LD_PRELOAD"] = f"{library} {before}" if before else library
    try:
        yield
    finally:
        if before is None:
            del os.environ["LD_PRELOAD"]
        else:
            os.environ["LD_PRELOAD"] = before


def _start(setup: Callable[..., object], args: tuple[Any, ...]) -> None:
    global _state
    _die_with_parent()
    _state = setup(*args)


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """A worker ends with the process that started it: a publisher killed while its workers
    print (SIGKILL, the OOM killer) leaves no worker behind, holding its memory and its pipes.
    Linux only (elsewhere a worker ends when its parent closes the pool)."""
    if not sys.platform.startswith("linux"):
        return
    starter = mp.parent_process()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if starter is not None and os.getppid() != starter.pid:  # it died before we asked
        os._exit(1)


def _call(fn: Callable[[Any, T], R], item: T) -> R:
    return fn(_state, item)
