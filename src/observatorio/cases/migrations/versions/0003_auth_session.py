"""auth sessions: every issued token has a row, so logout and password changes revoke it

Revision ID: 0003_auth_session
Revises: 0002
Create Date: 2026-12-04 00:00:00

Tokens issued before this revision have no row and stop working: users log in again once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_auth_session"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_session",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_auth_session_user_id_app_user",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_auth_session"),
    )
    op.create_index("ix_auth_session_user_id", "auth_session", ["user_id"])
    op.create_index("ix_auth_session_expires_at", "auth_session", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_auth_session_expires_at", table_name="auth_session")
    op.drop_index("ix_auth_session_user_id", table_name="auth_session")
    op.drop_table("auth_session")
