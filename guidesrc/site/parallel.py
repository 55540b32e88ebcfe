"""A full site build shared between this process and one forked worker (both cores busy to the
end; the worker's failures come back through a pipe)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence

from guidesrc.errors import ChannelError, FailedElsewhere
from guidesrc.i18n import _
from guidesrc.lanes import can_fork_lanes, described, fork_child

PARALLEL_MIN = 400  # guides: below this a full build runs in one process


CHUNK = 50  # guides a process takes at a time in a parallel full build


def shared_work(
    ids: Sequence[str],
    work: Callable[[Sequence[str]], dict[str, Exception]],
    alone: Callable[[], None],
) -> dict[str, Exception]:
    """``work`` over ``ids`` in chunks, and ``alone`` once; the guides ``work`` could not do.
    Where forking is safe and useful, a forked worker takes chunks from the start while this
    process does ``alone`` and then takes chunks too (a shared counter hands them out), so both
    cores stay busy to the end. The worker sends its failures back through a pipe (the
    message and the traceback: :class:`FailedElsewhere`)."""
    if len(ids) < PARALLEL_MIN or not can_fork_lanes():
        alone()
        return work(ids)
    counter = multiprocessing.get_context("fork").Value("l", 0)
    broken: dict[str, Exception] = {}

    def take_chunks() -> None:
        while True:
            with counter.get_lock():
                start = counter.value
                counter.value = start + CHUNK
            if start >= len(ids):
                return
            broken.update(work(ids[start : start + CHUNK]))

    def worker() -> dict[str, tuple[str, str]]:  # the forked worker's chunks, its failures
        take_chunks()
        return {gid: described(exc) for gid, exc in broken.items()}

    child = fork_child(worker)
    try:
        alone()
        take_chunks()
    finally:
        sent, _status = child.collect()
    if sent is None:
        raise ChannelError(_("building the site failed in a worker process (see above)"))
    for gid, (message, detail) in sent.items():
        broken[gid] = FailedElsewhere(message, detail)
    return broken
