"""a consent belongs to the organisation that obtained it

Revision ID: 0015_consent_holder
Revises: 0014_session_idle
Create Date: 2026-12-05 20:00:00

``referral_consent.organisation_id``: the case's holder when the consent was recorded. A person
consents to what one organisation will do with their case; after a transfer the new holder,
another data controller, asks again instead of referring on the old holder's consent
(referrals._refer_checked). Consents recorded before this revision are taken as their case's
present holder's: the most a migration can know.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_consent_holder"
down_revision = "0014_session_idle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referral_consent") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
    op.execute(sa.text("UPDATE referral_consent SET organisation_id = "
                       "(SELECT organisation_id FROM case_file WHERE case_file.id = referral_consent.case_id)"))
    with op.batch_alter_table("referral_consent") as batch:
        batch.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f("fk_referral_consent_organisation_id_organisation"), "organisation",
                                 ["organisation_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("referral_consent") as batch:
        batch.drop_constraint(op.f("fk_referral_consent_organisation_id_organisation"), type_="foreignkey")
        batch.drop_column("organisation_id")
