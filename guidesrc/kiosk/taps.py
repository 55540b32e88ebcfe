"""One print per tap of 打印.

Each guide page the kiosk shows carries a tap id of its own (random, in the print form). Every
request that carries the same tap id — a double tap, a form sent again by a reload, eight
requests at once — gets the job the first one started; only the first prints. A request that
comes while the first is still being sent to the printer waits for it (at most ``wait`` seconds,
then it is answered as busy). A tap whose print could not be started (busy, printer unavailable)
is forgotten, so that tapping again tries again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from guidesrc.errors import TapPending

KEEP = 1024  # taps remembered (the oldest are forgotten first)


@dataclass
class _Tap:
    done: threading.Event = field(default_factory=threading.Event)
    job: int | None = None
    error: BaseException | None = None


class Taps:
    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._taps: OrderedDict[str, _Tap] = OrderedDict()

    def once(self, tap: str, start: Callable[[], int], wait: float) -> int:
        """The job of ``tap``: started by ``start`` for the first request of the tap; for every
        other request, the first one's job (or the first one's error)."""
        with self._lock:
            slot = self._taps.get(tap)
            first = slot is None
            if slot is None:
                slot = self._taps[tap] = _Tap()
                while len(self._taps) > self._keep:
                    self._taps.popitem(last=False)
        if not first:
            if not slot.done.wait(wait):
                raise TapPending()
            if slot.error is not None:
                raise slot.error
            assert slot.job is not None
            return slot.job
        try:
            slot.job = start()
            return slot.job
        except BaseException as exc:
            slot.error = exc
            with self._lock:
                if self._taps.get(tap) is slot:
                    del self._taps[tap]  # not printed: tapping again tries again
            raise
        finally:
            slot.done.set()
