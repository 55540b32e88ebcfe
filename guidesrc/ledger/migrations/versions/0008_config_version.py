"""Configuration is content: each approved version of library.yaml, calendar.yaml and
approvers.yaml, recorded by the approval that approved it.

Revision ID: 0008
Revises: 0006
Created: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "config_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("files", sa.String(), nullable=False),
        sa.Column("changes", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["approval_id"], ["approval.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version", name="uq_config_version"),
    )
    op.create_index(
        op.f("ix_config_version_approval_id"), "config_version", ["approval_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_config_version_approval_id"), table_name="config_version")
    op.drop_table("config_version")
