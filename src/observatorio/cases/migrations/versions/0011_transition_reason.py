"""the reason given for a case's status transition (it was accepted by the API but not stored)

Revision ID: 0011_transition_reason
Revises: 0010_directory
Create Date: 2026-12-05 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_transition_reason"
down_revision = "0010_directory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_transition_reason",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"],
                                name="fk_case_transition_reason_case_id_case_file", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_case_transition_reason_user_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_case_transition_reason"),
        sa.UniqueConstraint("case_id", "version", name="uq_case_transition_reason_case_id"),
    )


def downgrade() -> None:
    op.drop_table("case_transition_reason")
