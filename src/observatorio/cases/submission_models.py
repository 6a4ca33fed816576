"""Storage rows of data submissions (statistics side, same identity and database as the cases):
which sources an organisation provides, and each uploaded file with its review."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from observatorio.cases.models import Base, utcnow


class ProvidedSource(Base):
    """An organisation provides a source: a built-in adapter, or a mapping (YAML) kept here."""

    __tablename__ = "provided_source"
    __table_args__ = (UniqueConstraint("organisation_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    source: Mapped[str] = mapped_column(String(120))
    mapping: Mapped[str | None] = mapped_column(Text)  # None: the built-in adapter of `source`


class Submission(Base):
    """One uploaded file: stored only once clean, then reviewed (four eyes), then published."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    source: Mapped[str] = mapped_column(String(120), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    mapping: Mapped[str | None] = mapped_column(Text)  # a new mapping sent with the file
    release: Mapped[dt.date] = mapped_column(Date)
    rows: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # SubmissionStatus
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(Text)
    release_notes: Mapped[str | None] = mapped_column(Text)
    embargo_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    load_id: Mapped[str | None] = mapped_column(String(200))
