"""Storage rows of the reintegration follow-up (cases/reintegration): the plan of one returnee's
case, its follow-ups at the questionnaire's milestones, and the services of the plan by provider
organisation. Migration 0009_reintegration creates them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from observatorio.cases.models import Base, utcnow


class ReintegrationPlan(Base):
    """One plan per returnee's case (case type returnee_reintegration), in three dimensions."""

    __tablename__ = "reintegration_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), unique=True)
    # Where the returnee lives: ISO 3166-2 department (HN-CR), the indicators' "by department".
    department: Mapped[str] = mapped_column(String(6), index=True)
    economic_goal: Mapped[str | None] = mapped_column(Text)
    social_goal: Mapped[str | None] = mapped_column(Text)
    psychosocial_goal: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[dt.date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReintegrationFollowUp(Base):
    """A milestone of a plan: due on a date, recorded (answers and scores) or not yet."""

    __tablename__ = "reintegration_followup"
    __table_args__ = (UniqueConstraint("plan_id", "milestone_months"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("reintegration_plan.id", ondelete="CASCADE"), index=True)
    milestone_months: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    recorded_on: Mapped[dt.date | None] = mapped_column(Date)
    questionnaire: Mapped[str | None] = mapped_column(String(60))  # "<id>@<version>" scored with
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # question id -> option id
    economic: Mapped[float | None] = mapped_column(Float)
    social: Mapped[float | None] = mapped_column(Float)
    psychosocial: Mapped[float | None] = mapped_column(Float)
    composite: Mapped[float | None] = mapped_column(Float)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class ReintegrationService(Base):
    """A service of the plan, in one dimension, given by an organisation of the directory."""

    __tablename__ = "reintegration_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("reintegration_plan.id", ondelete="CASCADE"), index=True)
    dimension: Mapped[str] = mapped_column(String(20))
    service_type: Mapped[str] = mapped_column(String(60))
    provider_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
