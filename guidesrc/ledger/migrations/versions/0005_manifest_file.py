"""Manifest files: every (path, SHA-256) a channel's signed manifest listed, first seen when.

Revision ID: 0005
Revises: 0004
Created: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import guidesrc.ledger.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manifest_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("first_seen", guidesrc.ledger.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "path", "sha256", name="uq_manifest_file"),
    )


def downgrade() -> None:
    op.drop_table("manifest_file")
