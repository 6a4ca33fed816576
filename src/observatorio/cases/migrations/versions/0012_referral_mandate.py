"""referrals resting on a legal mandate (an unaccompanied child referred to child protection)

Revision ID: 0012_referral_mandate
Revises: 0011_transition_reason
Create Date: 2026-12-05 02:30:00

A referral's basis is now its consent, the override's justification, or the key of a legal
mandate (``referral_profiles.yaml: mandates``); the check constraint says so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_referral_mandate"
down_revision = "0011_transition_reason"
branch_labels = None
depends_on = None

# The name 0006 gave the constraint (the naming convention prefixed it twice); kept as it is.
BASIS = "ck_referral_ck_referral_basis"
OLD_BASIS = "consent_id IS NOT NULL OR override_justification IS NOT NULL"
NEW_BASIS = OLD_BASIS + " OR mandate IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("mandate", sa.String(length=40), nullable=True))
        batch.drop_constraint(op.f(BASIS), type_="check")
        batch.create_check_constraint(op.f(BASIS), NEW_BASIS)


def downgrade() -> None:
    op.execute("DELETE FROM referral WHERE mandate IS NOT NULL")
    with op.batch_alter_table("referral") as batch:
        batch.drop_constraint(op.f(BASIS), type_="check")
        batch.create_check_constraint(op.f(BASIS), OLD_BASIS)
        batch.drop_column("mandate")
