"""JSON columns as JSON: on PostgreSQL the columns that hold JSON text become ``json``.

``json`` keeps the text as written (key order, any string), so every row reads back the same;
the values are converted in place (``USING col::json``). ``guide_version.compiled`` and
``signed_manifest.body`` stay text: their exact bytes are hashed and signed. SQLite has no JSON
type: there the columns stay text (guidesrc.ledger.models.JSONData), and nothing changes.

Revision ID: 0010
Revises: 0009
Created: 2027-01-12
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: (table, column, its type before) of every column that holds JSON.
COLUMNS = (
    ("approval", "editors", "VARCHAR"),
    ("approval", "release_notice", "VARCHAR"),
    ("guide_version", "change", "TEXT"),
    ("guide_version", "notice", "TEXT"),
    ("publication", "receipt", "TEXT"),
    ("event", "detail", "TEXT"),
    ("handover", "detail", "TEXT"),
    ("withdrawal_request", "requester", "VARCHAR"),
    ("config_version", "files", "VARCHAR"),
    ("config_version", "changes", "VARCHAR"),
)


def _retype(to: str | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, before in COLUMNS:
        # No column has a server default (the models give the defaults), so none to drop first.
        # A row with null in receipt is SQL NULL, never the JSON null.
        op.execute(
            f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE {to or before} '
            f'USING "{column}"::{(to or before).lower()}'
        )


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype(None)
