"""Use cases of the reintegration follow-up. Same rules as every use-case (cases/use_context.py):
the one policy function decides (``case.reintegration`` to write, ``case.read`` to read, on the
returnee's case), and every read or write of the plan is audited in the same transaction.

The date of "today" comes from the caller so tests inject a clock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from observatorio.cases.errors import Conflict, Invalid, NotFound
from observatorio.cases.models import Case, Organisation
from observatorio.cases.policy import Decision
from observatorio.cases.reintegration import schedule
from observatorio.cases.reintegration.questionnaire import questionnaire, score
from observatorio.cases.reintegration.schemas import (
    FollowUpIn,
    FollowUpOut,
    PlanIn,
    PlanOut,
    PlanServiceIn,
    PlanServiceOut,
)
from observatorio.cases.reintegration_models import (
    ReintegrationFollowUp,
    ReintegrationPlan,
    ReintegrationService,
)
from observatorio.cases.use_context import Ctx, load_case, load_case_for_work
from observatorio.cases.vocab import CaseType
from observatorio.harmonize.subdivisions import all_subdivisions

ACTION = "case.reintegration"
PLAN_FIELDS = ["reintegration.department", "reintegration.goals", "reintegration.started_on"]


def _plan_of(ctx: Ctx, case: Case) -> ReintegrationPlan | None:
    return ctx.session.scalar(select(ReintegrationPlan).where(ReintegrationPlan.case_id == case.id))


def _no_plan(case_id: int) -> NotFound:
    return NotFound(key="refusal.reintegration.no_plan", case_id=case_id)


def _out(ctx: Ctx, plan: ReintegrationPlan, today: dt.date) -> PlanOut:
    grace = questionnaire().on_time_days
    followups = ctx.session.scalars(select(ReintegrationFollowUp).where(ReintegrationFollowUp.plan_id == plan.id)
                                    .order_by(ReintegrationFollowUp.milestone_months)).all()
    services = ctx.session.execute(
        select(ReintegrationService, Organisation.name)
        .join(Organisation, Organisation.id == ReintegrationService.provider_organisation_id)
        .where(ReintegrationService.plan_id == plan.id).order_by(ReintegrationService.id)).all()
    return PlanOut(
        id=plan.id, case_id=plan.case_id, department=plan.department, economic_goal=plan.economic_goal,
        social_goal=plan.social_goal, psychosocial_goal=plan.psychosocial_goal, started_on=plan.started_on,
        followups=[FollowUpOut(
            milestone_months=f.milestone_months, due_on=f.due_on, recorded_on=f.recorded_on,
            status=schedule.status(f.due_on, f.recorded_on, today, grace), questionnaire=f.questionnaire,
            answers=f.answers, economic=f.economic, social=f.social, psychosocial=f.psychosocial,
            composite=f.composite) for f in followups],
        services=[PlanServiceOut(id=s.id, dimension=s.dimension, service_type=s.service_type,
                                 provider_organisation_id=s.provider_organisation_id, provider_name=name,
                                 status=s.status) for s, name in services],
    )


def _writable_case(ctx: Ctx, case_id: int) -> tuple[Case, Decision]:
    case, d = load_case_for_work(ctx, case_id, ACTION)
    if case.case_type != CaseType.RETURNEE_REINTEGRATION.value:
        raise Invalid(key="refusal.reintegration.wrong_case_type", detail={"field": "case_type"})
    return case, d


def create_plan(ctx: Ctx, case_id: int, data: PlanIn, today: dt.date) -> PlanOut:
    """The returnee's plan, with its follow-ups scheduled at the questionnaire's milestones."""
    case, d = _writable_case(ctx, case_id)
    sub = all_subdivisions().get(data.department)
    if sub is None or sub.country != case.country:
        raise Invalid(key="refusal.reintegration.bad_department", data_department=data.department, case_country=case.country, detail={"field": "department"})
    if _plan_of(ctx, case) is not None:
        raise Conflict(key="refusal.reintegration.plan_exists")
    started = data.started_on or today
    plan = ReintegrationPlan(case_id=case.id, department=data.department, economic_goal=data.economic_goal,
                             social_goal=data.social_goal, psychosocial_goal=data.psychosocial_goal,
                             started_on=started, created_by_id=ctx.principal.user_id)
    ctx.session.add(plan)
    ctx.session.flush()
    for months, due in schedule.due_dates(started, questionnaire().milestones_months).items():
        ctx.session.add(ReintegrationFollowUp(plan_id=plan.id, milestone_months=months, due_on=due))
    ctx.session.flush()
    ctx.log(d, "reintegration.plan.create", "case", case.id, PLAN_FIELDS)
    out = _out(ctx, plan, today)
    ctx.commit()
    return out


def find_plan(ctx: Ctx, case_id: int, today: dt.date) -> PlanOut | None:
    """The case's plan, or None when it has none (the case itself must be readable)."""
    case, d = load_case(ctx, case_id, audit_action="reintegration.plan.read")
    plan = _plan_of(ctx, case)
    if plan is None:
        ctx.commit()
        return None
    out = _out(ctx, plan, today)
    ctx.log(d, "reintegration.plan.read", "case", case.id, [*PLAN_FIELDS, "reintegration.followups"])
    ctx.commit()
    return out


def get_plan(ctx: Ctx, case_id: int, today: dt.date) -> PlanOut:
    found = find_plan(ctx, case_id, today)
    if found is None:
        raise _no_plan(case_id)
    return found


def record_followup(ctx: Ctx, case_id: int, milestone: int, data: FollowUpIn, today: dt.date) -> PlanOut:
    """Score and record the follow-up of one milestone (once; 409 if already recorded)."""
    case, d = _writable_case(ctx, case_id)
    plan = _plan_of(ctx, case)
    if plan is None:
        raise _no_plan(case_id)
    q = questionnaire()
    followup = ctx.session.scalar(select(ReintegrationFollowUp).where(
        ReintegrationFollowUp.plan_id == plan.id, ReintegrationFollowUp.milestone_months == milestone))
    if followup is None:
        months = ", ".join(str(m) for m in q.milestones_months)
        raise Invalid(key="refusal.reintegration.unknown_milestone", milestone=milestone, months=months, detail={"field": "milestone"})
    if followup.recorded_on is not None:
        raise Conflict(key="refusal.reintegration.follow_up_exists", milestone=milestone)
    recorded = data.recorded_on or today
    earliest = followup.due_on - dt.timedelta(days=q.on_time_days)
    if not earliest <= recorded <= today:
        raise Invalid(key="refusal.reintegration.follow_up_date", earliest=earliest, today=today, detail={"field": "recorded_on"})
    scores = score(q, dict(data.answers))
    followup.recorded_on, followup.questionnaire, followup.answers = recorded, q.key, dict(data.answers)
    followup.economic, followup.social = scores.economic, scores.social
    followup.psychosocial, followup.composite = scores.psychosocial, scores.composite
    followup.recorded_by_id = ctx.principal.user_id
    ctx.session.flush()
    ctx.log(d, "reintegration.followup", "case", case.id, [f"followup:{milestone}", "answers"])
    out = _out(ctx, plan, today)
    ctx.commit()
    return out


def add_plan_service(ctx: Ctx, case_id: int, data: PlanServiceIn, today: dt.date) -> PlanOut:
    """A service of the plan, given by an organisation of the directory."""
    case, d = _writable_case(ctx, case_id)
    plan = _plan_of(ctx, case)
    if plan is None:
        raise _no_plan(case_id)
    if ctx.session.get(Organisation, data.provider_organisation_id) is None:
        raise Invalid(key="refusal.reintegration.unknown_provider", data_provider_organisation_id=data.provider_organisation_id, detail={"field": "provider_organisation_id"})
    ctx.session.add(ReintegrationService(plan_id=plan.id, dimension=data.dimension, service_type=data.service_type,
                                         provider_organisation_id=data.provider_organisation_id, status=data.status))
    ctx.session.flush()
    ctx.log(d, "reintegration.service", "case", case.id, ["reintegration.service"])
    out = _out(ctx, plan, today)
    ctx.commit()
    return out
