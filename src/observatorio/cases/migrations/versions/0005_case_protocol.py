"""homologated protocols: the version a case follows and its completed steps

Revision ID: 0005_case_protocol
Revises: 0004_audit_anchor
Create Date: 2026-12-04 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_case_protocol"
down_revision = "0004_audit_anchor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER TABLE ADD a column with constraints otherwise
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(sa.Column("protocol_version", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("protocol_variant", sa.String(length=3), nullable=True))
    op.create_table(
        "case_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=40), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_step_case_id_case_file",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["completed_by_id"], ["app_user.id"], name="fk_case_step_completed_by_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_case_step"),
        sa.UniqueConstraint("case_id", "step_id", name="uq_case_step_case_id"),
    )
    op.create_index("ix_case_step_case_id", "case_step", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_step_case_id", table_name="case_step")
    op.drop_table("case_step")
    with op.batch_alter_table("case_file") as batch:
        batch.drop_column("protocol_variant")
        batch.drop_column("protocol_version")
