"""initial ledger

Revision ID: 0001
Revises:
Created: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import guidesrc.ledger.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _approval()
    _event()
    _guide_version()
    _publication()


def _approval() -> None:
    op.create_table(
        "approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("approved_at", guidesrc.ledger.models.UTCDateTime(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("deadline", guidesrc.ledger.models.UTCDateTime(), nullable=False),
        sa.Column("forced_reason", sa.String(), nullable=True),
        sa.Column("editors", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("change_set_id", sa.String(), nullable=False),
        sa.Column("release_notice", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _event() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", guidesrc.ledger.models.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("guide_id", sa.String(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_guide_id"), ["guide_id"], unique=False)


def _guide_version() -> None:
    op.create_table(
        "guide_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guide_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("file", sa.String(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(), nullable=True),
        sa.Column("compiled", sa.Text(), nullable=True),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("major", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["approval.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("guide_id", "version", name="uq_guide_version"),
    )
    with op.batch_alter_table("guide_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guide_version_approval_id"), ["approval_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_guide_version_guide_id"), ["guide_id"], unique=False)


def _publication() -> None:
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("guide_id", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("due_at", guidesrc.ledger.models.UTCDateTime(), nullable=False),
        sa.Column("deadline", guidesrc.ledger.models.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", guidesrc.ledger.models.UTCDateTime(), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.Column("delivered_at", guidesrc.ledger.models.UTCDateTime(), nullable=True),
        sa.Column("updated_at", guidesrc.ledger.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["guide_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "channel", "action", name="uq_publication"),
    )
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publication_guide_id"), ["guide_id"], unique=False)
        batch_op.create_index("ix_publication_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_publication_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_version_id"))
        batch_op.drop_index("ix_publication_status_due")
        batch_op.drop_index(batch_op.f("ix_publication_guide_id"))

    op.drop_table("publication")
    with op.batch_alter_table("guide_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guide_version_guide_id"))
        batch_op.drop_index(batch_op.f("ix_guide_version_approval_id"))

    op.drop_table("guide_version")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_guide_id"))
        batch_op.drop_index(batch_op.f("ix_event_at"))

    op.drop_table("event")
    op.drop_table("approval")
