"""The unit of work every use-case of the cases side runs in (``Ctx``) and the checks they
share: loading a case or a person with the policy's decision, choosing and checking the
organisation to act in, refusing writes to erased records and to sensitive fields without
their group.

A refused attempt (403, or 404 for a case or person that is missing or out of reach) is audited
too, with outcome "denied": ``Ctx.deny`` discards the unit of work, appends one entry and
commits it before the error propagates. Missing and out-of-reach records take the same path,
so neither the answer nor its cost tells them apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from observatorio.cases import audit
from observatorio.cases.audit import DENIED, AccessEvent, Actor
from observatorio.cases.errors import CasesError, Conflict, Forbidden, Invalid, forbidden, not_found
from observatorio.cases.models import Case, Membership, Organisation, Person
from observatorio.cases.policy import (
    Decision,
    Principal,
    authorize,
    case_resource,
    get_policy,
    organisation_resource,
    person_resource,
)
from observatorio.i18n import both

# Actions on a person decided on the registration alone (the registering organisation and
# the user who registered them), not on the cases about them: a case opened elsewhere about a
# person read through a share must not turn that share into the right to rename them or link
# relatives (a share grants reading only). Other holders read the person and keep their cases.
PERSON_EDIT_ACTIONS = frozenset({"person.update"})


@dataclass
class Ctx:
    """One unit of work: the session, who acts, from where, and the audit entries pending."""

    session: Session
    principal: Principal
    source_ip: str | None = None
    pseudonym_key: str = ""
    events: list[AccessEvent] = field(default_factory=list)

    def log(self, decision: Decision, action: str, record_type: str, record_id: object,
            fields: tuple[str, ...] | list[str]) -> None:
        org = decision.acting.organisation_id if decision.acting else None
        self.events.append(AccessEvent(action, record_type, str(record_id), tuple(fields), org))

    def commit(self) -> None:
        """Append the pending audit entries and commit, atomically with the data."""
        actor = Actor(self.principal.user_id, self.principal.username, self.source_ip)
        audit.append(self.session, actor, self.events)
        self.session.commit()
        self.events.clear()

    def deny(self, exc: CasesError, action: str, record_type: str, record_id: object | None,
             fields: Iterable[str] = (), policy_action: str | None = None) -> CasesError:
        """Audit a refused attempt and return ``exc`` for the caller to raise.

        Whatever the unit of work did so far is rolled back (nothing was shown or changed), then
        one "denied" entry is appended and committed on its own: the refusal stays on record
        although the request fails. ``action`` is the audit action a granted request would have
        logged; ``policy_action`` the policy action checked, when it differs.
        """
        self.session.rollback()
        self.events.clear()
        org = _actor_organisation(self.principal, policy_action or action)
        rid = None if record_id is None else str(record_id)
        self.events.append(AccessEvent(action, record_type, rid, tuple(fields), org, DENIED))
        self.commit()
        return exc

    def record_denial(self, action: str, record_type: str, policy_action: str) -> None:
        """Audit a request answered normally but empty because no membership grants it
        (a list or search by a role without the read grant)."""
        org = _actor_organisation(self.principal, policy_action)
        self.events.append(AccessEvent(action, record_type, None, (), org, DENIED))


def _actor_organisation(principal: Principal, action: str) -> int | None:
    """The organisation a refusal is recorded under, so the actor's supervisors see it: the
    first membership whose role holds ``action`` at any scope, else the first membership."""
    if not principal.grants:
        return None
    policy = get_policy()
    for g in principal.grants:
        if policy.scope_of(g.role, action) is not None:
            return g.organisation_id
    return principal.grants[0].organisation_id


def holds(principal: Principal, action: str) -> bool:
    """Whether any membership grants ``action`` at some scope."""
    policy = get_policy()
    return any(policy.scope_of(g.role, action) is not None for g in principal.grants)


def default_org(ctx: Ctx, action: str, requested: int | None) -> Organisation:
    """The organisation to act in: the requested one, or the first membership granting ``action``."""
    if requested is None:
        policy = get_policy()
        for g in ctx.principal.grants:
            if policy.scope_of(g.role, action):
                requested = g.organisation_id
                break
        else:
            raise ctx.deny(forbidden(action), action, "organisation", None)
    return org_for(ctx, action, requested)


def org_for(ctx: Ctx, action: str, org_id: int) -> Organisation:
    """The organisation ``org_id`` if ``action`` is allowed inside it. A missing organisation is
    refused exactly like an existing one outside the grant (same 403, same audit entry), so the
    answer does not tell which organisations exist."""
    org = ctx.session.get(Organisation, org_id)
    if org is None or not authorize(ctx.principal, action, organisation_resource(org)).allowed:
        hint = both("refusal.case.use_referral_hint") if action == "case.assign" else ""
        raise ctx.deny(Forbidden(
            key="refusal.case.organisation_refused", org_id=org_id, action=action, hint=hint,
            detail={"action": action}), action, "organisation", org_id)
    return org


def check_org(ctx: Ctx, action: str, org: Organisation) -> Decision:
    """``action`` inside ``org`` (create, assign to); a refusal is audited against the organisation."""
    d = authorize(ctx.principal, action, organisation_resource(org))
    if not d.allowed:
        raise ctx.deny(forbidden(action), action, "organisation", org.id)
    return d


# populate_existing: sessions keep objects after commit; decisions need the current row.
# (Built once: equivalent to session.get(Case, id, populate_existing=True), with less overhead.)
_CASE_BY_ID = select(Case).where(Case.id == bindparam("case_id")).execution_options(populate_existing=True)


def load_case(ctx: Ctx, case_id: int, action: str = "case.read",
              audit_action: str | None = None) -> tuple[Case, Decision]:
    """The case and the decision for ``action``; unreadable cases are reported as missing.

    Refusals are audited under ``audit_action`` (default ``action``), the name a granted
    request would have been logged under.
    """
    logged = audit_action or action
    case = ctx.session.execute(_CASE_BY_ID, {"case_id": case_id}).unique().scalar_one_or_none()
    if case is None:
        raise ctx.deny(not_found("case", case_id), logged, "case", case_id, policy_action=action)
    read, d = decide_case(ctx.principal, case, action)
    if not read.allowed:
        raise ctx.deny(not_found("case", case_id), logged, "case", case_id, policy_action=action)
    if not d.allowed:
        raise ctx.deny(forbidden(action), logged, "case", case_id)
    return case, d


def decide_case(principal: Principal, case: Case, action: str) -> tuple[Decision, Decision]:
    """The read decision on ``case`` and the decision for ``action`` on it, which is allowed only
    if the case is readable too. Field visibility of the latter follows the read grant (the union
    of both), never less than the action needs. Every path that touches a case decides here."""
    res = case_resource(case)
    read = authorize(principal, "case.read", res)
    if action == "case.read" or not read.allowed:
        return read, read
    d = authorize(principal, action, res)
    if not d.allowed:
        return read, d
    return read, Decision(True, d.field_groups | read.field_groups, d.acting,
                          d.hidden_fields & read.hidden_fields)


def refuse_if_erased(record: Case | Person, kind: Literal["case", "person"]) -> None:
    """An erased (pseudonymised) record takes no new personal data: a clear 409, never a write."""
    if record.erased_at is None:
        return
    raise Conflict(key=f"refusal.case.erased_{kind}", record_id=record.id, detail={"erased": True})


_LOCK_CASE = select(Case.id).where(Case.id == bindparam("case_id")).with_for_update()


def load_case_for_work(ctx: Ctx, case_id: int, action: str,
                       audit_action: str | None = None) -> tuple[Case, Decision]:
    """``load_case`` for a write that adds personal data to the case (a note, a task, a service,
    a step's record, a consent, a referral, a plan): the case row is locked first and an erased
    case refused (``refuse_if_erased``).

    The lock makes the write and an erasure exclusive (retention.erase_cases updates the case
    row before its notes, tasks…): a write waits for an erasure in flight and then finds the case
    erased; an erasure waits for a write in flight and then erases what it wrote. Without it the
    write's insert only took a key-share lock the erasure does not conflict with, so it landed
    on the erased case (tests/cases/test_attack_erasure_race.py). PostgreSQL only: SQLite
    serialises writers from a transaction's first statement.
    """
    lock_case(ctx, case_id)
    case, d = load_case(ctx, case_id, action, audit_action)
    refuse_if_erased(case, "case")
    return case, d


def lock_case(ctx: Ctx, case_id: int) -> None:
    """Lock the case's row until the transaction ends (PostgreSQL ``FOR UPDATE``; SQLite
    serialises writers from a transaction's first statement)."""
    if ctx.session.get_bind().dialect.name == "postgresql":
        ctx.session.execute(_LOCK_CASE, {"case_id": case_id})


def person_cases(ctx: Ctx, person_id: int) -> list[Case]:
    return list(ctx.session.scalars(select(Case).where(Case.person_id == person_id)).unique())


def lock_person_cases(ctx: Ctx, person_id: int) -> None:
    """Lock the person's cases (PostgreSQL ``FOR UPDATE``, in id order) before anything of the
    person is written: an accepted transfer takes its case, then the person's row (the
    registration moves with the last case: ``registration.move_with_last_case``), so
    a writer of the person that also writes their cases takes them in that order too, and the two
    wait for each other instead of deadlocking. Nothing pending is flushed before the locks."""
    with ctx.session.no_autoflush:
        ctx.session.execute(select(Case.id).where(Case.person_id == person_id).order_by(Case.id)
                            .with_for_update())


def load_person(ctx: Ctx, person_id: int, action: str = "person.read",
                audit_action: str | None = None) -> tuple[Person, Decision]:
    """The person and the decision for ``action``; unreadable people are reported as missing.
    Their cases are always looked up: they widen the grant, and a child's cases cap it."""
    logged = audit_action or action
    person = ctx.session.get(Person, person_id, populate_existing=True)
    if person is None:
        raise ctx.deny(not_found("person", person_id), logged, "person", person_id, policy_action=action)
    cases = person_cases(ctx, person_id)
    res = person_resource(person, cases)
    # Editing the identity every case shares is the registration's (see PERSON_EDIT_ACTIONS).
    d = authorize(ctx.principal, action, person_resource(
        person, cases, registration_only=True) if action in PERSON_EDIT_ACTIONS else res)
    if not d.allowed:
        if action == "person.read" or not authorize(ctx.principal, "person.read", res).allowed:
            raise ctx.deny(not_found("person", person_id), logged, "person", person_id,
                           policy_action=action)
        raise ctx.deny(forbidden(action), logged, "person", person_id)
    return person, d


def require_groups(ctx: Ctx, decision: Decision, fields: set[str], action: str,
                   record_type: str, record_id: object) -> None:
    """Writing a sensitive field needs its group as much as reading it does."""
    blocked = sorted(fields & decision.hidden_fields)
    if blocked:
        raise ctx.deny(Forbidden(
            key="refusal.case.sensitive_fields", blocked=blocked, detail={"action": action, "fields": blocked},
        ), action, record_type, record_id, blocked)


def is_member(ctx: Ctx, user_id: int, org_id: int) -> bool:
    """Whether ``user_id`` has a membership of organisation ``org_id``."""
    if user_id == ctx.principal.user_id and any(g.organisation_id == org_id for g in ctx.principal.grants):
        return True  # the acting user's memberships were read at the start of this request
    return ctx.session.scalar(
        select(Membership.id).where(Membership.user_id == user_id, Membership.organisation_id == org_id)
        .limit(1)
    ) is not None


def check_officer(ctx: Ctx, officer_id: int, org_id: int) -> None:
    if not is_member(ctx, officer_id, org_id):
        raise Invalid(key="refusal.case.officer_not_member")


def like_pattern(text: str) -> str:
    # Wildcards in user input are literal: escape them, then bind as a parameter.
    esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{esc.lower()}%"


def jsonable(v: Any) -> Any:
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return v
