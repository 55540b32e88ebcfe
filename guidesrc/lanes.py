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
class Lane:
    """A child process delivering one channel."""

    channel: str
    pid: int
    pipe: int  # the read end: the child's pickled answer
    done: bool = False

    def result(self) -> Any:
        """Wait for the child; what its work returned. FailedElsewhere when it raised,
        ChannelError when it ended without an answer."""
        received, status = self._collect()
        # A child killed while it wrote leaves part of an answer: read only a whole one.
        whole = os.waitstatus_to_exitcode(status) == 0 and received
        answer = pickle.loads(received) if whole else None
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
        if not self.done:
            self._collect()

    def _collect(self) -> tuple[bytes, int]:
        self.done = True
        with os.fdopen(self.pipe, "rb") as incoming:
            received = incoming.read()
        _pid, status = os.waitpid(self.pid, 0)
        return received, status


def fork_lane(channel: str, work: Callable[[], Any], start: Callable[[], None]) -> Lane:
    """Run ``work`` in a forked child (``start`` first, there: fresh database connections);
    :meth:`Lane.result` waits for what it returns (picklable)."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child(read_end, write_end, parent, work, start)
    os.close(write_end)
    return Lane(channel, pid, read_end)


def _child(
    read_end: int, write_end: int, parent: int, work: Callable[[], Any], start: Callable[[], None]
) -> None:
    code = 1
    try:
        os.close(read_end)
        faults.forked(parent)
        start()
        try:
            answer: tuple[Any, ...] = ("ok", work())
        except Exception as exc:
            answer = ("error", str(exc), "".join(traceback.format_exception(exc)))
        data = pickle.dumps(answer)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def _status_text(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    return f"signal {-code}" if code < 0 else f"exit {code}"
