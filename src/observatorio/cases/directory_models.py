"""Storage rows of the public directory (organisations, joint mechanisms and their members) and
of the good-practice registry. They live in the application database beside the accounts, so
the editors' identity, the policy and the audit chain are the cases side's own; nothing here is
personal data about migrants."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from observatorio.cases.models import Base, utcnow
from observatorio.model.app_tables import DIRECTORY_ORGANISATION_TABLE, PRACTICE_TABLE, SUBMITTED


class _Entry:
    """Columns every directory entry has: an address slug, a kind, names and descriptions in
    both languages."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # vocabulary: directory_schemas
    name_es: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    description_es: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class DirectoryOrganisation(_Entry, Base):
    """A member state's institution, a civil-society organisation or an international one."""

    __tablename__ = DIRECTORY_ORGANISATION_TABLE

    country: Mapped[str | None] = mapped_column(String(3), index=True)  # None: international
    acronym: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(500))
    # Institutional address the submission reminders go to (never shown on public pages).
    data_contact: Mapped[str | None] = mapped_column(String(200))
    # Source ids (or globs such as ``unhcr_*``) of the datasets it provides to the observatory.
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)


class JointMechanism(_Entry, Base):
    """A CRM working group, a national roundtable or a network, and who takes part in it."""

    __tablename__ = "joint_mechanism"

    country: Mapped[str | None] = mapped_column(String(3))  # national roundtables only

    members: Mapped[list[MechanismMember]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="MechanismMember.id")


class MechanismMember(Base):
    """One member: an organisation of the directory, or a member state as such."""

    __tablename__ = "mechanism_member"
    __table_args__ = (
        CheckConstraint("(organisation_id IS NULL) <> (country IS NULL)", name="one_member"),
        UniqueConstraint("mechanism_id", "organisation_id", "country"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mechanism_id: Mapped[int] = mapped_column(ForeignKey("joint_mechanism.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("directory_organisation.id", ondelete="CASCADE"), index=True)
    country: Mapped[str | None] = mapped_column(String(3))

    organisation: Mapped[DirectoryOrganisation | None] = relationship(lazy="joined")


class Practice(Base):
    """A good practice: submitted by an organisation, moderated by an editor, then public."""

    __tablename__ = PRACTICE_TABLE
    __table_args__ = (Index("ix_practice_status_theme", "status", "theme"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default=SUBMITTED)  # SUBMITTED|PUBLISHED|REJECTED
    country: Mapped[str] = mapped_column(String(3), index=True)
    theme: Mapped[str] = mapped_column(String(80))  # an action id of the CRM action matrix
    populations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    title_es: Mapped[str | None] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    summary_es: Mapped[str | None] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")  # results and the evidence for them
    period_start: Mapped[str | None] = mapped_column(String(7))  # YYYY or YYYY-MM
    period_end: Mapped[str | None] = mapped_column(String(7))
    contact: Mapped[str] = mapped_column(String(300), default="")  # an institutional contact point
    documents: Mapped[list[Any]] = mapped_column(JSON, default=list)  # http(s) addresses
    # Accent-folded, lower-case words of every text field: PostgreSQL's full-text index reads
    # it (SQLite uses an FTS5 table with remove_diacritics instead).
    search_text: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    submitted_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    moderation_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    organisations: Mapped[list[PracticeOrganisation]] = relationship(
        lazy="selectin", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class PracticeOrganisation(Base):
    """An organisation of the directory that carries out a practice."""

    __tablename__ = "practice_organisation"
    __table_args__ = (UniqueConstraint("practice_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("directory_organisation.id", ondelete="CASCADE"), index=True)

    organisation: Mapped[DirectoryOrganisation] = relationship(lazy="joined")
