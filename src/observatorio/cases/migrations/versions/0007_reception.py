"""returnee reception: arrivals, manifest entries, intakes, municipality code list

Revision ID: 0007_reception
Revises: 0006_referral
Create Date: 2026-12-04 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_reception"
down_revision = "0006_referral"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reception_arrival",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("arrival_date", sa.Date(), nullable=False),
        sa.Column("arriving_from", sa.String(length=3), nullable=False),
        sa.Column("expected_count", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.CheckConstraint("mode IN ('flight', 'bus')", name="ck_reception_arrival_mode"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_reception_arrival_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"],
                                name="fk_reception_arrival_created_by_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_reception_arrival"),
        sa.UniqueConstraint("reference", name="uq_reception_arrival_reference"),
    )
    op.create_index("ix_reception_arrival_organisation_id", "reception_arrival", ["organisation_id"])
    op.create_index("ix_reception_arrival_arrival_date", "reception_arrival", ["arrival_date"])
    op.create_table(
        "reception_manifest_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arrival_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("given_names", sa.String(length=200), nullable=False),
        sa.Column("family_names", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["arrival_id"], ["reception_arrival.id"],
                                name="fk_reception_manifest_entry_arrival_id_reception_arrival", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_reception_manifest_entry"),
        sa.UniqueConstraint("arrival_id", "row_number", name="uq_reception_manifest_entry_arrival_id"),
    )
    op.create_index("ix_reception_manifest_entry_arrival_id", "reception_manifest_entry", ["arrival_id"])
    op.create_table(
        "reception_municipality",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=6), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_reception_municipality"),
    )
    op.create_index("ix_reception_municipality_department", "reception_municipality", ["department"])
    op.create_index("ix_reception_municipality_country", "reception_municipality", ["country"])
    op.create_table(
        "reception_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arrival_id", sa.Integer(), nullable=False),
        sa.Column("manifest_entry_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("identity_check", sa.String(length=20), nullable=False),
        sa.Column("department", sa.String(length=6), nullable=True),
        sa.Column("municipality_code", sa.String(length=20), nullable=True),
        sa.Column("municipality_text", sa.String(length=120), nullable=True),
        sa.Column("accompaniment", sa.String(length=20), nullable=False),
        sa.Column("vulnerabilities", sa.JSON(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.CheckConstraint("identity_check IN ('matched', 'corrected', 'not_on_manifest')",
                           name="ck_reception_intake_identity_check"),
        sa.ForeignKeyConstraint(["arrival_id"], ["reception_arrival.id"],
                                name="fk_reception_intake_arrival_id_reception_arrival"),
        sa.ForeignKeyConstraint(["manifest_entry_id"], ["reception_manifest_entry.id"],
                                name="fk_reception_intake_manifest_entry_id_reception_manifest_entry"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_reception_intake_person_id_person"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_reception_intake_case_id_case_file"),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"],
                                name="fk_reception_intake_created_by_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_reception_intake"),
        sa.UniqueConstraint("manifest_entry_id", name="uq_reception_intake_manifest_entry_id"),
    )
    op.create_index("ix_reception_intake_arrival_id", "reception_intake", ["arrival_id"])
    op.create_index("ix_reception_intake_person_id", "reception_intake", ["person_id"])
    op.create_index("ix_reception_intake_case_id", "reception_intake", ["case_id"])
    op.create_index("ix_reception_intake_received_on", "reception_intake", ["received_on"])


def downgrade() -> None:
    op.drop_table("reception_intake")
    op.drop_table("reception_municipality")
    op.drop_table("reception_manifest_entry")
    op.drop_table("reception_arrival")
