"""audit outcome: denied attempts are audited too

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 00:00:00

Adds ``audit_log.outcome`` ('granted' or 'denied'). Existing rows were all grants, so the
column defaults to 'granted'; their hashes stay valid because the hash covers the outcome only
when it is not 'granted' (audit.entry_hash), and no existing row is rewritten (the log is
append-only, and rewriting it would destroy what it proves).

The column is added in place (ALTER TABLE … ADD COLUMN) on both backends: a batch "move and
copy" on SQLite would drop the append-only triggers with the old table.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE audit_log ADD COLUMN outcome VARCHAR(10) DEFAULT 'granted' NOT NULL "
        "CONSTRAINT ck_audit_log_outcome CHECK (outcome IN ('granted', 'denied'))"
    )
    op.execute("CREATE INDEX ix_audit_log_denied ON audit_log (id) WHERE outcome = 'denied'")


def downgrade() -> None:
    # Denied rows hash their outcome: once the column is gone they no longer verify. Downgrade
    # only a database that never recorded a refusal, or keep a copy of the log.
    op.execute("DROP INDEX ix_audit_log_denied")
    op.execute("ALTER TABLE audit_log DROP COLUMN outcome")  # SQLite 3.35+: in place, triggers kept
