"""A kiosk's print jobs (shared by the kiosk and its pages)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from guidesrc.statuses import PrintJobState


@dataclass
class Job:
    guide_id: str
    name: str
    pages: int
    state: PrintJobState = PrintJobState.PENDING
    counted: bool = False
    started: float = field(default_factory=time.monotonic)
