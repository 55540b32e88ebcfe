"""Opening the ledger: the database URL, the engine, migrations, and the publishing lock."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from guidesrc.deferred import deferred
from guidesrc.errors import LedgerError
from guidesrc.i18n import _
from guidesrc.ledger.integrity import check_sqlite, ledger_failed, restamp
from guidesrc.ledger.models import Event, json_text
from guidesrc.library import STATE_DIR
from guidesrc.statuses import EventKind

if TYPE_CHECKING:
    from guidesrc.ledger import migrate
else:  # Alembic, imported only when the schema must change: most runs skip it
    migrate = deferred("guidesrc.ledger.migrate")

DATABASE_URL_ENV = "GUIDES_DATABASE_URL"
LEDGER_FILE = "ledger.sqlite"
#: The newest migration (``migrations/versions``); a test keeps it equal to Alembic's head.
SCHEMA_REVISION = "0010"
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(root: Path) -> str:
    """``GUIDES_DATABASE_URL``, else the SQLite file in the library's ``.guides`` folder."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    return f"sqlite:///{root / STATE_DIR / LEDGER_FILE}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the publisher
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint; safe in WAL mode
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Ledger:
    """A connection pool to one ledger database, migrated to the current schema."""

    def __init__(self, engine: Engine, root: Path, url: str) -> None:
        self.engine = engine
        self.root = root
        self.url = url
        self.intact_at_open: Path | None = None  # a SQLite ledger found intact (integrity.py)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def log(
        self, session: Session, kind: EventKind, actor: str, *, at: dt.datetime, **fields: Any
    ) -> None:
        """Append an event (committed with the session's transaction); ``fields``: the event's
        ``guide_id``, ``version`` and ``channel``, if any, and its detail."""
        session.add(Event(**event_row(kind, actor, at=at, **fields)))

    def log_many(self, session: Session, rows: list[dict[str, Any]]) -> None:
        """Append the events of :func:`event_row` in one statement (committed with the session's
        transaction): the same rows as :meth:`log` writes one at a time."""
        if rows:
            session.connection().execute(sa.insert(Event), rows)

    @contextlib.contextmanager
    def publish_lock(self, wait: bool) -> Iterator[bool]:
        """Hold the one-publisher lock for the block; yields False when another holds it (and
        ``wait`` is false). On PostgreSQL it is an advisory lock, so it holds across machines;
        with SQLite, a lock on a file beside the database. Both are released if the process dies.
        """
        if self.dialect == "postgresql":
            with self.engine.connect() as conn:
                # One lock per ledger: a database may hold several ledgers, one per schema.
                schema = conn.execute(sa.text("SELECT current_schema()")).scalar() or ""
                key = zlib.crc32(f"guidesrc-publish:{schema}".encode())
                if wait:
                    conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
                    got = True
                else:
                    got = bool(
                        conn.execute(
                            sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}
                        ).scalar()
                    )
                conn.commit()
                try:
                    yield got
                finally:
                    if got:
                        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        conn.commit()
            return
        path = _sqlite_path(self.url).with_suffix(".publish.lock")
        with path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def database_error(self, _context: object) -> None:
        """After any database error the next command checks the ledger whole."""
        self.intact_at_open = None

    def close(self) -> None:
        self.engine.dispose()
        if self.intact_at_open is not None:
            restamp(self.intact_at_open)  # its own writes: not checked whole again next time


def event_row(
    kind: EventKind,
    actor: str,
    *,
    at: dt.datetime,
    guide_id: str | None = None,
    version: int | None = None,
    channel: str | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """An event's columns (:meth:`Ledger.log`, :meth:`Ledger.log_many`)."""
    return {
        "at": at,
        "actor": actor,
        "kind": kind,
        "guide_id": guide_id,
        "version": version,
        "channel": channel,
        "detail": detail,
    }


def _sqlite_path(url: str) -> Path:
    return Path(sa.engine.make_url(url).database or "")


def open_ledger(root: Path, url: str | None = None) -> Ledger:
    """The library's ledger, created or upgraded to :data:`SCHEMA_REVISION` if needed."""
    url = url or database_url(root)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise LedgerError(
            _("{env}: not a database URL: {url} (e.g. postgresql+psycopg://user@host/db)").format(
                env=DATABASE_URL_ENV, url=url
            )
        ) from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise LedgerError(
            _("{env}: only SQLite and PostgreSQL ledgers are supported, not {backend}").format(
                env=DATABASE_URL_ENV, backend=parsed.get_backend_name()
            )
        )
    intact = False
    if parsed.get_backend_name() == "sqlite":
        _sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
        intact = check_sqlite(_sqlite_path(url))
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = sa.create_engine(
            parsed, pool_pre_ping=True, json_serializer=json_text, json_deserializer=orjson.loads
        )
    ledger = Ledger(engine, root, url)
    if intact:
        ledger.intact_at_open = _sqlite_path(url)
        sa.event.listen(engine, "handle_error", ledger.database_error)
    OPENED.append(_shown(url))
    try:
        _migrate(ledger)
    except OperationalError as exc:
        engine.dispose()
        raise LedgerError(
            _("cannot open the ledger {url}: {reason}").format(
                url=_safe(url), reason=str(exc.orig).strip().splitlines()[0]
            )
        ) from exc
    except DBAPIError as exc:
        engine.dispose()
        raise ledger_failed(_shown(url), str(exc.orig)) from None
    except SQLAlchemyError as exc:
        engine.dispose()
        raise LedgerError(
            _("the ledger {url} cannot be used: {reason}").format(url=_safe(url), reason=exc)
        ) from exc
    return ledger


#: The ledgers this process opened (URLs without passwords), for messages about database errors.
OPENED: list[str] = []


def shown_ledger() -> str | None:
    """How to name the ledger in a message: its file, or its URL without the password."""
    return OPENED[-1] if OPENED else None


def _shown(url: str) -> str:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or url
    return _safe(url)


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def _migrate(ledger: Ledger) -> None:
    with ledger.engine.connect() as conn:
        if _revision(conn) == SCHEMA_REVISION:
            return
    migrate.upgrade(ledger.engine, ledger.dialect, _MIGRATIONS)


def _revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
