"""The ledger's JSON columns (migration 0010): a ledger written before reads back the same values,
on SQLite and PostgreSQL (the ``database`` fixture runs each test on both)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import SQLModel, select

from guidesrc.ledger import open_ledger
from guidesrc.ledger.models import (
    Approval,
    ConfigVersion,
    Event,
    GuideVersion,
    Handover,
    JSONData,
    Publication,
    WithdrawalRequest,
)
from guidesrc.ledger.store import _MIGRATIONS, SCHEMA_REVISION, database_url
from tests.conftest import Library

pytestmark = pytest.mark.usefixtures("database")

NOW = dt.datetime(2026, 12, 1, 8, 30)  # naive UTC, as the ledger stores times
#: JSON text as guidesrc 0009 wrote it (orjson, keys in the order given), with what text can hold:
#: Chinese, quotes, backslashes, line and paragraph separators, a NUL, nulls and numbers.
TRICKY = '“身份证”\\ "引号" \u2028 \u0000 end'
WRITTEN: dict[tuple[str, str], Any] = {
    ("approval", "editors"): ["编辑甲 <editor@example.invalid>", "编辑乙 <b@example.invalid>"],
    ("approval", "release_notice"): {"title": "办事指南变更公告", "text": TRICKY, "count": 2},
    ("guide_version", "change"): {
        "status": "changed",
        "changes": [{"path": "fees", "action": "changed", "old": None, "new": 1.5}],
        "id": "x",
    },
    ("guide_version", "notice"): {"status": "changed", "items": [], "text": TRICKY},
    ("publication", "receipt"): {"handover": [{"token": "A1-v1", "title": "一号窗口"}], "n": 3},
    ("event", "detail"): {"receipt": {"z": 1, "a": [True, False, None]}, "error": TRICKY},
    ("handover", "detail"): {"hall": "政务服务大厅", "files": ["a.pdf"]},
    ("withdrawal_request", "requester"): ["审核员甲", "a@example.invalid"],
    ("config_version", "files"): {
        "library.yaml": f"name: 测试\n# {TRICKY}\n",
        "calendar.yaml": None,
    },
    ("config_version", "changes"): [{"file": "library.yaml", "path": "name", "status": "added"}],
}
MODELS = {
    "approval": Approval,
    "guide_version": GuideVersion,
    "publication": Publication,
    "event": Event,
    "handover": Handover,
    "withdrawal_request": WithdrawalRequest,
    "config_version": ConfigVersion,
}
COMPILED = '{"b":1,"a":"保持原样"}'  # hashed text: never rewritten


def _alembic(engine: sa.Engine, step: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, step)(config, revision)


def _text(table: str, column: str) -> str:
    return orjson.dumps(WRITTEN[(table, column)]).decode()


def _rows() -> dict[str, list[dict[str, Any]]]:
    """One row of each table with JSON, as guidesrc 0009 wrote them (JSON as text)."""
    times = {"approved_at": NOW, "deadline": NOW, "effective_date": NOW.date()}
    return {
        "approval": [
            {
                "id": 1,
                "kind": "approve",
                "approved_by": "审核员甲",
                "note": "",
                "change_set_id": "abc",
                "editors": _text("approval", "editors"),
                "release_notice": _text("approval", "release_notice"),
                **times,
            }
        ],
        "guide_version": [
            {
                "id": 1,
                "guide_id": "x",
                "version": 1,
                "approval_id": 1,
                "name": "指南",
                "file": "guides/x.yaml",
                "effective_date": NOW.date(),
                "withdrawn": False,
                "compiled": COMPILED,
                "change": _text("guide_version", "change"),
                "notice": _text("guide_version", "notice"),
                "major": True,
            }
        ],
        "publication": [
            {"id": n, "version_id": 1, "guide_id": "x", "channel": channel, "action": "publish"}
            | {"status": "delivered", "due_at": NOW, "deadline": NOW, "attempts": 1}
            | {"receipt": receipt, "updated_at": NOW}
            for n, channel, receipt in (
                (1, "hall", _text("publication", "receipt")),
                (2, "a", None),
            )
        ],
        "event": [
            {"id": 1, "at": NOW, "actor": "publisher", "kind": "delivered"}
            | {"detail": _text("event", "detail")}
        ],
        "handover": [
            {"id": 1, "channel": "hall", "token": "A1-v1", "title": "一号窗口", "created_at": NOW}
            | {"detail": _text("handover", "detail")}
        ],
        "withdrawal_request": [
            {"id": 1, "guide_id": "x", "version": 1, "reason": "停办", "requested_by": "审核员甲"}
            | {"requester": _text("withdrawal_request", "requester"), "requested_at": NOW}
            | {"status": "open"}
        ],
        "config_version": [
            {"id": 1, "version": 1, "approval_id": 1, "content_hash": "h"}
            | {"files": _text("config_version", "files")}
            | {"changes": _text("config_version", "changes")}
        ],
    }


def _stored_text(engine: sa.Engine) -> dict[tuple[str, str], str | None]:
    """The JSON columns' text as a ledger at 0009 holds it (its own tables, reflected)."""
    out: dict[tuple[str, str], str | None] = {}
    with engine.connect() as conn:
        for table, column in [*WRITTEN, ("guide_version", "compiled")]:
            reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
            query = sa.select(reflected.c[column]).order_by(reflected.c.id)
            out[(table, column)] = conn.execute(query).first()[0]  # type: ignore[index]
    return out


@pytest.fixture
def ledger_0009(library: Library) -> Path:
    """A library whose ledger was written at schema 0009, one row in each table."""
    (library.root / ".guides").mkdir(exist_ok=True)
    engine = sa.create_engine(database_url(library.root))
    _alembic(engine, "upgrade", "0009")
    with engine.begin() as conn:
        for table, rows in _rows().items():
            conn.execute(sa.insert(sa.Table(table, sa.MetaData(), autoload_with=conn)), rows)
    engine.dispose()
    return library.root


def test_a_ledger_written_at_0009_reads_back_every_json_value(ledger_0009: Path) -> None:
    ledger = open_ledger(ledger_0009)  # upgraded to the current schema
    with ledger.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
            SCHEMA_REVISION
        )
    with ledger.session() as session:
        for (table, column), value in WRITTEN.items():
            row = session.exec(select(MODELS[table]).order_by(MODELS[table].id)).first()
            assert getattr(row, column) == value, (table, column)
            assert list(getattr(row, column)) == list(value)  # keys in the order written
        version = session.exec(select(GuideVersion)).one()
        assert version.compiled == COMPILED
        unsent = session.exec(select(Publication).where(Publication.channel == "a")).one()
        assert unsent.receipt is None
    ledger.close()


def test_new_json_values_are_written_as_before(ledger_0009: Path) -> None:
    """What the ledger writes now reads back the same, and a downgrade gives back the text
    0009 would have written."""
    ledger = open_ledger(ledger_0009)
    receipt = {"file": "x.txt", "text": "送达", "empty": {}}
    with ledger.session() as session:
        unsent = session.exec(select(Publication).where(Publication.channel == "a")).one()
        unsent.receipt = receipt
        session.add(unsent)
        session.commit()
    with ledger.session() as session:
        assert session.exec(select(Publication.receipt).where(Publication.id == 2)).one() == (
            receipt
        )
    _alembic(ledger.engine, "downgrade", "0009")
    stored = _stored_text(ledger.engine)
    with ledger.engine.connect() as conn:
        query = sa.text("SELECT receipt FROM publication WHERE id = 2")
        assert conn.execute(query).scalar() == orjson.dumps(receipt).decode()
    ledger.close()
    assert stored == {key: _text(*key) for key in WRITTEN} | {
        ("guide_version", "compiled"): COMPILED
    }


def test_the_json_columns_are_json_on_postgresql_and_text_on_sqlite(ledger_0009: Path) -> None:
    ledger = open_ledger(ledger_0009)
    with ledger.engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table, column in WRITTEN:
            found = {c["name"]: c["type"] for c in inspector.get_columns(table)}[column]
            wanted = sa.JSON if ledger.dialect == "postgresql" else sa.String
            assert isinstance(found, wanted), (table, column, found)
        assert isinstance(SQLModel.metadata.tables["guide_version"].c.compiled.type, sa.Text)
        assert isinstance(SQLModel.metadata.tables["event"].c.detail.type, JSONData)
    ledger.close()
