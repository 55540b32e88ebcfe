"""A channel delivered in a forked process of its own, beside the channels this process delivers.

``guides publish`` delivers the file channels one after another in its main thread, and the
printable channel in a thread beside them; Python runs one thread at a time, so the channels'
Python work (a site's pages and lists, every channel's signing) adds up. A channel that declares
itself ``heavy`` (:attr:`guidesrc.adapters.Adapter.heavy`: the site) is delivered in a child
process forked before any thread starts, so that both cores work. The child delivers and signs
its channel as the main thread would (its own database connections; the ledger rows are
committed by the child), sends back its outcomes and signatures, and ends with ``os._exit``
(none of this process's clean-ups run twice).

A child that fails sends its exception's message and traceback
(:class:`~guidesrc.errors.FailedElsewhere`); a child killed (the OOM killer, ``kill -9``) leaves
its claimed deliveries ``sending``, which the next run completes, and the run ends with a
:class:`~guidesrc.errors.ChannelError` naming the channel. Fault injection's "crash" kills the
parent with the child (:func:`guidesrc.faults.forked`): a power cut stops every process.

The fork, the pipe and the child's end (:func:`fork_child`) also serve the site's full build,
shared with a forked worker (:mod:`guidesrc.site.parallel`).
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guidesrc import faults
from guidesrc.errors import ChannelError, FailedElsewhere
from guidesrc.forksafe import can_fork
from guidesrc.i18n import _


def can_fork_lanes() -> bool:
    """Forking is safe (no other thread yet) and useful (more than one core)."""
    return (os.cpu_count() or 1) > 1 and can_fork()


@dataclass(slots=True)
class Forked:
    """A forked child process whose work's answer comes back through a pipe (:func:`fork_child`)."""

    pid: int
    pipe: int  # the read end: the child's pickled answer
    done: bool = False

    def collect(self) -> tuple[Any, int]:
        """Wait for the child: what its work returned (None when it ended without a whole
        answer: it raised, or was killed) and its wait status."""
        self.done = True
        with os.fdopen(self.pipe, "rb") as incoming:
            received = incoming.read()
        _pid, status = os.waitpid(self.pid, 0)
        # A child killed while it wrote leaves part of an answer: read only a whole one.
        whole = os.waitstatus_to_exitcode(status) == 0 and received
        return (pickle.loads(received) if whole else None), status

    def wait(self) -> None:
        """Wait for the child if :meth:`collect` did not (this process failed meanwhile)."""
        if not self.done:
            self.collect()


def fork_child(work: Callable[[], Any]) -> Forked:
    """Run ``work`` in a forked child, which sends what it returns (picklable, not None) through
    a pipe and ends with ``os._exit`` (none of this process's clean-ups run twice); a ``work``
    that raises prints its traceback and ends the child with exit status 1."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child(read_end, write_end, work)
    os.close(write_end)
    return Forked(pid, read_end)


def _child(read_end: int, write_end: int, work: Callable[[], Any]) -> None:
    code = 1
    try:
        os.close(read_end)
        data = pickle.dumps(work())
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


@dataclass(slots=True)
class Lane:
    """A child process delivering one channel."""

    channel: str
    child: Forked

    def result(self) -> Any:
        """Wait for the child; what its work returned. FailedElsewhere when it raised,
        ChannelError when it ended without an answer."""
        answer, status = self.child.collect()
        if answer is None:
            raise ChannelError(
                _(
                    "channel {channel}: the process delivering it ended abnormally ({status}); the next guides publish completes its deliveries"
                ).format(channel=self.channel, status=_status_text(status))
            )
        kind, *rest = answer
        if kind == "error":
            raise FailedElsewhere(*rest)
        return rest[0]

    def wait(self) -> None:
        """Wait for the child if :meth:`result` did not (this process failed meanwhile)."""
        self.child.wait()


def fork_lane(channel: str, work: Callable[[], Any], start: Callable[[], None]) -> Lane:
    """Run ``work`` in a forked child (``start`` first, there: fresh database connections);
    :meth:`Lane.result` waits for what it returns (picklable)."""
    parent = os.getpid()

    def answer() -> tuple[Any, ...]:
        faults.forked(parent)
        start()
        try:
            return ("ok", work())
        except Exception as exc:
            return ("error", *described(exc))

    return Lane(channel, fork_child(answer))


def described(exc: BaseException) -> tuple[str, str]:
    """An exception as another process receives it (:class:`FailedElsewhere`'s arguments): its
    message and its traceback."""
    return str(exc), "".join(traceback.format_exception(exc))


def _status_text(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    return f"signal {-code}" if code < 0 else f"exit {code}"
