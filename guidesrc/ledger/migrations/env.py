"""Alembic environment: migrations run on the connection the ledger opened (never a URL of its own)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import guidesrc.ledger.models  # noqa: F401  (registers the tables)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
