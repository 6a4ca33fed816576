"""The rights of the person a record is about: access (an export of everything the user may
export) and erasure (pseudonymisation), decided case by case. Every function checks the policy,
does the work, and appends the audit entries in the same transaction (``use_context.Ctx``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from observatorio.cases import retention
from observatorio.cases.errors import Conflict
from observatorio.cases.models import Case, CaseNote, CaseRevision, CaseService, CaseTask, utcnow
from observatorio.cases.policy import Decision, authorize, person_resource
from observatorio.cases.record_views import (
    PERSON_READ_FIELDS,
    case_out,
    note_out,
    person_out,
    visible_case_fields,
)
from observatorio.cases.schemas import ErasureOut, ServiceOut, TaskOut
from observatorio.cases.transition_models import CaseTransitionReason
from observatorio.cases.use_context import (
    Ctx,
    decide_case,
    load_person,
    lock_person_cases,
    person_cases,
)


def export_person(ctx: Ctx, person_id: int) -> dict[str, Any]:
    """Everything on one person the user may export (right of access).

    Each case is included only if the policy allows ``person.export`` on that very case (as
    holder: a share grants reading, not exporting), with that case's field-level grants; notes,
    tasks, services and the reasons given for status transitions (``transitions``) only of the
    included cases, note bodies by the same case's grants. Other organisations' cases about the
    same person are neither shown nor counted.
    """
    person, d = load_person(ctx, person_id, "person.export")
    decided = _cases_allowing(ctx, person_cases(ctx, person_id), "person.export")
    by_case = {c.id: cd for c, cd in decided}
    case_ids = list(by_case)
    notes = ctx.session.scalars(select(CaseNote).where(CaseNote.case_id.in_(case_ids))
                                .order_by(CaseNote.id)).all() if case_ids else []
    tasks = ctx.session.scalars(select(CaseTask).where(CaseTask.case_id.in_(case_ids))
                                .order_by(CaseTask.id)).all() if case_ids else []
    services = ctx.session.scalars(select(CaseService).where(CaseService.case_id.in_(case_ids))
                                   .order_by(CaseService.id)).all() if case_ids else []
    transitions = _transitions_of(ctx, case_ids)
    withheld = frozenset().union(*(cd.hidden_fields for cd in by_case.values())) if by_case else d.hidden_fields
    export = {
        "person": person_out(ctx, person).model_dump(mode="json"),
        "cases": [case_out(c, cd).model_dump(mode="json") for c, cd in decided],
        "notes": [note_out(n, by_case[n.case_id]).model_dump(mode="json") for n in notes],
        "tasks": [TaskOut.model_validate(t).model_dump(mode="json") for t in tasks],
        "services": [ServiceOut.model_validate(s).model_dump(mode="json") for s in services],
        "transitions": transitions,
        "withheld_fields": sorted(withheld),
        "exported_at": utcnow().isoformat(),
    }
    ctx.log(d, "person.export", "person", person_id, PERSON_READ_FIELDS)
    with_reasons = {t["case_id"] for t in transitions}
    for c, cd in decided:
        ctx.log(cd, "person.export", "case", c.id,
                [*visible_case_fields(cd), *(["transition_reasons"] if c.id in with_reasons else [])])
    ctx.commit()
    return export


def _transitions_of(ctx: Ctx, case_ids: list[int]) -> list[dict[str, Any]]:
    """The transitions of ``case_ids`` that carried a reason (transitions.py): case, the version
    the transition produced, when, the status moved to, and the reason (None once erased)."""
    if not case_ids:
        return []
    rows = ctx.session.execute(
        select(CaseTransitionReason, CaseRevision.changes)
        .outerjoin(CaseRevision, (CaseRevision.case_id == CaseTransitionReason.case_id)
                   & (CaseRevision.version == CaseTransitionReason.version))
        .where(CaseTransitionReason.case_id.in_(case_ids))
        .order_by(CaseTransitionReason.case_id, CaseTransitionReason.version)).all()
    return [{"case_id": r.case_id, "version": r.version, "at": r.created_at.isoformat(),
             "to": ((changes or {}).get("status") or [None, None])[1], "reason": r.reason}
            for r, changes in rows]


def _cases_allowing(ctx: Ctx, cases: list[Case], action: str) -> list[tuple[Case, Decision]]:
    """The cases on which ``action`` is allowed (case by case), with each decision."""
    out = []
    for case in sorted(cases, key=lambda c: c.id):
        _, cd = decide_case(ctx.principal, case, action)
        if cd.allowed:
            out.append((case, cd))
    return out


def erase_person(ctx: Ctx, person_id: int) -> ErasureOut:
    """Pseudonymise, on request, what the user may erase of one person (right to erasure).

    Only cases on which the policy allows ``person.erase`` (as holder, case by case) are
    erased. The person's identifying data are shared by every case about them, so they are
    erased only when the user may erase the person's registration and every one of their cases
    not erased yet; otherwise they stay for the organisations still holding a case. Audit entries and
    aggregates remain.

    The person's cases are locked first, then everything is read and decided: a transfer in
    flight (which may move the registration with the case) finishes first and is decided on,
    and the two never deadlock (``use_context.lock_person_cases``).
    """
    lock_person_cases(ctx, person_id)
    person, d = load_person(ctx, person_id, "person.erase")
    all_cases = person_cases(ctx, person_id)
    decided = _cases_allowing(ctx, all_cases, "person.erase")
    # A case already erased holds no personal data: it no longer keeps the identity for its
    # holder (else, once each organisation erased its own case, nobody could finish the erasure).
    allowed_ids = {c.id for c, _ in decided}
    identity = (person.erased_at is None
                and all(c.id in allowed_ids or c.erased_at is not None for c in all_cases)
                and authorize(ctx.principal, "person.erase",
                              person_resource(person, all_cases, registration_only=True)).allowed)
    pending = [(c, cd) for c, cd in decided if c.erased_at is None]
    if not identity and not pending and (
            person.erased_at is None or any(c.erased_at is None for c in all_cases)):
        raise Conflict(
            key="refusal.case.nothing_to_erase")
    now = utcnow()
    if identity:
        retention.pseudonymise_identity(ctx.session, person, ctx.pseudonym_key, now)
        ctx.log(d, "person.erase", "person", person_id, retention.PERSON_FIELDS)
    n = retention.erase_cases(ctx.session, [c.id for c, _ in pending], now)
    for c, cd in pending:
        ctx.log(cd, "person.erase", "case", c.id, retention.CASE_FIELDS)
    ctx.commit()
    return ErasureOut(person_id=person_id, pseudonym=person.pseudonym or "", cases=n,
                      person_erased=person.erased_at is not None)
