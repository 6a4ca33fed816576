"""Use-cases of homologated protocols on a case: its checklist, completing a step, and the overdue
steps of an officer's open cases. Same rules as every use-case (use_context.py): the one policy
function decides, every read or write of personal data is audited in the same transaction.

Times come from the caller (``now``) so tests inject a clock instead of sleeping."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from observatorio.cases.errors import Conflict, Forbidden, Invalid
from observatorio.cases.models import Case, CaseStep
from observatorio.cases.policy import (
    Decision,
    Principal,
    authorize,
    case_resource,
    case_scope_clause,
)
from observatorio.cases.protocols.loader import Protocol, Step, StepState, checklist, protocol_of
from observatorio.cases.use_context import Ctx, load_case, load_case_for_work

MAX_RECORD_CHARS = 2000


def _protocol(case: Case) -> Protocol | None:
    return protocol_of(case.case_type, case.protocol_version, case.protocol_variant)


def _completed(ctx: Ctx, case_id: int) -> dict[str, dt.datetime]:
    rows = ctx.session.execute(select(CaseStep.step_id, CaseStep.completed_at)
                               .where(CaseStep.case_id == case_id)).all()
    return {r.step_id: r.completed_at for r in rows}


def decide_step(principal: Principal, case: Case, step: Step) -> Decision:
    """The step narrows who may act: only memberships whose role it names count, and the policy
    still decides the scope (the same authorize call, on the narrowed principal)."""
    narrowed = Principal(principal.user_id, principal.username,
                         tuple(g for g in principal.grants if g.role in step.roles))
    return authorize(narrowed, "case.step", case_resource(case))


def case_checklist(ctx: Ctx, case_id: int, now: dt.datetime) -> tuple[Protocol | None, list[StepState]]:
    """The protocol a case follows and the state of each step (audited as a read of the case)."""
    case, d = load_case(ctx, case_id, audit_action="case.protocol.read")
    protocol = _protocol(case)
    states = checklist(protocol, case.opened_at, _completed(ctx, case.id), now) if protocol else []
    ctx.log(d, "case.protocol.read", "case", case.id, ["protocol"])
    ctx.commit()
    return protocol, states


def complete_step(ctx: Ctx, case_id: int, step_id: str, record: dict[str, str], now: dt.datetime) -> None:
    """Record a step as done with what it requires; only the roles the step names may do it."""
    case, d = load_case_for_work(ctx, case_id, "case.step")
    protocol = _protocol(case)
    step = protocol.step(step_id) if protocol else None
    if step is None:
        raise ctx.deny(Invalid(key="refusal.step.unknown_step", step_id=step_id, detail={"field": "step_id"}),
                       "case.step", "case", case_id)
    d = decide_step(ctx.principal, case, step)
    if not d.allowed:
        raise ctx.deny(Forbidden(key="refusal.step.role_refused", detail={"action": "case.step", "step": step_id}), "case.step", "case", case_id,
                       [f"step:{step_id}"])
    values: dict[str, str] = {}
    for f in step.record:
        value = (record.get(f.id) or "").strip()
        if not value:
            raise Invalid(key="refusal.step.field_required", label=f.label, f_id=f.id, detail={"field": f.id})
        if len(value) > MAX_RECORD_CHARS or any(ord(c) < 32 and c not in "\n\t" for c in value):
            raise Invalid(key="refusal.step.field_too_long", label=f.label, f_id=f.id, max_chars=MAX_RECORD_CHARS, detail={"field": f.id})
        values[f.id] = value
    if ctx.session.scalar(select(CaseStep.id).where(CaseStep.case_id == case.id, CaseStep.step_id == step_id)):
        raise Conflict(key="refusal.step.already_complete", label=step.label, detail={"step": step_id})
    ctx.session.add(CaseStep(case_id=case.id, step_id=step_id, record=values,
                             completed_by_id=ctx.principal.user_id, completed_at=now))
    ctx.session.flush()
    ctx.log(d, "case.step", "case", case.id, [f"step:{step_id}", *values])
    ctx.commit()


@dataclass(frozen=True)
class OverdueStep:
    case_id: int
    reference: str
    step: StepState


def my_overdue_steps(ctx: Ctx, now: dt.datetime, limit: int = 200, *,
                     supervised: bool = False) -> list[OverdueStep]:
    """Overdue steps of the open cases assigned to the user that the user may read, or with
    ``supervised`` of every open case the user may read (a supervisor's view)."""
    conds = [Case.status != "closed", Case.protocol_version.is_not(None),
             case_scope_clause(ctx.principal, "case.read")]
    if not supervised:
        conds.append(Case.officer_id == ctx.principal.user_id)
    cases = ctx.session.scalars(select(Case).where(*conds).order_by(Case.opened_at).limit(limit)).unique().all()
    out: list[OverdueStep] = []
    for case in cases:
        d = authorize(ctx.principal, "case.read", case_resource(case))
        protocol = _protocol(case)
        if not d.allowed or protocol is None:
            continue
        late = [s for s in checklist(protocol, case.opened_at, _completed(ctx, case.id), now) if s.overdue]
        if late:
            out.extend(OverdueStep(case.id, case.reference, s) for s in late)
            ctx.log(d, "case.protocol.read", "case", case.id, ["reference", "protocol"])
    ctx.commit()
    return out
