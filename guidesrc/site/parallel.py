"""A full site build shared between this process and one forked worker (both cores busy to the
end; the worker's failures come back through a pipe)."""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Sequence

import orjson

from guidesrc.errors import ChannelError, FailedElsewhere
from guidesrc.forksafe import can_fork
from guidesrc.i18n import _

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
    if len(ids) < PARALLEL_MIN or (os.cpu_count() or 1) < 2 or not can_fork():
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

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: chunks, then exit without running the parent's clean-ups
        code = 1
        try:
            os.close(read_end)
            take_chunks()
            sent = {
                gid: [str(exc), "".join(traceback.format_exception(exc))]
                for gid, exc in broken.items()
            }
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(orjson.dumps(sent))
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        alone()
        take_chunks()
    finally:
        with os.fdopen(read_end, "rb") as incoming:
            received = incoming.read()
        _pid, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise ChannelError(_("building the site failed in a worker process (see above)"))
    for gid, (message, detail) in orjson.loads(received or b"{}").items():
        broken[gid] = FailedElsewhere(message, detail)
    return broken
