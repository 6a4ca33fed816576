"""Storage rows of returnee reception. The tables join the cases metadata (``Base``); they are
imported wherever that metadata is assembled (migrations/env.py, cases/db.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from observatorio.cases.models import Base, Organisation, utcnow


class Arrival(Base):
    """A flight or bus of returnees announced to a reception centre."""

    __tablename__ = "reception_arrival"
    __table_args__ = (CheckConstraint("mode IN ('flight', 'bus')", name="mode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)  # the centre
    mode: Mapped[str] = mapped_column(String(10))
    arrival_date: Mapped[dt.date] = mapped_column(Date, index=True)
    arriving_from: Mapped[str] = mapped_column(String(3))  # ISO 3166-1 alpha-3 of the returning country
    expected_count: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class ManifestEntry(Base):
    """One person on the manifest the returning country sent (personal data: cases side only)."""

    __tablename__ = "reception_manifest_entry"
    __table_args__ = (UniqueConstraint("arrival_id", "row_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    arrival_id: Mapped[int] = mapped_column(ForeignKey("reception_arrival.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)  # the row in the file, for the officer's reference
    given_names: Mapped[str] = mapped_column(String(200))
    family_names: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10))


class Municipality(Base):
    """One entry of a national municipality code list, loaded as data (reception/geography.py)."""

    __tablename__ = "reception_municipality"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(6), index=True)  # ISO 3166-2
    country: Mapped[str] = mapped_column(String(3), index=True)


class Intake(Base):
    """A person received at the centre: identity check, destination, screening, services."""

    __tablename__ = "reception_intake"
    __table_args__ = (
        CheckConstraint("identity_check IN ('matched', 'corrected', 'not_on_manifest')", name="identity_check"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    arrival_id: Mapped[int] = mapped_column(ForeignKey("reception_arrival.id"), index=True)
    manifest_entry_id: Mapped[int | None] = mapped_column(ForeignKey("reception_manifest_entry.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    identity_check: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(6))  # ISO 3166-2 of destination
    municipality_code: Mapped[str | None] = mapped_column(String(20))
    municipality_text: Mapped[str | None] = mapped_column(String(120))  # free text when no list is loaded
    accompaniment: Mapped[str] = mapped_column(String(20))  # contract codes: UNACCOMPANIED, FAMILY_UNIT…
    vulnerabilities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    services: Mapped[list[Any]] = mapped_column(JSON, default=list)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
