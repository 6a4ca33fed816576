"""Use-cases that open, read and list cases: the one way a case row is opened, creating a case
for a person, reading one, and the scope-limited, filtered case query. Every function checks the
policy, does the work, and appends the audit entries in the same transaction
(``use_context.Ctx``)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy import case as sql_case

from observatorio.cases import paging
from observatorio.cases.models import Case, CaseRevision, Organisation, Person, utcnow
from observatorio.cases.policy import (
    Principal,
    authorize,
    case_resource,
    case_scope_clause,
    group_of_field,
    person_scope_clause,
)
from observatorio.cases.protocols import loader as protocols
from observatorio.cases.record_views import case_out, visible_case_fields
from observatorio.cases.schemas import CaseCreate, CaseOut, CasePage
from observatorio.cases.use_context import (
    Ctx,
    check_officer,
    check_org,
    default_org,
    holds,
    jsonable,
    like_pattern,
    load_case,
    load_person,
    require_groups,
)
from observatorio.cases.vocab import CaseStatus


def _new_reference(country: str) -> str:
    return f"{country}-{utcnow():%Y}-{secrets.token_hex(4).upper()}"


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
    org = default_org(ctx, "case.create", data.organisation_id)
    d = check_org(ctx, "case.create", org)
    load_person(ctx, data.person_id, audit_action="case.create")
    sent = data.model_fields_set - {"organisation_id", "officer_id", "person_id", "case_type"}
    require_groups(ctx, d, {f for f in sent if getattr(data, f) is not None}, "case.create",
                   "organisation", org.id)
    officer = data.officer_id if data.officer_id is not None else ctx.principal.user_id
    check_officer(ctx, officer, org.id)
    case = open_case_row(ctx, org, data.case_type.value, data.person_id, officer,
                         risk_level=data.risk_level.value, summary=data.summary, location=data.location,
                         health_details=data.health_details, trafficking_details=data.trafficking_details,
                         child_protection_details=data.child_protection_details)
    fields = sorted(sent | {"case_type", "person_id"})
    ctx.session.add(CaseRevision(case_id=case.id, version=case.version, user_id=ctx.principal.user_id,
                                 changes={f: [None, jsonable(getattr(case, f))] for f in fields
                                          if group_of_field(f) is None}))
    ctx.log(d, "case.create", "case", case.id, fields)
    out = case_out(case, d)
    ctx.commit()
    return out


def get_case(ctx: Ctx, case_id: int) -> CaseOut:
    """One case, sensitive fields withheld per role."""
    case, d = load_case(ctx, case_id)
    out = case_out(case, d)
    ctx.log(d, "case.read", "case", case.id, visible_case_fields(d))
    ctx.commit()
    return out


SortKey = Literal["opened_at", "-opened_at", "risk_level", "status", "reference"]
SORTS: dict[str, Any] = {
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
        conds.append(or_(*(func.lower(func.coalesce(t, "")).like(like_pattern(q), escape="\\")  # never a sensitive field
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
    if not holds(ctx.principal, "case.read"):
        ctx.record_denial("case.list", "case", "case.read")
        ctx.commit()
        return CasePage(items=[], total=0, limit=limit, offset=offset)
    stmt = case_query(ctx.principal, **filters)
    rows = ctx.session.scalars(stmt.order_by(SORTS[sort], Case.id).limit(limit).offset(offset)).unique().all()
    total = paging.total(ctx.session, stmt.with_only_columns(Case.id), len(rows), limit, offset)
    items = []
    for case in rows:
        d = authorize(ctx.principal, "case.read", case_resource(case))
        if not d.allowed:  # the SQL filter and the policy must agree; never show on doubt
            continue
        items.append(case_out(case, d))
        ctx.log(d, "case.list", "case", case.id, visible_case_fields(d))
    ctx.commit()
    return CasePage(items=items, total=total, limit=limit, offset=offset)
