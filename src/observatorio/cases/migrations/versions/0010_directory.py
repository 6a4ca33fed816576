"""directory of organisations and joint mechanisms, and the good-practice registry

Revision ID: 0010_directory
Revises: 0009_reintegration
Create Date: 2026-12-04 23:40:00

On SQLite the practices are also indexed by an FTS5 table (``practice_fts``, accents removed by
the ``unicode61 remove_diacritics 2`` tokenizer) kept in step by triggers; PostgreSQL searches
the accent-folded ``search_text`` column with ``to_tsvector('simple', …)``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_directory"
down_revision = "0009_reintegration"
branch_labels = None
depends_on = None

def _now() -> sa.Column:
    return sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False)


def _entry_table(name: str, *specific: sa.Column) -> None:
    """A directory entry: the columns organisations and mechanisms share, then their own."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("name_es", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("description_es", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        *specific,
        _now(),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.UniqueConstraint("slug", name=f"uq_{name}_slug"),
    )


def upgrade() -> None:
    _entry_table(
        "directory_organisation",
        sa.Column("acronym", sa.String(length=40), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("data_contact", sa.String(length=200), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
    )
    op.create_index("ix_directory_organisation_country", "directory_organisation", ["country"])
    _entry_table("joint_mechanism")
    op.create_table(
        "mechanism_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mechanism_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.CheckConstraint("(organisation_id IS NULL) <> (country IS NULL)",
                           name="ck_mechanism_member_one_member"),
        sa.ForeignKeyConstraint(["mechanism_id"], ["joint_mechanism.id"],
                                name="fk_mechanism_member_mechanism_id_joint_mechanism", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["directory_organisation.id"],
                                name="fk_mechanism_member_organisation_id_directory_organisation",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_mechanism_member"),
        sa.UniqueConstraint("mechanism_id", "organisation_id", "country", name="uq_mechanism_member_mechanism_id"),
    )
    op.create_index("ix_mechanism_member_mechanism_id", "mechanism_member", ["mechanism_id"])
    op.create_index("ix_mechanism_member_organisation_id", "mechanism_member", ["organisation_id"])
    op.create_table(
        "practice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("theme", sa.String(length=80), nullable=False),
        sa.Column("populations", sa.JSON(), nullable=False),
        sa.Column("title_es", sa.String(length=300), nullable=True),
        sa.Column("title_en", sa.String(length=300), nullable=True),
        sa.Column("summary_es", sa.Text(), nullable=True),
        sa.Column("summary_en", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("period_start", sa.String(length=7), nullable=True),
        sa.Column("period_end", sa.String(length=7), nullable=True),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_org_id", sa.Integer(), nullable=True),
        sa.Column("moderated_by_id", sa.Integer(), nullable=True),
        sa.Column("moderation_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _now(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["app_user.id"], name="fk_practice_submitted_by_id_app_user"),
        sa.ForeignKeyConstraint(["submitted_org_id"], ["organisation.id"],
                                name="fk_practice_submitted_org_id_organisation"),
        sa.ForeignKeyConstraint(["moderated_by_id"], ["app_user.id"], name="fk_practice_moderated_by_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_practice"),
    )
    op.create_index("ix_practice_country", "practice", ["country"])
    op.create_index("ix_practice_status_theme", "practice", ["status", "theme"])
    op.create_table(
        "practice_organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["practice_id"], ["practice.id"],
                                name="fk_practice_organisation_practice_id_practice", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["directory_organisation.id"],
                                name="fk_practice_organisation_organisation_id_directory_organisation",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_practice_organisation"),
        sa.UniqueConstraint("practice_id", "organisation_id", name="uq_practice_organisation_practice_id"),
    )
    op.create_index("ix_practice_organisation_practice_id", "practice_organisation", ["practice_id"])
    op.create_index("ix_practice_organisation_organisation_id", "practice_organisation", ["organisation_id"])
    if op.get_bind().dialect.name == "sqlite":
        _create_sqlite_fts()


def _create_sqlite_fts() -> None:
    """An external-content FTS5 index over the practice texts, synchronised by triggers (the
    pattern of the SQLite FTS5 documentation, section 4.4.3)."""
    for statement in SQLITE_FTS:
        op.execute(statement)


SQLITE_FTS = (
    "CREATE VIRTUAL TABLE practice_fts USING fts5(title_es, title_en, summary_es, summary_en, description, results, "
    "content='practice', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER practice_fts_ai AFTER INSERT ON practice BEGIN "
    "INSERT INTO practice_fts(rowid, title_es, title_en, summary_es, summary_en, description, results) "
    "VALUES (new.id, new.title_es, new.title_en, new.summary_es, new.summary_en, new.description, new.results); END",
    "CREATE TRIGGER practice_fts_ad AFTER DELETE ON practice BEGIN "
    "INSERT INTO practice_fts(practice_fts, rowid, title_es, title_en, summary_es, summary_en, description, results) "
    "VALUES ('delete', old.id, old.title_es, old.title_en, old.summary_es, old.summary_en, old.description, old.results); END",
    "CREATE TRIGGER practice_fts_au AFTER UPDATE ON practice BEGIN "
    "INSERT INTO practice_fts(practice_fts, rowid, title_es, title_en, summary_es, summary_en, description, results) "
    "VALUES ('delete', old.id, old.title_es, old.title_en, old.summary_es, old.summary_en, old.description, old.results); "
    "INSERT INTO practice_fts(rowid, title_es, title_en, summary_es, summary_en, description, results) "
    "VALUES (new.id, new.title_es, new.title_en, new.summary_es, new.summary_en, new.description, new.results); END",
)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("practice_fts_ai", "practice_fts_ad", "practice_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS practice_fts")
    op.drop_table("practice_organisation")
    op.drop_table("practice")
    op.drop_table("mechanism_member")
    op.drop_table("joint_mechanism")
    op.drop_table("directory_organisation")
