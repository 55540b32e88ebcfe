"""Handovers: deliveries that a person completes (printed sheets posted by hall staff).

Revision ID: 0003
Revises: 0002
Created: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import guidesrc.ledger.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("token", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("created_at", guidesrc.ledger.models.UTCDateTime(), nullable=False),
        sa.Column("done_at", guidesrc.ledger.models.UTCDateTime(), nullable=True),
        sa.Column("done_by", sa.String(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "token", name="uq_handover"),
    )


def downgrade() -> None:
    op.drop_table("handover")
