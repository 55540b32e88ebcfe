"""Named points where a test can make the process crash or fail, to prove crash safety.

``GUIDES_FAULT=<point>`` kills the process with SIGKILL when it reaches ``<point>`` (no clean-up,
no ``finally``: as a power cut would). ``GUIDES_FAULT=<point>:raise`` raises
:class:`InjectedFault` there instead (a failing channel). ``GUIDES_FAULT=<point>:pause`` writes
``<point>`` to the file named by ``GUIDES_FAULT_READY`` and blocks until a line can be read from
the file (a FIFO) named by ``GUIDES_FAULT_RESUME``: a test holds a process at a point without sleeping.

``<point>@N`` (with any mode) acts on the N-th time the process reaches the point, not the
first: a crash in the middle of a batch.

A process forked to deliver a channel (:mod:`guidesrc.lanes`) kills its parent first: a crash
stops the whole publish, as a power cut would.

Unset (always, outside tests), :func:`point` costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "GUIDES_FAULT"
_hits: dict[str, int] = {}
_parents: list[int] = []  # in a forked child: the processes a crash kills with it


def forked(parent: int) -> None:
    """This process is a child of ``parent`` doing part of its work: a crash kills both."""
    _parents.append(parent)


class InjectedFault(RuntimeError):
    """A failure a test asked for."""


def point(name: str) -> None:
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    target, _, mode = wanted.partition(":")
    target, _, nth = target.partition("@")
    if target != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] != (int(nth) if nth else 1):
        return
    if mode == "raise":
        raise InjectedFault(f"injected failure at {name}")
    if mode == "pause":
        with open(os.environ["GUIDES_FAULT_READY"], "w") as ready:
            ready.write(name + "\n")
        with open(os.environ["GUIDES_FAULT_RESUME"]) as resume:
            resume.readline()
        return
    for parent in _parents:
        os.kill(parent, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
