"""Whether this process may fork workers (check, diff, site and the parallel map ask)."""

from __future__ import annotations

import multiprocessing as mp
import threading


def can_fork() -> bool:
    """Forking is safe here: the platform has it and this process runs no other thread (a
    forked child of a threaded process can deadlock on a lock another thread held)."""
    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1
