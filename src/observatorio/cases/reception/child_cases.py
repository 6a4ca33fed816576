"""A returnee found to have been a child after intake gets the case intake gives such a child.

Intake types a returnee's case by the age at the arrival (``intake.age_at``, on the earlier of
the arrival and intake dates) and the accompaniment: an unaccompanied child gets an
``unaccompanied_child`` case (the policy's child caps on the case and the person record, the
child protocol and its closure rule, the mandated referral to child protection); a child with
family, and anyone 18 or over, a ``returnee_reintegration`` case. Intake now refuses to record
a child as a single adult or with the accompaniment unknown, but it cannot refuse what it does
not know: a person received without a date of birth (or with a wrong one) as a single adult.

When a person's date of birth (or, without one, the estimated age) is corrected or first
entered (``person_records.update_person``) so that they were under 18 at an intake that recorded
them alone (``SINGLE_ADULT``, or unknown ``_U``: what a child alone was recorded as), each case
that intake opened and that is still ``returnee_reintegration`` becomes what intake opens for an
unaccompanied child now, in the same transaction as the correction:

* ``case_type`` ``unaccompanied_child`` with the protocol ``open_case_row`` gives a new case of that
  type in the case's country; the version goes up and a ``case_revision`` by the editing user
  records ``[old, new]`` (the case history, a stale edit's 409); one audit entry ``case.retype``
  per case names the fields (the same action migration 0013 writes);
* for a case not closed, the referrals the ``unaccompanied_child`` screening flag requires
  (``intake.record_required_referrals``): the mandated one to child protection when the editing
  user holds ``referral.mandate`` on the case, else, like any need intake cannot refer by
  mandate, an open task on the case for its officer (the intake officer, who holds it);
* a closed case is re-typed too (the cap protects what is left of it) without a referral;
* the intake's accompaniment becomes ``UNACCOMPANIED`` (audited ``case.retype`` on the intake),
  so that the published returnee tables count a child received alone as one.

Cases opened by hand keep the type their officer chose (no age rule types them at opening
either), and a child recorded as accompanied keeps a returnee's case, as at intake.

The other way, a child corrected to an adult: nothing is lifted. The case stays a child's case,
capped, under the child protocol; a wrong correction (or a deliberate one, to reach the child's
record) must not hand a child's record to every officer of the centre. The correction itself is
audited (``person.update`` names the field) and visible in the person's record.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from observatorio.cases.models import Case, CaseRevision, Person
from observatorio.cases.policy import Decision, authorize, case_resource
from observatorio.cases.protocols import loader as protocols
from observatorio.cases.reception import screening
from observatorio.cases.reception.intake import (
    UNACCOMPANIED_FLAG,
    age_at,
    record_required_referrals,
)
from observatorio.cases.reception.models import Arrival, Intake
from observatorio.cases.use_context import Ctx
from observatorio.cases.vocab import CaseStatus, CaseType

#: what intake recorded a returnee as who was alone: a child so recorded was unaccompanied
ALONE = ("SINGLE_ADULT", "_U")
#: the person fields whose change may make a returnee a child at their intake
AGE_FIELDS = frozenset({"date_of_birth", "estimated_age"})
RETYPED = ("case_type", "protocol_version", "protocol_variant")
#: what intake records a child received alone as
UNACCOMPANIED = "UNACCOMPANIED"
ACTION = "case.retype"


def was_child(person: Person, day: dt.date) -> bool:
    """Under 18 on ``day`` by the date of birth, or, without one, by the estimated age (an age
    under 18 now was under 18 at any earlier intake)."""
    age = age_at(person.date_of_birth, day)
    if age is None:
        return person.estimated_age is not None and person.estimated_age < 18
    return age < 18


def protect_child_cases(ctx: Ctx, decision: Decision, person: Person, today: dt.date) -> list[int]:
    """Re-type the person's intake cases of a child received alone (module doc); the ids of the
    cases re-typed. Flushed and logged, not committed: the correction's caller commits."""
    rows = ctx.session.execute(
        select(Case, Intake, Arrival.arrival_date)
        .join(Intake, Intake.case_id == Case.id).join(Arrival, Arrival.id == Intake.arrival_id)
        .where(Intake.person_id == person.id, Intake.accompaniment.in_(ALONE),
               Case.case_type == CaseType.RETURNEE_REINTEGRATION.value,
               Case.erased_at.is_(None))  # an erased case gets no work, as load_case_for_work says
        .order_by(Case.id)).unique().all()  # a case's shares are loaded with it
    if rows:
        # the cases' rows locked, then read again: an erasure in flight finishes first and its
        # case is left alone (PostgreSQL; SQLite's writer lock already serialises them)
        ids = [case.id for case, _, _ in rows]
        locked = set(ctx.session.scalars(select(Case.id).where(Case.id.in_(ids), Case.erased_at.is_(None))
                                         .with_for_update()))
        rows = [row for row in rows if row[0].id in locked]
    retyped = []
    for case, intake, arrived in rows:
        if was_child(person, min(arrived, intake.received_on)):
            _retype(ctx, decision, case, today)
            _alone_as_a_child(ctx, decision, intake)
            retyped.append(case.id)
    return retyped


def _alone_as_a_child(ctx: Ctx, decision: Decision, intake: Intake) -> None:
    """The intake's accompaniment follows: a child received alone is ``UNACCOMPANIED``, as intake
    records one. Left as ``SINGLE_ADULT``, the published returnee tables would count a child
    (now in a child's age band) as a single adult."""
    intake.accompaniment = UNACCOMPANIED
    ctx.session.flush()
    ctx.log(decision, ACTION, "intake", intake.id, ["accompaniment"])


def _retype(ctx: Ctx, decision: Decision, case: Case, today: dt.date) -> None:
    old = [getattr(case, f) for f in RETYPED]
    child = CaseType.UNACCOMPANIED_CHILD.value
    version, variant = protocols.for_new_case(child, case.country)
    case.case_type, case.protocol_version, case.protocol_variant = child, version, variant
    ctx.session.flush()  # the version goes up (optimistic locking): an edit made meanwhile is a 409
    changes: dict[str, object] = {f: [o, getattr(case, f)] for f, o in zip(RETYPED, old, strict=True)}
    if case.status != CaseStatus.CLOSED.value:
        needs = screening.required_referrals([UNACCOMPANIED_FLAG], case.country)
        by_mandate = authorize(ctx.principal, "referral.mandate", case_resource(case)).allowed
        required = record_required_referrals(ctx, case, needs, today, by_mandate=by_mandate,
                                             assignee_id=case.officer_id)
        if referred := [r.referral_id for r in required if r.referral_id is not None]:
            changes["mandated_referrals"] = [None, referred]
    ctx.session.add(CaseRevision(case_id=case.id, version=case.version, user_id=ctx.principal.user_id,
                                 changes=changes))
    ctx.log(decision, ACTION, "case", case.id, RETYPED)
