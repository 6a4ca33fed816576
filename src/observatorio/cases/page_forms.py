"""What the case page offers to change, decided by the one policy function per action: the
forms a role may not use are not drawn at all (the use-cases refuse them anyway)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatorio.cases.kept import Kept
from observatorio.cases.models import Case, Membership, User
from observatorio.cases.policy import Principal, authorize, case_resource, get_policy
from observatorio.cases.vocab import TRANSITIONS, CaseStatus

SERVICE_STATUSES = ("planned", "in_progress", "delivered", "cancelled")
# Suggestions for the service type (free text: organisations name their own services).
SERVICE_TYPES = ("legal", "health", "psychosocial", "shelter", "documentation", "family_tracing",
                 "repatriation", "reintegration", "interpretation")


# The assignable members, kept a short while per user (cases/kept.py): read on every view of a
# case page whose reader may add tasks; a member who joined or left shows at most 30 s late in
# the form (assigning is checked by the task use-case itself).
KEPT_MEMBERS: Kept[list[tuple[int, str]]] = Kept(ttl=30.0, size=4096)


def organisation_members(session: Session, organisation_id: int) -> list[tuple[int, str]]:
    """Who a task of a case of ``organisation_id`` may be assigned to: its active members."""
    rows = session.execute(
        select(User.id, User.username).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id, User.active.is_(True))
        .distinct().order_by(User.username)).all()
    return [(r.id, r.username) for r in rows]


def case_forms(session: Session, principal: Principal, case: Case) -> dict[str, Any]:
    res = case_resource(case)
    may = {a: authorize(principal, a, res).allowed for a in ("case.update", "case.transition", "case.task",
                                                             "case.service")}
    erased = case.erased_at is not None
    return {
        "may_update": may["case.update"] and not erased,
        "next_statuses": sorted(s.value for s in TRANSITIONS[CaseStatus(case.status)])
        if may["case.transition"] else [],
        "may_task": may["case.task"] and not erased,
        "members": KEPT_MEMBERS.get(session, principal, ("members", case.organisation_id),
                                    lambda: organisation_members(session, case.organisation_id))
        if may["case.task"] else [],
        "may_service": may["case.service"] and not erased,
        "service_statuses": SERVICE_STATUSES, "service_types": SERVICE_TYPES,
        "may_trail": any(get_policy().scope_of(g.role, "audit.read") for g in principal.grants),
    }
