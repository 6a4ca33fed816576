"""Storage rows of cross-border referrals: the consent a referral rests on, and the referral.

Kept apart from models.py (same ``Base``, so one metadata); imported by ``cases/db.py`` and the
migrations' environment so the tables are always part of the schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from observatorio.cases.models import Base, Case, Organisation, utcnow


class ReferralConsent(Base):
    """Consent to refer a case, as given by the person or their guardian: when, to whom, for
    what purpose, and who recorded it. Withdrawing it ends the referrals resting on it."""

    __tablename__ = "referral_consent"
    __table_args__ = (CheckConstraint("given_by IN ('person', 'guardian')", name="given_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    given_by: Mapped[str] = mapped_column(String(10))  # person | guardian
    guardian_name: Mapped[str | None] = mapped_column(String(200))  # only when a guardian gave it
    given_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    given_to: Mapped[str] = mapped_column(String(200))  # whom the consent was given to
    purpose: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # the case's holder when it was recorded: a consent is given to one organisation, and only
    # while it holds the case may referrals rest on it (referrals._refer_checked)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Referral(Base):
    """A handoff of a case to another organisation (any country). A referral lets the receiver
    see the minimised view of its profile (``referral_profiles.yaml``); a transfer, once
    accepted, moves the case to the receiver."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'declined', 'completed', 'withdrawn')",
                        name="status"),
        # The consent it rests on, the override's written justification, or a legal mandate.
        CheckConstraint("consent_id IS NOT NULL OR override_justification IS NOT NULL OR mandate IS NOT NULL",
                        name="basis"),
        Index("ix_referral_to_status", "to_organisation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    from_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    to_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    profile: Mapped[str] = mapped_column(String(40))  # key of referral_profiles.yaml
    transfer: Mapped[bool] = mapped_column(default=False)
    services: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("referral_consent.id"), index=True)
    override_justification: Mapped[str | None] = mapped_column(Text)
    # key of referral_profiles.yaml's mandates: the law obliges the referral, no consent asked
    mandate: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    response_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    case: Mapped[Case] = relationship(lazy="joined")
    from_organisation: Mapped[Organisation] = relationship(foreign_keys=[from_organisation_id], lazy="joined")
    to_organisation: Mapped[Organisation] = relationship(foreign_keys=[to_organisation_id], lazy="joined")
    consent: Mapped[ReferralConsent | None] = relationship(lazy="joined")
