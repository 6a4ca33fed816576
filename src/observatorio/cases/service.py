"""Use-cases of the cases side. Every function checks the policy, does the work, and appends
the audit entries for the personal data it read or wrote in the same transaction.

A refused attempt (403, or 404 for a case or person that is missing or out of reach) is audited
too, with outcome "denied": ``Ctx.deny`` discards the unit of work, appends one entry and
commits it before the error propagates. Missing and out-of-reach records take the same path,
so neither the answer nor its cost tells them apart."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    TextClause,
    bindparam,
    cast,
    func,
    or_,
    select,
    text,
)
from sqlalchemy import (
    case as sql_case,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from observatorio.cases import audit, closure_guard, paging, retention
from observatorio.cases.audit import DENIED, AccessEvent, Actor
from observatorio.cases.errors import CasesError, Conflict, Forbidden, Invalid, forbidden, not_found
from observatorio.cases.models import (
    AuditEntry,
    Case,
    CaseNote,
    CaseRevision,
    CaseService,
    CaseShare,
    CaseTask,
    FamilyLink,
    Membership,
    Organisation,
    Person,
    utcnow,
)
from observatorio.cases.policy import (
    Decision,
    Principal,
    authorize,
    case_resource,
    case_scope_clause,
    get_policy,
    group_of_field,
    organisation_resource,
    person_resource,
    person_scope_clause,
    sensitive_case_fields,
)
from observatorio.cases.protocols import loader as protocols
from observatorio.cases.schemas import (
    AuditOut,
    CaseAssign,
    CaseCreate,
    CaseOut,
    CasePage,
    CaseShareIn,
    CaseTransition,
    CaseUpdate,
    ErasureOut,
    FamilyLinkIn,
    FamilyLinkOut,
    NoteIn,
    NoteOut,
    Outcome,
    PersonCreate,
    PersonOut,
    PersonPage,
    PersonUpdate,
    ServiceIn,
    ServiceOut,
    TaskIn,
    TaskOut,
    TaskUpdate,
)
from observatorio.cases.transition_models import CaseTransitionReason
from observatorio.cases.vocab import TRANSITIONS, CaseStatus
from observatorio.i18n import both

PERSON_READ_FIELDS = ("given_names", "family_names", "date_of_birth", "estimated_age", "sex",
                      "nationality", "documents", "contacts", "family_links")
CASE_EDITABLE = ("risk_level", "summary", "location", "health_details", "trafficking_details",
                 "child_protection_details")
CASE_READ_FIELDS = ("case_type", "status", "risk_level", "summary", "location", "person_id",
                    "health_details", "trafficking_details", "child_protection_details")


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


def _holds(principal: Principal, action: str) -> bool:
    """Whether any membership grants ``action`` at some scope."""
    policy = get_policy()
    return any(policy.scope_of(g.role, action) is not None for g in principal.grants)


# ---------------------------------------------------------------- helpers

def _default_org(ctx: Ctx, action: str, requested: int | None) -> Organisation:
    """The organisation to act in: the requested one, or the first membership granting ``action``."""
    if requested is None:
        policy = get_policy()
        for g in ctx.principal.grants:
            if policy.scope_of(g.role, action):
                requested = g.organisation_id
                break
        else:
            raise ctx.deny(forbidden(action), action, "organisation", None)
    return _org_for(ctx, action, requested)


def _org_for(ctx: Ctx, action: str, org_id: int) -> Organisation:
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


def _check_org(ctx: Ctx, action: str, org: Organisation) -> Decision:
    """``action`` inside ``org`` (create, assign to); a refusal is audited against the organisation."""
    d = authorize(ctx.principal, action, organisation_resource(org))
    if not d.allowed:
        raise ctx.deny(forbidden(action), action, "organisation", org.id)
    return d


# populate_existing: sessions keep objects after commit; decisions need the current row.
# (Built once: equivalent to session.get(Case, id, populate_existing=True), with less overhead.)
_CASE_BY_ID = select(Case).where(Case.id == bindparam("case_id")).execution_options(populate_existing=True)


def _load_case(ctx: Ctx, case_id: int, action: str = "case.read",
               audit_action: str | None = None) -> tuple[Case, Decision]:
    """The case and the decision for ``action``; unreadable cases are reported as missing.

    Refusals are audited under ``audit_action`` (default ``action``), the name a granted
    request would have been logged under.
    """
    logged = audit_action or action
    case = ctx.session.execute(_CASE_BY_ID, {"case_id": case_id}).unique().scalar_one_or_none()
    if case is None:
        raise ctx.deny(not_found("case", case_id), logged, "case", case_id, policy_action=action)
    read, d = _decide_case(ctx.principal, case, action)
    if not read.allowed:
        raise ctx.deny(not_found("case", case_id), logged, "case", case_id, policy_action=action)
    if not d.allowed:
        raise ctx.deny(forbidden(action), logged, "case", case_id)
    return case, d


def _decide_case(principal: Principal, case: Case, action: str) -> tuple[Decision, Decision]:
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


def _refuse_if_erased(record: Case | Person, kind: Literal["case", "person"]) -> None:
    """An erased (pseudonymised) record takes no new personal data: a clear 409, never a write."""
    if record.erased_at is None:
        return
    raise Conflict(key=f"refusal.case.erased_{kind}", record_id=record.id, detail={"erased": True})


def _person_cases(ctx: Ctx, person_id: int) -> list[Case]:
    return list(ctx.session.scalars(select(Case).where(Case.person_id == person_id)).unique())


def _load_person(ctx: Ctx, person_id: int, action: str = "person.read",
                 audit_action: str | None = None) -> tuple[Person, Decision]:
    """The person and the decision for ``action``; unreadable people are reported as missing.
    Their cases are always looked up: they widen the grant, and a child's cases cap it."""
    logged = audit_action or action
    person = ctx.session.get(Person, person_id, populate_existing=True)
    if person is None:
        raise ctx.deny(not_found("person", person_id), logged, "person", person_id, policy_action=action)
    cases = _person_cases(ctx, person_id)
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


def _require_groups(ctx: Ctx, decision: Decision, fields: set[str], action: str,
                    record_type: str, record_id: object) -> None:
    """Writing a sensitive field needs its group as much as reading it does."""
    blocked = sorted(fields & decision.hidden_fields)
    if blocked:
        raise ctx.deny(Forbidden(
            key="refusal.case.sensitive_fields", blocked=blocked, detail={"action": action, "fields": blocked},
        ), action, record_type, record_id, blocked)


def _visible_shares(case: Case, decision: Decision) -> list[int]:
    """The organisations a case is shared with, as the reader may know them: the owner's country
    sees every share; an organisation reading through a share sees only itself, never which other
    organisations (of other countries) the case went to."""
    shares = sorted(s.organisation_id for s in case.shares)
    acting = decision.acting
    if acting is None or acting.country == case.country or acting.organisation_id == case.organisation_id:
        return shares
    return [org for org in shares if org == acting.organisation_id]


def case_out(case: Case, decision: Decision) -> CaseOut:
    """The public view of a case, with sensitive fields the role lacks withheld."""
    hidden = sorted(decision.hidden_fields)
    data: dict[str, Any] = {
        "id": case.id, "reference": case.reference, "case_type": case.case_type, "status": case.status,
        "risk_level": case.risk_level, "summary": case.summary, "location": case.location,
        "person_id": case.person_id, "organisation_id": case.organisation_id, "country": case.country,
        "officer_id": case.officer_id, "shared_with": _visible_shares(case, decision),
        "opened_at": case.opened_at, "closed_at": case.closed_at, "version": case.version,
        "hidden_fields": hidden,
    }
    for f in sensitive_case_fields():
        data[f] = None if f in decision.hidden_fields else getattr(case, f)
    return CaseOut(**data)


def _visible_case_fields(decision: Decision) -> list[str]:
    return [f for f in CASE_READ_FIELDS if f not in decision.hidden_fields]


def person_out(ctx: Ctx, person: Person, new: bool = False) -> PersonOut:
    """The public view of a person (``new``: just registered, so no family links to look up).

    Family links name only relatives the user may read: a link must not reveal that a person
    held elsewhere exists, nor how they are related."""
    links = [] if new else ctx.session.scalars(
        select(FamilyLink).join(Person, Person.id == FamilyLink.relative_id)
        .where(FamilyLink.person_id == person.id, person_scope_clause(ctx.principal, "person.read"))
        .order_by(FamilyLink.id)).all()
    return PersonOut(
        id=person.id, given_names=person.given_names, family_names=person.family_names,
        date_of_birth=person.date_of_birth, estimated_age=person.estimated_age, sex=person.sex,
        nationality=person.nationality, documents=list(person.documents or []),
        contacts=list(person.contacts or []), organisation_id=person.organisation_id,
        family_links=[FamilyLinkOut(relative_id=fl.relative_id, kind=fl.kind) for fl in links],
        pseudonym=person.pseudonym, erased=person.erased_at is not None, version=person.version,
    )


def _like(text: str) -> str:
    # Wildcards in user input are literal: escape them, then bind as a parameter.
    esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{esc.lower()}%"


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return v


# ---------------------------------------------------------------- people

def create_person(ctx: Ctx, data: PersonCreate) -> PersonOut:
    """Register a person in an organisation the user may register in."""
    org = _default_org(ctx, "person.create", data.organisation_id)
    d = _check_org(ctx, "person.create", org)
    values = data.model_dump(exclude={"organisation_id"}, mode="json")
    values["date_of_birth"] = data.date_of_birth
    person = Person(**values, organisation_id=org.id, created_by_id=ctx.principal.user_id,
                    organisation=org)
    ctx.session.add(person)
    ctx.session.flush()
    ctx.log(d, "person.create", "person", person.id, sorted(data.model_fields_set - {"organisation_id"}))
    out = person_out(ctx, person, new=True)
    ctx.commit()
    return out


def get_person(ctx: Ctx, person_id: int) -> PersonOut:
    """One person's data, if reachable through an organisation or a case the user may read."""
    person, d = _load_person(ctx, person_id)
    out = person_out(ctx, person)
    ctx.log(d, "person.read", "person", person.id, PERSON_READ_FIELDS)
    ctx.commit()
    return out


def update_person(ctx: Ctx, person_id: int, data: PersonUpdate) -> PersonOut:
    """Change a person's data; a stale ``version`` is a conflict, never a silent overwrite."""
    person, d = _load_person(ctx, person_id, "person.update")
    _refuse_if_erased(person, "person")
    if data.version != person.version:
        raise Conflict(key="refusal.case.record_changed_meanwhile", detail={"your_version": data.version, "current_version": person.version})
    changed = []
    for name in data.model_fields_set - {"version"}:
        value = getattr(data, name)
        if isinstance(value, list):
            value = [v.model_dump(mode="json") for v in value]
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    try:
        ctx.session.flush()
    except StaleDataError as exc:
        ctx.session.rollback()
        raise Conflict(key="refusal.case.record_changed_meanwhile", detail={"your_version": data.version}) from exc
    ctx.log(d, "person.update", "person", person.id, changed)
    out = person_out(ctx, person)
    ctx.commit()
    return out


def add_family_link(ctx: Ctx, person_id: int, data: FamilyLinkIn) -> PersonOut:
    """Link two people the user may both edit (e.g. a separated child and a parent)."""
    person, d = _load_person(ctx, person_id, "person.update")
    relative, _ = _load_person(ctx, data.relative_id, "person.update")
    _refuse_if_erased(person, "person")
    _refuse_if_erased(relative, "person")
    if data.relative_id == person_id:
        raise Invalid(key="refusal.case.own_relative")
    if ctx.session.scalar(select(FamilyLink.id).where(
            FamilyLink.person_id == person_id, FamilyLink.relative_id == data.relative_id,
            FamilyLink.kind == data.kind)) is not None:
        raise Conflict(key="refusal.case.family_link_exists")
    ctx.session.add(FamilyLink(person_id=person_id, relative_id=data.relative_id, kind=data.kind))
    ctx.session.flush()
    ctx.log(d, "person.update", "person", person_id, ["family_links"])
    out = person_out(ctx, person)
    ctx.commit()
    return out


def search_people(ctx: Ctx, *, q: str | None = None, nationality: str | None = None,
                  document: str | None = None, date_of_birth: dt.date | None = None,
                  limit: int = 50, offset: int = 0) -> PersonPage:
    """People the user may read, matching names, nationality, a document number or birth date."""
    if not _holds(ctx.principal, "person.read"):
        # No membership may read people: the answer is empty, as the filter would make it,
        # and the attempt is on record.
        ctx.record_denial("person.search", "person", "person.read")
        ctx.commit()
        return PersonPage(items=[], total=0, limit=limit, offset=offset)
    stmt = select(Person).where(person_scope_clause(ctx.principal, "person.read"))
    if q:
        full = func.lower(func.coalesce(Person.given_names, "") + " " + func.coalesce(Person.family_names, ""))
        stmt = stmt.where(or_(full.like(_like(q), escape="\\"),
                              func.lower(func.coalesce(Person.pseudonym, "")).like(_like(q), escape="\\")))
    if nationality:
        stmt = stmt.where(Person.nationality == nationality.upper())
    if document:
        stmt = stmt.where(func.lower(cast(Person.documents, String)).like(_like(document), escape="\\"))
    if date_of_birth:
        stmt = stmt.where(Person.date_of_birth == date_of_birth)
    total = ctx.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = ctx.session.scalars(stmt.order_by(Person.id).limit(limit).offset(offset)).all()
    items = []
    for p in rows:
        _, d = _load_person(ctx, p.id, audit_action="person.search")  # confirms the SQL filter
        items.append(person_out(ctx, p))
        ctx.log(d, "person.search", "person", p.id, PERSON_READ_FIELDS)
    ctx.commit()
    return PersonPage(items=items, total=total, limit=limit, offset=offset)


def export_person(ctx: Ctx, person_id: int) -> dict[str, Any]:
    """Everything on one person the user may export (right of access).

    Each case is included only if the policy allows ``person.export`` on that very case (as
    holder: a share grants reading, not exporting), with that case's field-level grants; notes,
    tasks, services and the reasons given for status transitions (``transitions``) only of the
    included cases, note bodies by the same case's grants. Other organisations' cases about the
    same person are neither shown nor counted.
    """
    person, d = _load_person(ctx, person_id, "person.export")
    decided = _cases_allowing(ctx, _person_cases(ctx, person_id), "person.export")
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
        "notes": [_note_out(n, by_case[n.case_id]).model_dump(mode="json") for n in notes],
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
                [*_visible_case_fields(cd), *(["transition_reasons"] if c.id in with_reasons else [])])
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
        _, cd = _decide_case(ctx.principal, case, action)
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
    """
    person, d = _load_person(ctx, person_id, "person.erase")
    all_cases = _person_cases(ctx, person_id)
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


# ---------------------------------------------------------------- cases

def _new_reference(country: str) -> str:
    return f"{country}-{utcnow():%Y}-{secrets.token_hex(4).upper()}"


def _check_officer(ctx: Ctx, officer_id: int, org_id: int) -> None:
    if officer_id == ctx.principal.user_id and any(g.organisation_id == org_id for g in ctx.principal.grants):
        return  # the acting user's memberships were read at the start of this request
    member = ctx.session.scalar(
        select(Membership.id).where(Membership.user_id == officer_id, Membership.organisation_id == org_id)
    )
    if member is None:
        raise Invalid(key="refusal.case.officer_not_member")


def open_case_row(ctx: Ctx, org: Organisation, case_type: str, person_id: int, officer_id: int, *,
                  risk_level: str, synthetic: bool = False, **fields: Any) -> Case:
    """The one way a case row is opened (``create_case``, reception intake): held by ``org``,
    assigned to ``officer_id``, created by the acting user, under the homologated protocol
    current for ``case_type`` in the holder's country. A case's type is what the policy caps
    (``case_type_caps``), the protocol its checklist and closure rule (``closure_guard``) and the
    mandates it falls under (``mandated_referrals.applies``) key on, so every opening path
    gets them all from here. Flushed, not committed: the caller checks, audits and commits."""
    version, variant = protocols.for_new_case(case_type, org.country)
    case = Case(reference=_new_reference(org.country), case_type=case_type, status=CaseStatus.OPEN.value,
                risk_level=risk_level, person_id=person_id, organisation_id=org.id, country=org.country,
                officer_id=officer_id, created_by_id=ctx.principal.user_id, organisation=org, shares=[],
                synthetic=synthetic, protocol_version=version, protocol_variant=variant, **fields)
    ctx.session.add(case)
    ctx.session.flush()
    return case


def create_case(ctx: Ctx, data: CaseCreate) -> CaseOut:
    """Open a case for a person the user can read, in an organisation the user may open cases in."""
    org = _default_org(ctx, "case.create", data.organisation_id)
    d = _check_org(ctx, "case.create", org)
    _load_person(ctx, data.person_id, audit_action="case.create")
    sent = data.model_fields_set - {"organisation_id", "officer_id", "person_id", "case_type"}
    _require_groups(ctx, d, {f for f in sent if getattr(data, f) is not None}, "case.create",
                    "organisation", org.id)
    officer = data.officer_id if data.officer_id is not None else ctx.principal.user_id
    _check_officer(ctx, officer, org.id)
    case = open_case_row(ctx, org, data.case_type.value, data.person_id, officer,
                         risk_level=data.risk_level.value, summary=data.summary, location=data.location,
                         health_details=data.health_details, trafficking_details=data.trafficking_details,
                         child_protection_details=data.child_protection_details)
    fields = sorted(sent | {"case_type", "person_id"})
    ctx.session.add(CaseRevision(case_id=case.id, version=case.version, user_id=ctx.principal.user_id,
                                 changes={f: [None, _jsonable(getattr(case, f))] for f in fields
                                          if group_of_field(f) is None}))
    ctx.log(d, "case.create", "case", case.id, fields)
    out = case_out(case, d)
    ctx.commit()
    return out


def get_case(ctx: Ctx, case_id: int) -> CaseOut:
    """One case, sensitive fields withheld per role."""
    case, d = _load_case(ctx, case_id)
    out = case_out(case, d)
    ctx.log(d, "case.read", "case", case.id, _visible_case_fields(d))
    ctx.commit()
    return out


SortKey = Literal["opened_at", "-opened_at", "risk_level", "status", "reference"]
_SORTS: dict[str, Any] = {
    "opened_at": Case.opened_at.asc(), "-opened_at": Case.opened_at.desc(),
    "risk_level": Case.risk_level.asc(), "status": Case.status.asc(), "reference": Case.reference.asc(),
}


def case_query(principal: Principal, *, q: str | None = None, status: str | None = None,
               case_type: str | None = None, risk_level: str | None = None, country: str | None = None,
               organisation_id: int | None = None, officer_id: int | None = None,
               opened_from: dt.date | None = None, opened_to: dt.date | None = None) -> Select[Case]:
    """The filtered, scope-limited case query shared by the API, the web list and exports."""
    conds: list[ColumnElement[bool]] = [case_scope_clause(principal, "case.read")]
    if q:
        # the person's name only of people the user may read (a child's name is capped)
        names = sql_case((person_scope_clause(principal, "person.read"),
                          func.coalesce(Person.given_names, "") + " " + func.coalesce(Person.family_names, "")))
        conds.append(or_(*(func.lower(func.coalesce(t, "")).like(_like(q), escape="\\")  # never a sensitive field
                           for t in (Case.reference, names, Case.summary, Case.location))))
    if status:
        conds.append(Case.status == status)
    if case_type:
        conds.append(Case.case_type == case_type)
    if risk_level:
        conds.append(Case.risk_level == risk_level)
    if country:
        conds.append(Case.country == country.upper())
    if organisation_id is not None:
        conds.append(Case.organisation_id == organisation_id)
    if officer_id is not None:
        conds.append(Case.officer_id == officer_id)
    if opened_from:
        conds.append(Case.opened_at >= dt.datetime.combine(opened_from, dt.time(), dt.UTC))
    if opened_to:
        conds.append(Case.opened_at < dt.datetime.combine(opened_to, dt.time(), dt.UTC) + dt.timedelta(days=1))
    return select(Case).join(Person, Person.id == Case.person_id).where(*conds)


def list_cases(ctx: Ctx, *, sort: str = "-opened_at", limit: int = 50, offset: int = 0,
               **filters: Any) -> CasePage:
    """Cases the user may read, filtered and paged; each returned case is audited as read."""
    if not _holds(ctx.principal, "case.read"):
        ctx.record_denial("case.list", "case", "case.read")
        ctx.commit()
        return CasePage(items=[], total=0, limit=limit, offset=offset)
    stmt = case_query(ctx.principal, **filters)
    rows = ctx.session.scalars(stmt.order_by(_SORTS[sort], Case.id).limit(limit).offset(offset)).unique().all()
    total = paging.total(ctx.session, stmt.with_only_columns(Case.id), len(rows), limit, offset)
    items = []
    for case in rows:
        d = authorize(ctx.principal, "case.read", case_resource(case))
        if not d.allowed:  # the SQL filter and the policy must agree; never show on doubt
            continue
        items.append(case_out(case, d))
        ctx.log(d, "case.list", "case", case.id, _visible_case_fields(d))
    ctx.commit()
    return CasePage(items=items, total=total, limit=limit, offset=offset)


def _conflict(ctx: Ctx, case_id: int, your_version: int) -> Conflict:
    """A 409 that says what changed since the editor's version, so nothing is lost."""
    ctx.session.rollback()
    ctx.events.clear()
    case, d = _load_case(ctx, case_id)
    revs = ctx.session.scalars(
        select(CaseRevision).where(CaseRevision.case_id == case_id, CaseRevision.version > your_version)
        .order_by(CaseRevision.version)
    ).all()
    changes = []
    for r in revs:
        masked = {f: (v if f not in d.hidden_fields else ["***", "***"]) for f, v in r.changes.items()}
        changes.append({"version": r.version, "user_id": r.user_id, "at": r.created_at.isoformat(),
                        "changes": masked})
    current = case_out(case, d).model_dump(mode="json")
    ctx.log(d, "case.read", "case", case_id, _visible_case_fields(d))
    ctx.commit()
    return Conflict(
        key="refusal.case.case_changed_meanwhile", detail={"your_version": your_version, "current_version": case.version, "changes_since": changes, "current": current},
    )


def _write_case(ctx: Ctx, case: Case, d: Decision, action: str, your_version: int,
                values: dict[str, Any]) -> CaseOut:
    """Apply ``values`` under optimistic locking and record the revision and audit entry."""
    case_id = case.id
    if your_version != case.version:
        raise _conflict(ctx, case_id, your_version)
    changes = {}
    for name, value in values.items():
        old = getattr(case, name)
        if old != value:
            changes[name] = [_jsonable(old), _jsonable(value)]
    if not changes:
        # Nothing written, but the answer still carries the case: audit it as the read it is.
        out = case_out(case, d)
        ctx.log(d, "case.read", "case", case_id, _visible_case_fields(d))
        ctx.commit()
        return out
    # Sensitive values are not copied into the revision log; only the fact that they changed.
    stored = {f: (v if group_of_field(f) is None else ["***", "***"]) for f, v in changes.items()}
    written = {name: values[name] for name in changes}
    written["version"] = case.version + 1
    written["updated_at"] = utcnow()
    if not _update_case_row(ctx, case_id, case.version, written, stored):
        raise _conflict(ctx, case_id, your_version)  # a concurrent writer won the race
    for name, value in written.items():  # the row now holds these; the session must not write them again
        set_committed_value(case, name, value)
    ctx.log(d, action, "case", case_id, sorted(changes))
    out = case_out(case, d)
    ctx.commit()
    return out


def _update_case_row(ctx: Ctx, case_id: int, loaded_version: int, written: dict[str, Any],
                     stored: dict[str, Any]) -> bool:
    """``UPDATE case_file … WHERE id = :id AND version = :loaded`` and the revision it produced,
    in one statement on PostgreSQL; False (nothing written) if the version moved meanwhile."""
    conn = ctx.session.connection()
    params = {f"w_{k}": v for k, v in written.items()}
    params.update(w_id=case_id, w_loaded=loaded_version, r_user=ctx.principal.user_id, r_changes=stored)
    stmts = _case_write_sql(tuple(sorted(written)), conn.dialect.name == "postgresql")
    if len(stmts) == 1:
        return conn.execute(stmts[0], params).rowcount == 1
    if conn.execute(stmts[0], params).rowcount != 1:
        return False
    conn.execute(stmts[1], params)
    return True


@lru_cache(maxsize=256)
def _case_write_sql(fields: tuple[str, ...], postgresql: bool) -> tuple[TextClause, ...]:
    """The statements of ``_update_case_row`` for one set of columns, built once (plain SQL:
    building and compiling the equivalent expression on every write cost more than the write)."""
    cols = Case.__table__.c
    if not set(fields) <= set(cols.keys()) or not {"version", "updated_at"} <= set(fields):
        raise ValueError(f"not case columns: {fields}")  # names below are interpolated: only ours
    sets = ", ".join(f"{f} = :w_{f}" for f in fields)
    upd = f"UPDATE case_file SET {sets} WHERE id = :w_id AND version = :w_loaded"  # noqa: S608
    types = [bindparam(f"w_{f}", type_=cols[f].type) for f in fields]
    types.append(bindparam("r_changes", type_=CaseRevision.__table__.c.changes.type))
    rev = "INSERT INTO case_revision (case_id, version, user_id, changes, created_at)"
    if postgresql:
        return (text(f"WITH moved AS ({upd} RETURNING id) "  # noqa: S608 - names checked above
                     f"{rev} SELECT id, :w_version, :r_user, :r_changes, :w_updated_at FROM moved")
                .bindparams(*types).execution_options(preserve_rowcount=True),)
    return (text(upd).bindparams(*[t for t in types if t.key != "r_changes"]),
            text(f"{rev} VALUES (:w_id, :w_version, :r_user, :r_changes, :w_updated_at)")
            .bindparams(*[t for t in types if t.key in ("r_changes", "w_updated_at")]))


def update_case(ctx: Ctx, case_id: int, data: CaseUpdate) -> CaseOut:
    """Edit the fields sent; a stale version returns 409 with the changes since."""
    case, d = _load_case(ctx, case_id, "case.update")
    _refuse_if_erased(case, "case")
    sent = data.model_fields_set - {"version"}
    _require_groups(ctx, d, set(sent), "case.update", "case", case_id)
    values = {}
    for name in sent:
        v = getattr(data, name)
        values[name] = v.value if hasattr(v, "value") else v
    if "risk_level" in values and values["risk_level"] is None:
        raise Invalid(key="refusal.case.risk_level_required")
    return _write_case(ctx, case, d, "case.update", data.version, values)


def transition_case(ctx: Ctx, case_id: int, data: CaseTransition) -> CaseOut:
    """Move a case along its lifecycle (open → assessment → plan → in progress → closed; reopen)."""
    case, d = _load_case(ctx, case_id, "case.transition")
    current = CaseStatus(case.status)
    if data.to not in TRANSITIONS[current]:
        raise Invalid(key="refusal.case.bad_transition", current_value=current.value, data_to_value=data.to.value, detail={"allowed": sorted(s.value for s in TRANSITIONS[current])})
    values: dict[str, Any] = {"status": data.to.value}
    if data.to is CaseStatus.CLOSED:
        closure_guard.refuse_closure_without_required_steps(ctx, case)
        values["closed_at"] = utcnow()
    elif current is CaseStatus.CLOSED:
        values["closed_at"] = None
    return _write_case(ctx, case, d, "case.transition", data.version, values)


def assign_case(ctx: Ctx, case_id: int, data: CaseAssign) -> CaseOut:
    """Assign the case to another organisation of the same country and/or an officer."""
    case, d = _load_case(ctx, case_id, "case.assign")
    org_id = data.organisation_id or case.organisation_id
    values: dict[str, Any] = {}
    if org_id != case.organisation_id:
        # Missing, foreign and out-of-grant organisations get the same refusal (no oracle).
        org = _org_for(ctx, "case.assign", org_id)
        if org.country != case.country:
            raise Invalid(key="refusal.case.assign_abroad")
        values["organisation_id"] = org_id
    if data.officer_id is not None:
        _check_officer(ctx, data.officer_id, org_id)
        values["officer_id"] = data.officer_id
    return _write_case(ctx, case, d, "case.assign", data.version, values)


def share_case(ctx: Ctx, case_id: int, data: CaseShareIn) -> CaseOut:
    """Grant another organisation read access to a case (explicit, recorded, audited)."""
    case, d = _load_case(ctx, case_id, "case.share")
    org = ctx.session.get(Organisation, data.organisation_id)
    if org is None:
        raise ctx.deny(not_found("organisation", data.organisation_id), "case.share", "case", case_id,
                       ["shared_with"])
    if all(s.organisation_id != org.id for s in case.shares) and org.id != case.organisation_id:
        case.shares.append(CaseShare(case_id=case.id, organisation_id=org.id, organisation=org,
                                     granted_by_id=ctx.principal.user_id, reason=data.reason))
        ctx.session.flush()
    ctx.log(d, "case.share", "case", case.id, ["shared_with"])
    out = case_out(case, d)
    ctx.commit()
    return out


# ---------------------------------------------------------------- notes, tasks, services

class NoteRow(typing.Protocol):
    """What ``_note_out`` reads of a note: a ``CaseNote`` or a plain row of its table."""

    @property
    def id(self) -> int: ...
    @property
    def case_id(self) -> int: ...
    @property
    def author_id(self) -> int | None: ...
    @property
    def body(self) -> str | None: ...
    @property
    def sensitivity(self) -> str | None: ...
    @property
    def created_at(self) -> dt.datetime: ...


def _note_out(n: NoteRow, d: Decision) -> NoteOut:
    hidden = n.sensitivity is not None and n.sensitivity not in d.field_groups
    return NoteOut(id=n.id, case_id=n.case_id, author_id=n.author_id, body=None if hidden else n.body,
                   sensitivity=n.sensitivity, hidden=hidden, created_at=n.created_at)


def add_note(ctx: Ctx, case_id: int, data: NoteIn) -> NoteOut:
    """Add a note; a sensitive note needs its field group."""
    case, d = _load_case(ctx, case_id, "case.note")
    _refuse_if_erased(case, "case")
    if data.sensitivity and data.sensitivity not in d.field_groups:
        raise ctx.deny(Forbidden(key="refusal.case.note_sensitivity", detail={"sensitivity": data.sensitivity}),
                       "case.note", "case", case_id, [f"sensitivity:{data.sensitivity}"])
    note = CaseNote(case_id=case.id, author_id=ctx.principal.user_id, body=data.body,
                    sensitivity=data.sensitivity)
    ctx.session.add(note)
    ctx.session.flush()
    ctx.log(d, "case.note", "case", case.id, [f"note:{note.id}"])
    out = _note_out(note, d)
    ctx.commit()
    return out


def list_notes(ctx: Ctx, case_id: int) -> list[NoteOut]:
    """Notes of a case; bodies of sensitive notes withheld from roles without the group."""
    case, d = _load_case(ctx, case_id, audit_action="case.notes.read")
    notes = ctx.session.scalars(select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id)).all()
    out = [_note_out(n, d) for n in notes]
    ctx.log(d, "case.notes.read", "case", case.id, [f"note:{n.id}" for n in out if not n.hidden])
    ctx.commit()
    return out


def add_task(ctx: Ctx, case_id: int, data: TaskIn) -> TaskOut:
    """Add a task with an optional due date and assignee (a member of the case's organisation)."""
    case, d = _load_case(ctx, case_id, "case.task")
    _refuse_if_erased(case, "case")
    if data.assignee_id is not None:
        _check_officer(ctx, data.assignee_id, case.organisation_id)
    task = CaseTask(case_id=case.id, title=data.title, due_date=data.due_date, assignee_id=data.assignee_id)
    ctx.session.add(task)
    ctx.session.flush()
    ctx.log(d, "case.task", "case", case.id, [f"task:{task.id}"])
    out = TaskOut.model_validate(task)
    ctx.commit()
    return out


def update_task(ctx: Ctx, case_id: int, task_id: int, data: TaskUpdate) -> TaskOut:
    """Mark a task done or not done."""
    case, d = _load_case(ctx, case_id, "case.task")
    task = ctx.session.get(CaseTask, task_id)
    if task is None or task.case_id != case.id:  # another case's task is as missing, and audited
        raise ctx.deny(not_found("task", task_id), "case.task", "case", case_id, [f"task:{task_id}"])
    task.done = data.done
    ctx.session.flush()
    ctx.log(d, "case.task", "case", case.id, [f"task:{task.id}"])
    out = TaskOut.model_validate(task)
    ctx.commit()
    return out


def list_tasks(ctx: Ctx, case_id: int) -> list[TaskOut]:
    """Tasks of a case, earliest due first."""
    case, d = _load_case(ctx, case_id, audit_action="case.tasks.read")
    tasks = ctx.session.scalars(select(CaseTask).where(CaseTask.case_id == case_id)
                                .order_by(CaseTask.due_date, CaseTask.id)).all()
    ctx.log(d, "case.tasks.read", "case", case.id, [f"task:{t.id}" for t in tasks])
    out = [TaskOut.model_validate(t) for t in tasks]
    ctx.commit()
    return out


def add_service(ctx: Ctx, case_id: int, data: ServiceIn) -> ServiceOut:
    """Record a service planned or delivered for the case."""
    case, d = _load_case(ctx, case_id, "case.service")
    _refuse_if_erased(case, "case")
    provider = data.provider_organisation_id
    if provider is not None and ctx.session.get(Organisation, provider) is None:
        raise Invalid(key="refusal.case.unknown_provider", provider=provider)
    svc = CaseService(case_id=case.id, **data.model_dump())
    ctx.session.add(svc)
    ctx.session.flush()
    ctx.log(d, "case.service", "case", case.id, [f"service:{svc.id}"])
    out = ServiceOut.model_validate(svc)
    ctx.commit()
    return out


def list_services(ctx: Ctx, case_id: int) -> list[ServiceOut]:
    """Services of a case."""
    case, d = _load_case(ctx, case_id, audit_action="case.services.read")
    svcs = ctx.session.scalars(select(CaseService).where(CaseService.case_id == case_id)
                               .order_by(CaseService.id)).all()
    ctx.log(d, "case.services.read", "case", case.id, [f"service:{s.id}" for s in svcs])
    out = [ServiceOut.model_validate(s) for s in svcs]
    ctx.commit()
    return out


# ---------------------------------------------------------------- audit

@dataclass(frozen=True)
class AuditPage:
    """One page of the audit and the bound it was read within: ``upto_id`` is the newest entry
    when the first page was read, so entries appended meanwhile (reading the audit itself is
    audited) never extend the listing and paging ends."""

    items: list[AuditOut]
    upto_id: int


def query_audit(ctx: Ctx, *, upto_id: int | None = None, **filters: Any) -> AuditPage:
    """Audit entries within the user's audit.read scope. Reading the audit is itself audited."""
    policy = get_policy()
    asked = tuple(f"{k}={v}" for k, v in sorted({**filters, "upto_id": upto_id}.items())
                  if v not in (None, 0, ""))
    if not _holds(ctx.principal, "audit.read"):
        raise ctx.deny(forbidden("audit.read"), "audit.read", "audit", None, asked)
    if upto_id is None:
        upto_id = ctx.session.scalar(select(func.max(AuditEntry.id))) or 0
    rows = audit.query(ctx.session, ctx.principal, upto_id=upto_id, **filters)
    out = [AuditOut(id=e.id, chain=e.chain, seq=e.seq, ts=e.ts, actor_id=e.actor_id, actor=e.actor,
                    organisation_id=e.organisation_id, action=e.action, record_type=e.record_type,
                    record_id=e.record_id, fields=json.loads(e.fields), source_ip=e.source_ip,
                    outcome=typing.cast(Outcome, e.outcome), hash=e.hash) for e in rows]
    granting = next(g for g in ctx.principal.grants if policy.scope_of(g.role, "audit.read"))
    ctx.events.append(AccessEvent("audit.read", "audit", None, asked, granting.organisation_id))
    ctx.commit()
    return AuditPage(out, upto_id)


def verify_audit(ctx: Ctx) -> audit.Verification:
    """Check the whole chain (audit.verify)."""
    if not _holds(ctx.principal, "audit.verify"):
        raise ctx.deny(forbidden("audit.verify"), "audit.verify", "audit", None)
    return audit.verify(ctx.session)
