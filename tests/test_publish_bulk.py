"""The publisher claims, reads and records a batch's deliveries a few hundred per statement: on
both ledgers, a batch spread over several statements is delivered in order, a row superseded
meanwhile is skipped, and what it records (rows, events) is what one delivery at a time wrote."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from sqlmodel import select

from guidesrc import outbox, publisher
from guidesrc.adapters import Adapter, AdapterSettings, Delivery
from guidesrc.ledger import Ledger, open_ledger
from guidesrc.ledger.models import Approval, Event, GuideVersion, Publication
from guidesrc.ledger.store import event_row
from guidesrc.statuses import Action, ApprovalKind, EventKind, PublicationStatus

pytestmark = pytest.mark.usefixtures("database")

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
GUIDES = [f"g-{i}" for i in range(1, 6)]


class Recorder(Adapter[AdapterSettings]):
    """Takes every due delivery at once; fails the guides named in ``failing``."""

    Settings = AdapterSettings
    batch_size: ClassVar[int | None] = None
    failing: ClassVar[set[str]] = set()
    broken: ClassVar[bool] = False  # the channel as a whole fails

    def __init__(self, channel: str, library: Path) -> None:
        super().__init__(channel, AdapterSettings(), library, None)  # type: ignore[arg-type]
        self.seen: list[tuple[str, bool]] = []

    def deliver_many(
        self, work: Sequence[tuple[Delivery, bool]]
    ) -> list[dict[str, Any] | Exception]:
        self.seen += [(d.guide_id, retry) for d, retry in work]
        if self.broken:
            raise OSError("the channel is down")
        return [
            ValueError(f"no {d.guide_id}") if d.guide_id in self.failing else {"id": d.guide_id}
            for d, _retry in work
        ]


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    """A ledger with five approved guides, each queued on one channel; two rows a statement."""
    monkeypatch.setattr(outbox, "CHUNK", 2)
    monkeypatch.setattr(Recorder, "failing", set())
    monkeypatch.setattr(Recorder, "broken", False)
    ledger = open_ledger(tmp_path)
    with ledger.session() as session:
        approval = Approval(
            kind=ApprovalKind.APPROVE,
            approved_by="审核员",
            approved_at=NOW,
            effective_date=NOW.date(),
            deadline=NOW + dt.timedelta(days=3),
            change_set_id="c1",
        )
        session.add(approval)
        session.flush()
        assert approval.id is not None
        for guide_id in GUIDES:
            version = GuideVersion(
                guide_id=guide_id,
                version=1,
                approval_id=approval.id,
                name=f"办理{guide_id}",
                file=f"{guide_id}.yaml",
                effective_date=NOW.date(),
                content_hash="h",
                compiled='{"id": "x"}',
            )
            session.add(version)
            session.flush()
            assert version.id is not None
            session.add(
                Publication(
                    version_id=version.id,
                    guide_id=guide_id,
                    channel="rec",
                    action=Action.PUBLISH,
                    due_at=NOW,
                    deadline=NOW + dt.timedelta(days=3),
                    updated_at=NOW,
                )
            )
        session.commit()
    yield ledger
    ledger.close()


def run(ledger: Ledger, adapter: Recorder, retry_now: bool = False) -> publisher.RunReport:
    return publisher.publish(
        ledger,
        {"rec": adapter},
        deadline_for=lambda at: at + dt.timedelta(days=3),
        timezone="Asia/Shanghai",
        clock=lambda: NOW,
        retry_now=retry_now,
    )


def rows(ledger: Ledger) -> dict[str, Publication]:
    with ledger.session() as session:
        return {p.guide_id: p for p in session.exec(select(Publication))}


def events(ledger: Ledger) -> list[Event]:
    with ledger.session() as session:
        return list(session.exec(select(Event).order_by(sa.column("id"))))


def test_a_batch_over_several_statements_goes_in_order_without_a_row_superseded_meanwhile(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = publisher._due

    def due_then_superseded(*args: Any) -> dict[str, list[int]]:
        found = due(*args)  # an approval supersedes g-3's delivery before it is claimed
        with ledger.session() as session:
            session.connection().execute(
                sa.update(Publication)
                .where(sa.column("guide_id") == "g-3")
                .values(status=PublicationStatus.SUPERSEDED)
            )
            session.commit()
        return found

    monkeypatch.setattr(publisher, "_due", due_then_superseded)
    adapter = Recorder("rec", tmp_path)
    report = run(ledger, adapter)
    assert adapter.seen == [("g-1", False), ("g-2", False), ("g-4", False), ("g-5", False)]
    assert [(o.guide_id, o.ok) for o in report.outcomes] == [
        ("g-1", True),
        ("g-2", True),
        ("g-4", True),
        ("g-5", True),
    ]
    found = rows(ledger)
    assert found["g-3"].status == PublicationStatus.SUPERSEDED and found["g-3"].attempts == 0
    for guide_id in ("g-1", "g-2", "g-4", "g-5"):
        pub = found[guide_id]
        assert (pub.status, pub.attempts, pub.delivered_at) == ("delivered", 1, NOW)
        assert pub.receipt == {"id": guide_id}
    logged = events(ledger)
    assert [(e.kind, e.guide_id, e.channel) for e in logged] == [
        ("delivered", g, "rec") for g in ("g-1", "g-2", "g-4", "g-5")
    ]
    assert logged[0].detail == {"action": "publish", "attempts": 1, "receipt": {"id": "g-1"}}


def test_failures_are_recorded_per_delivery_and_retried_with_the_attempt_counted(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Recorder, "failing", {"g-2"})
    report = run(ledger, Recorder("rec", tmp_path))
    assert [o.guide_id for o in report.failed] == ["g-2"]
    failed = rows(ledger)["g-2"]
    assert failed.status == PublicationStatus.FAILED and failed.attempts == 1
    assert failed.next_attempt_at == NOW + outbox.backoff(1)
    assert failed.last_error and "g-2" in failed.last_error
    assert failed.error_detail and "ValueError: no g-2" in failed.error_detail
    monkeypatch.setattr(Recorder, "broken", True)  # the retry: the channel as a whole is down
    adapter = Recorder("rec", tmp_path)
    report = run(ledger, adapter, retry_now=True)
    assert adapter.seen == [("g-2", True)]
    failed = rows(ledger)["g-2"]
    assert failed.attempts == 2 and failed.next_attempt_at == NOW + outbox.backoff(2)
    last = events(ledger)[-1]
    assert (last.kind, last.guide_id) == (EventKind.DELIVERY_FAILED, "g-2")
    assert list(last.detail) == ["action", "attempts", "error", "cause", "trace"]
    assert last.detail["attempts"] == 2 and "the channel is down" in last.detail["cause"]


def test_events_written_in_bulk_are_the_rows_log_writes(ledger: Ledger) -> None:
    fields: dict[str, Any] = {
        "at": NOW,
        "guide_id": "g-1",
        "version": 1,
        "channel": "rec",
        "action": Action.PUBLISH,
        "attempts": 1,
        "receipt": {"中文": "值", "n": [1, 2.5, None]},
    }
    with ledger.session() as session:
        ledger.log(session, EventKind.DELIVERED, "publisher", **fields)
        ledger.log_many(session, [event_row(EventKind.DELIVERED, "publisher", **fields)])
        session.commit()
    columns = "at, actor, kind, guide_id, version, channel, CAST(detail AS TEXT)"
    with ledger.engine.connect() as conn:
        one, two = conn.execute(sa.text(f"SELECT {columns} FROM event ORDER BY id")).all()
    assert one == two
