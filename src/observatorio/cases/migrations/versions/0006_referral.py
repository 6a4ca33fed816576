"""cross-border referrals: the consent they rest on, the referrals, and the in-app inbox

Revision ID: 0006_referral
Revises: 0005_case_protocol
Create Date: 2026-12-04 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_referral"
down_revision = "0005_case_protocol"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referral_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("given_by", sa.String(length=10), nullable=False),
        sa.Column("guardian_name", sa.String(length=200), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("given_to", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("given_by IN ('person', 'guardian')", name="ck_referral_consent_given_by"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_referral_consent_case_id_case_file",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["app_user.id"],
                                name="fk_referral_consent_recorded_by_id_app_user"),
        sa.ForeignKeyConstraint(["withdrawn_by_id"], ["app_user.id"],
                                name="fk_referral_consent_withdrawn_by_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_referral_consent"),
    )
    op.create_index("ix_referral_consent_case_id", "referral_consent", ["case_id"])
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_organisation_id", sa.Integer(), nullable=False),
        sa.Column("to_organisation_id", sa.Integer(), nullable=False),
        sa.Column("profile", sa.String(length=40), nullable=False),
        sa.Column("transfer", sa.Boolean(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=True),
        sa.Column("override_justification", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("response_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_by_id", sa.Integer(), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'completed', 'withdrawn')",
                           name="ck_referral_status"),
        sa.CheckConstraint("consent_id IS NOT NULL OR override_justification IS NOT NULL",
                           name="ck_referral_basis"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_referral_case_id_case_file",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["from_organisation_id"], ["organisation.id"],
                                name="fk_referral_from_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["to_organisation_id"], ["organisation.id"],
                                name="fk_referral_to_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["consent_id"], ["referral_consent.id"],
                                name="fk_referral_consent_id_referral_consent"),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"], name="fk_referral_created_by_id_app_user"),
        sa.ForeignKeyConstraint(["responded_by_id"], ["app_user.id"], name="fk_referral_responded_by_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_referral"),
    )
    op.create_index("ix_referral_case_id", "referral", ["case_id"])
    op.create_index("ix_referral_consent_id", "referral", ["consent_id"])
    op.create_index("ix_referral_to_status", "referral", ["to_organisation_id", "status"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_notification_user_id_app_user",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_notification_case_id_case_file",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name="fk_notification_referral_id_referral",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_notification"),
        sa.UniqueConstraint("user_id", "key", name="uq_notification_user_id"),
    )
    op.create_index("ix_notification_user_id", "notification", ["user_id"])
    op.create_table(
        "notification_address",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_notification_address_user_id_app_user",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name="pk_notification_address"),
    )


def downgrade() -> None:
    op.drop_table("notification_address")
    op.drop_index("ix_notification_user_id", table_name="notification")
    op.drop_table("notification")
    op.drop_index("ix_referral_to_status", table_name="referral")
    op.drop_index("ix_referral_consent_id", table_name="referral")
    op.drop_index("ix_referral_case_id", table_name="referral")
    op.drop_table("referral")
    op.drop_index("ix_referral_consent_case_id", table_name="referral_consent")
    op.drop_table("referral_consent")
