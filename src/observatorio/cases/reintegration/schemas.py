"""API schemas of the reintegration follow-up (requests and views)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from observatorio.api_texts import api_text
from observatorio.cases.bounds import RecordId
from observatorio.cases.reintegration.questionnaire import Dimension
from observatorio.cases.schemas import SaneDate, _In

Goal = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Department = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]
ChoiceId = Annotated[str, StringConstraints(max_length=40)]


class PlanIn(_In):
    department: Department = Field(description=api_text("api.doc.field.plan.department"))
    economic_goal: Goal | None = None
    social_goal: Goal | None = None
    psychosocial_goal: Goal | None = None
    started_on: SaneDate | None = None


class FollowUpIn(_In):
    answers: Annotated[dict[ChoiceId, ChoiceId], Field(max_length=100)]
    recorded_on: SaneDate | None = None


class PlanServiceIn(_In):
    dimension: Dimension
    service_type: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    provider_organisation_id: RecordId
    status: Literal["planned", "in_progress", "delivered", "cancelled"] = "planned"


class FollowUpOut(BaseModel):
    milestone_months: int
    due_on: dt.date
    recorded_on: dt.date | None
    status: Literal["on_time", "late", "missing", "not_due"]
    questionnaire: str | None
    answers: dict[str, str] | None
    economic: float | None
    social: float | None
    psychosocial: float | None
    composite: float | None


class PlanServiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    dimension: str
    service_type: str
    provider_organisation_id: int
    provider_name: str
    status: str


class PlanOut(BaseModel):
    id: int
    case_id: int
    department: str
    economic_goal: str | None
    social_goal: str | None
    psychosocial_goal: str | None
    started_on: dt.date
    followups: list[FollowUpOut]
    services: list[PlanServiceOut]
