"""REST API of the reintegration follow-up: /api/v1/cases/{id}/reintegration… and the questionnaire."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path

from observatorio.api_texts import api_text
from observatorio.cases.api import NOT_PERSONAL, PERSONAL, CasesRoute, CtxDep
from observatorio.cases.bounds import PathId
from observatorio.cases.reintegration import plans
from observatorio.cases.reintegration.questionnaire import questionnaire
from observatorio.cases.reintegration.schemas import FollowUpIn, PlanIn, PlanOut, PlanServiceIn

router = APIRouter(route_class=CasesRoute, tags=["cases"])
Milestone = Annotated[int, Path(ge=1, le=120)]


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@router.get("/api/v1/reintegration/questionnaire", openapi_extra=NOT_PERSONAL,
            summary=api_text("api.doc.reintegration.get_questionnaire.summary"),
            description=api_text("api.doc.reintegration.get_questionnaire.description"))
def get_questionnaire() -> dict[str, Any]:
    """The follow-up questionnaire (questions, options and their scores, weights, milestones)."""
    return questionnaire().model_dump()


@router.post("/api/v1/cases/{case_id}/reintegration", status_code=201, response_model=PlanOut,
             openapi_extra=PERSONAL,
             summary=api_text("api.doc.reintegration.create_plan.summary"),
             description=api_text("api.doc.reintegration.create_plan.description"))
def create_plan(ctx: CtxDep, case_id: PathId, body: PlanIn) -> PlanOut:
    """Open the returnee's reintegration plan; its follow-ups are scheduled."""
    return plans.create_plan(ctx, case_id, body, _today())


@router.get("/api/v1/cases/{case_id}/reintegration", response_model=PlanOut, openapi_extra=PERSONAL,
            summary=api_text("api.doc.reintegration.get_plan.summary"),
            description=api_text("api.doc.reintegration.get_plan.description"))
def get_plan(ctx: CtxDep, case_id: PathId) -> PlanOut:
    """The plan, its follow-ups (due, on time or not, scores) and services."""
    return plans.get_plan(ctx, case_id, _today())


@router.post("/api/v1/cases/{case_id}/reintegration/followups/{milestone}", response_model=PlanOut,
             openapi_extra=PERSONAL,
             summary=api_text("api.doc.reintegration.record_followup.summary"),
             description=api_text("api.doc.reintegration.record_followup.description"))
def record_followup(ctx: CtxDep, case_id: PathId, milestone: Milestone, body: FollowUpIn) -> PlanOut:
    """Record the answers of one milestone's follow-up; they are scored."""
    return plans.record_followup(ctx, case_id, milestone, body, _today())


@router.post("/api/v1/cases/{case_id}/reintegration/services", status_code=201, response_model=PlanOut,
             openapi_extra=PERSONAL,
             summary=api_text("api.doc.reintegration.add_service.summary"),
             description=api_text("api.doc.reintegration.add_service.description"))
def add_service(ctx: CtxDep, case_id: PathId, body: PlanServiceIn) -> PlanOut:
    """Link a service of one dimension to a provider organisation."""
    return plans.add_plan_service(ctx, case_id, body, _today())
