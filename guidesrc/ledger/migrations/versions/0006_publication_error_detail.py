"""The full cause of a failed delivery, for IT: exception type, message, traceback, causes.

``last_error`` keeps the reason for staff (Chinese: what failed, for which guide, what to do);
``error_detail`` the technical cause that IT needs to fix it.

Revision ID: 0006
Revises: 0005
Created: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.add_column(sa.Column("error_detail", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.drop_column("error_detail")
