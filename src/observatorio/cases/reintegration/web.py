"""Officer web page of a reintegration plan: open it, record each follow-up (the questionnaire's
questions as keyboard-friendly radio groups), link services to providers. Same use cases as the
API (plans.py); forms carry the session's CSRF token, like every officer page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from observatorio.cases.bounds import PathId
from observatorio.cases.errors import CasesError, Invalid
from observatorio.cases.models import Case, Organisation
from observatorio.cases.page_kit import (
    OfficerDep,
    RuntimeDep,
    csrf_refused,
    error_text,
    invalid,
    lang_of,
    now_of,
    page_router,
    render,
)
from observatorio.cases.reintegration import plans
from observatorio.cases.reintegration.questionnaire import DIMENSIONS, questionnaire
from observatorio.cases.reintegration.schemas import FollowUpIn, PlanIn, PlanServiceIn

router = page_router()


def _page(request: Request, me: OfficerDep, case_id: int, status: int = 200, error: str = "") -> Response:
    """The plan's page; after a refused form its language switch leads to the plan's own address
    (a follow-up's or a service's post answers no GET)."""
    back = f"/cases/c/{case_id}/reintegration"
    try:
        plan = plans.find_plan(me.ctx, case_id, now_of(request).date())
    except CasesError as exc:
        return render(request, "cases_error.html", exc.status, switch_to=back, me=me,
                      message=error_text(request, exc))
    providers = me.ctx.session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name)).all()
    # the way back names the case as the officer knows it (find_plan has checked the case's reach)
    reference = me.ctx.session.scalar(select(Case.reference).where(Case.id == case_id))
    return render(request, "cases_reintegration.html", status, switch_to=back, me=me, case_id=case_id,
                  reference=reference,
                  plan=plan, questionnaire=questionnaire(), dimensions=DIMENSIONS, providers=providers,
                  error=error)


@router.get("/cases/c/{case_id}/reintegration")
def plan_page(request: Request, me: OfficerDep, case_id: PathId) -> Response:
    """The plan, its follow-ups (due date, status, scores) and services, with their forms."""
    return _page(request, me, case_id)


def _back(request: Request, case_id: int, anchor: str) -> Response:
    return RedirectResponse(f"/cases/c/{case_id}/reintegration?lang={lang_of(request)}#{anchor}", status_code=303)


async def _submit(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: int, action: str,
                  milestone: int = 0) -> Response:
    form = await request.form()
    if refused := csrf_refused(request, me, rt, str(form.get("csrf_token", ""))):
        return refused
    today = now_of(request).date()
    fields = {k: str(v)[:2000] for k, v in form.items() if k != "csrf_token"}
    try:
        if action == "plan":
            plans.create_plan(me.ctx, case_id, PlanIn.model_validate(
                {k: v for k, v in fields.items() if v and k in PlanIn.model_fields}), today)
        elif action == "followup":
            answers = {k[2:]: v for k, v in fields.items() if k.startswith("q_")}
            plans.record_followup(me.ctx, case_id, milestone, FollowUpIn(answers=answers), today)
        else:
            if not fields.get("provider_organisation_id", "").isdecimal():
                raise Invalid(key="refusal.reintegration.choose_provider_organisation", detail={"field": "provider_organisation_id"})
            plans.add_plan_service(me.ctx, case_id, PlanServiceIn.model_validate(
                {k: v for k, v in fields.items() if k in PlanServiceIn.model_fields}), today)
    except ValidationError as exc:
        return _page(request, me, case_id, 422, error_text(request, invalid(exc)))
    except CasesError as exc:
        return _page(request, me, case_id, exc.status, error_text(request, exc))
    return _back(request, case_id, {"plan": "plan", "followup": f"followup-{milestone}"}.get(action, "services"))


@router.post("/cases/c/{case_id}/reintegration")
async def open_plan(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId) -> Response:
    return await _submit(request, me, rt, case_id, "plan")


@router.post("/cases/c/{case_id}/reintegration/followups/{milestone}")
async def record_followup(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId, milestone: PathId) -> Response:
    return await _submit(request, me, rt, case_id, "followup", milestone if 0 < milestone <= 120 else 0)


@router.post("/cases/c/{case_id}/reintegration/services")
async def add_service(request: Request, me: OfficerDep, rt: RuntimeDep, case_id: PathId) -> Response:
    return await _submit(request, me, rt, case_id, "service")
