"""A kiosk's print jobs and the ways it turns a request down (shared by the kiosk and its pages)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Job:
    guide_id: str
    name: str
    pages: int
    state: str = "pending"
    counted: bool = False
    started: float = field(default_factory=time.monotonic)


class Busy(Exception):
    """A job of this kiosk is still printing."""


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
