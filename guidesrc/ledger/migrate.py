"""Bringing a ledger's schema up to Alembic's head (``migrations/versions``).

Only :func:`guidesrc.ledger.store.open_ledger` calls it, and only when its plain read of
``alembic_version`` found another revision than the code's: most runs never import Alembic.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from guidesrc.errors import LedgerError
from guidesrc.i18n import _


def upgrade(engine: Engine, dialect: str, script_location: Path) -> None:
    """Run the migrations from the ledger's revision to the head, in one transaction."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    with engine.begin() as conn:
        if dialect == "postgresql":  # two processes may open a new ledger at once
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": 0x6775696465})
        config.attributes["connection"] = conn
        current = MigrationContext.configure(conn).get_current_revision()
        if current is not None and not _known(config, current):
            raise LedgerError(
                _(
                    "the ledger was written by a newer guidesrc (schema {found}); upgrade guidesrc"
                ).format(found=current)
            )
        command.upgrade(config, "head")


def _known(config: Config, revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(config).get_revision(revision) is not None
    except Exception:  # alembic raises its own errors for unknown revisions
        return False
