"""audit anchors: snapshots of the chain tips whose digest is kept outside the system

Revision ID: 0004_audit_anchor
Revises: 0003_auth_session
Create Date: 2026-12-04 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_audit_anchor"
down_revision = "0003_auth_session"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("heads", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_anchor"),
        sa.UniqueConstraint("digest", name="uq_audit_anchor_digest"),
    )


def downgrade() -> None:
    op.drop_table("audit_anchor")
