"""data submissions: the sources an organisation provides, and uploaded files under review

Revision ID: 0008_submissions
Revises: 0007_reception
Create Date: 2026-12-04 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_submissions"
down_revision = "0007_reception"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provided_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_provided_source_organisation_id_organisation"),
        sa.PrimaryKeyConstraint("id", name="pk_provided_source"),
        sa.UniqueConstraint("organisation_id", "source", name="uq_provided_source_organisation_id"),
    )
    op.create_index("ix_provided_source_organisation_id", "provided_source", ["organisation_id"])
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=True),
        sa.Column("release", sa.Date(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("release_notes", sa.Text(), nullable=True),
        sa.Column("embargo_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("load_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_submission_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["uploader_id"], ["app_user.id"], name="fk_submission_uploader_id_app_user"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["app_user.id"], name="fk_submission_reviewer_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_submission"),
    )
    op.create_index("ix_submission_organisation_id", "submission", ["organisation_id"])
    op.create_index("ix_submission_source", "submission", ["source"])
    op.create_index("ix_submission_sha256", "submission", ["sha256"])


def downgrade() -> None:
    for index in ("ix_submission_sha256", "ix_submission_source", "ix_submission_organisation_id"):
        op.drop_index(index, table_name="submission")
    op.drop_table("submission")
    op.drop_index("ix_provided_source_organisation_id", table_name="provided_source")
    op.drop_table("provided_source")
