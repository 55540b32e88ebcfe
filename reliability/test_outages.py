"""Outages of a network channel (the http push channel): down, answering 5xx, hanging, dropping
connections. Shorter than the deadline: every delivery completes when the channel returns, and
`guides status` shows the risk meanwhile. Longer: the alert (status exit 1) comes before the
deadline passes, and the delivery completes, late, when the channel returns."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guidesrc.adapters import Adapter
from guidesrc.adapters.directory import DirectoryAdapter, DirectorySettings
from guidesrc.adapters.http import HttpAdapter, HttpSettings
from guidesrc.approve import Decision, pending_changes, record_approval
from guidesrc.ledger import open_ledger
from guidesrc.publisher import publish
from guidesrc.state import WorkingTree, load_state
from guidesrc.status import status_rows
from guidesrc.workdays import load_calendar, read_config
from tests.conftest import Library
from tests.test_push import SECRET_ENV, Receiver, _serve

pytestmark = pytest.mark.section("Outages")

ZONE = dt.timezone(dt.timedelta(hours=8))
APPROVED = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZONE)  # a Tuesday: deadline end of Wednesday
MARGIN = dt.timedelta(hours=4)
MODES = ["down", "500", "slow", "drop"]
_FIGURES: dict[str, str] = {}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve(Receiver())


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _adapters(root: Path, base: str) -> dict[str, Adapter[Any]]:
    settings = HttpSettings.model_validate(
        {
            "base": base,
            "auth": "hmac",
            "secret_env": SECRET_ENV,
            "connect_timeout": 0.2,
            "read_timeout": 0.2,
            "backoff": 0.5,
        }
    )
    config = read_config(root)  # the configuration in force, handed to each adapter
    return {
        "archive": DirectoryAdapter("archive", DirectorySettings(path="out"), root, config),
        "hall": HttpAdapter("hall", settings, root, config, sleep=lambda _s: None),
    }


def _approve(root: Path) -> dt.datetime:
    ledger = open_ledger(root)
    state = load_state(WorkingTree(root))
    deadline = load_calendar(root).deadline(APPROVED)
    decision = Decision("审核员乙", "首次发布", APPROVED.date(), APPROVED, deadline)
    record_approval(
        root, state, ledger, pending_changes(state, ledger), decision, ["archive", "hall"]
    )
    ledger.close()
    return deadline


def _run(root: Path, base: str, at: dt.datetime, retry: bool = False) -> list[Any]:
    ledger = open_ledger(root)
    adapters = _adapters(root, base)
    try:
        report = publish(
            ledger,
            adapters,
            deadline_for=lambda t: t,
            timezone="Asia/Shanghai",
            clock=lambda: at,
            retry_now=retry,
        )
    finally:
        ledger.close()
    return report.outcomes


def _hall(root: Path, at: dt.datetime) -> Any:
    ledger = open_ledger(root)
    try:
        (row,) = [r for r in status_rows(ledger, at) if r.channel == "hall"]
    finally:
        ledger.close()
    return row


def _outage(receiver: Receiver, mode: str) -> str:
    """Start an outage of ``mode``; the base URL the publisher uses meanwhile."""
    if mode == "down":
        return f"http://127.0.0.1:{_closed_port()}/api/push"
    receiver.always = mode
    return receiver.base


@pytest.mark.parametrize("mode", MODES)
def test_a_short_outage_delays_nothing_past_the_deadline(
    library: Library, receiver: Receiver, mode: str, database: str
) -> None:
    deadline = _approve(library.root)
    base = _outage(receiver, mode)
    outcomes = _run(library.root, base, APPROVED + dt.timedelta(minutes=5))
    assert {(o.channel, o.ok) for o in outcomes} == {("archive", True), ("hall", False)}
    during = _hall(library.root, APPROVED + dt.timedelta(minutes=30))
    assert during.status == "failed" and during.error and not during.overdue(APPROVED)
    receiver.always = None  # the channel is back, two hours later
    back = APPROVED + dt.timedelta(hours=2)
    outcomes = _run(library.root, receiver.base, back)
    assert [(o.channel, o.ok) for o in outcomes] == [("hall", True)]
    after = _hall(library.root, back)
    assert after.status == "delivered" and not after.overdue(back)
    assert len(receiver.applied) == 1  # one delivery, however many attempts
    _FIGURES[f"short {mode}"] = (
        f"delivered {back - APPROVED} after approval, {deadline - back} before the deadline"
    )


@pytest.mark.parametrize("mode", MODES)
def test_a_long_outage_is_alerted_before_the_deadline(
    library: Library, receiver: Receiver, mode: str, database: str
) -> None:
    deadline = _approve(library.root)
    base = _outage(receiver, mode)
    alerted: dt.datetime | None = None
    at = APPROVED + dt.timedelta(minutes=5)
    while at < deadline + dt.timedelta(hours=3):  # the publisher runs from cron every hour
        _run(library.root, base, at, retry=True)
        row = _hall(library.root, at)
        assert row.status == "failed"
        if alerted is None and (row.at_risk(at, MARGIN) or row.overdue(at)):
            alerted = at
        at += dt.timedelta(hours=1)
    assert alerted is not None and alerted < deadline
    assert _hall(library.root, at).overdue(at)
    receiver.always = None
    outcomes = _run(library.root, receiver.base, at, retry=True)
    assert [(o.channel, o.ok) for o in outcomes] == [("hall", True)]
    assert len(receiver.applied) == 1
    _FIGURES[f"long {mode}"] = (
        f"alert {deadline - alerted} before the deadline; delivered when back, {at - deadline} late"
    )


def test_outage_figures(figures: Any) -> None:
    for mode in MODES:
        label = {
            "down": "channel down (connection refused)",
            "500": "answering HTTP 500",
            "slow": "hanging (no answer within the read timeout)",
            "drop": "dropping connections mid-answer",
        }[mode]
        figures.add(
            f"short outage, {label}",
            _FIGURES.get(f"short {mode}", "not run"),
            "delivered before the deadline",
        )
        figures.add(
            f"outage past the deadline, {label}",
            _FIGURES.get(f"long {mode}", "not run"),
            "alert before the deadline",
        )
