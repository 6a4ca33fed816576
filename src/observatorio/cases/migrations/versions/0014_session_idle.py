"""sessions end when left idle: each session records when it was last used

Revision ID: 0014_session_idle
Revises: 0013_reception_child_cases
Create Date: 2026-12-05 11:40:00

``auth_session.last_used_at`` (kept to the minute by ``auth.principal_of_token``) lets a session
unused for longer than ``CasesConfig.session_idle_minutes`` be refused as expired. Sessions that
exist when this revision runs count as last used when they were created: one idle longer than
the limit ends, and its user signs in again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_session_idle"
down_revision = "0013_reception_child_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auth_session") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE auth_session SET last_used_at = created_at"))
    with op.batch_alter_table("auth_session") as batch:
        batch.alter_column("last_used_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_session") as batch:
        batch.drop_column("last_used_at")
