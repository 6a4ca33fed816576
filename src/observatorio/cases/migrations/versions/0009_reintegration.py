"""reintegration follow-up: plans, scored follow-ups, services by provider

Revision ID: 0009_reintegration
Revises: 0008_submissions
Create Date: 2026-12-04 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_reintegration"
down_revision = "0008_submissions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reintegration_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=6), nullable=False),
        sa.Column("economic_goal", sa.Text(), nullable=True),
        sa.Column("social_goal", sa.Text(), nullable=True),
        sa.Column("psychosocial_goal", sa.Text(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_reintegration_plan_case_id_case_file",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"],
                                name="fk_reintegration_plan_created_by_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_reintegration_plan"),
        sa.UniqueConstraint("case_id", name="uq_reintegration_plan_case_id"),
    )
    op.create_index("ix_reintegration_plan_department", "reintegration_plan", ["department"])
    op.create_table(
        "reintegration_followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("milestone_months", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=True),
        sa.Column("questionnaire", sa.String(length=60), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("economic", sa.Float(), nullable=True),
        sa.Column("social", sa.Float(), nullable=True),
        sa.Column("psychosocial", sa.Float(), nullable=True),
        sa.Column("composite", sa.Float(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["reintegration_plan.id"],
                                name="fk_reintegration_followup_plan_id_reintegration_plan", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["app_user.id"],
                                name="fk_reintegration_followup_recorded_by_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_reintegration_followup"),
        sa.UniqueConstraint("plan_id", "milestone_months", name="uq_reintegration_followup_plan_id"),
    )
    op.create_index("ix_reintegration_followup_plan_id", "reintegration_followup", ["plan_id"])
    op.create_index("ix_reintegration_followup_due_on", "reintegration_followup", ["due_on"])
    op.create_table(
        "reintegration_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("service_type", sa.String(length=60), nullable=False),
        sa.Column("provider_organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["reintegration_plan.id"],
                                name="fk_reintegration_service_plan_id_reintegration_plan", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["provider_organisation_id"], ["organisation.id"],
                                name="fk_reintegration_service_provider_organisation_id_organisation"),
        sa.PrimaryKeyConstraint("id", name="pk_reintegration_service"),
    )
    op.create_index("ix_reintegration_service_plan_id", "reintegration_service", ["plan_id"])
    op.create_index("ix_reintegration_service_provider_organisation_id", "reintegration_service",
                    ["provider_organisation_id"])


def downgrade() -> None:
    op.drop_table("reintegration_service")
    op.drop_table("reintegration_followup")
    op.drop_table("reintegration_plan")
