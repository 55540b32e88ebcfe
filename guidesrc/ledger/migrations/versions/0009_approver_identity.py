"""Approvals by identity: the approver's key id and signature, and withdrawal requests.

``approval.key_id``/``approval.signature``: in key mode (approvers.yaml) every approval is signed
by the approver's key; ``guides verify`` checks each against the approvers list. A withdrawal is
first a request (``withdrawal_request``) that a second person approves.

Revision ID: 0009
Revises: 0006
Created: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): a batch copy of approval would break guide_version's key.
    op.add_column("approval", sa.Column("key_id", sa.String(), nullable=True))
    op.add_column("approval", sa.Column("signature", sa.String(), nullable=True))
    op.create_table(
        "withdrawal_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("guide_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("requester", sa.String(), nullable=False),
        sa.Column("key_id", sa.String(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("approval_id", sa.Integer(), sa.ForeignKey("approval.id"), nullable=True),
    )
    op.create_index("ix_withdrawal_request_guide_id", "withdrawal_request", ["guide_id"])


def downgrade() -> None:
    op.drop_index("ix_withdrawal_request_guide_id", "withdrawal_request")
    op.drop_table("withdrawal_request")
    op.drop_column("approval", "signature")
    op.drop_column("approval", "key_id")
