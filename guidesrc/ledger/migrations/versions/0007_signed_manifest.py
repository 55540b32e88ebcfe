"""Each file channel's newest signed manifest, byte for byte, so that a publish compares the
folder with what was signed last even when the manifest file was deleted from it.

Revision ID: 0007
Revises: 0006
Created: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import guidesrc.ledger.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signed_manifest",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("signed_at", guidesrc.ledger.models.UTCDateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )


def downgrade() -> None:
    op.drop_table("signed_manifest")
