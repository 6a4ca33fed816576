"""Use-cases on people's records: register, read, edit, link relatives and search. Every
function checks the policy, does the work, and appends the audit entries for the personal data
it read or wrote in the same transaction (``use_context.Ctx``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from observatorio.cases.errors import Conflict, Invalid
from observatorio.cases.models import FamilyLink, Person, utcnow
from observatorio.cases.policy import person_scope_clause
from observatorio.cases.reception import child_cases
from observatorio.cases.record_views import PERSON_READ_FIELDS, person_out
from observatorio.cases.schemas import (
    FamilyLinkIn,
    PersonCreate,
    PersonOut,
    PersonPage,
    PersonUpdate,
)
from observatorio.cases.use_context import (
    Ctx,
    check_org,
    default_org,
    holds,
    like_pattern,
    load_person,
    lock_person_cases,
    refuse_if_erased,
)


def create_person(ctx: Ctx, data: PersonCreate) -> PersonOut:
    """Register a person in an organisation the user may register in."""
    org = default_org(ctx, "person.create", data.organisation_id)
    d = check_org(ctx, "person.create", org)
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
    person, d = load_person(ctx, person_id)
    out = person_out(ctx, person)
    ctx.log(d, "person.read", "person", person.id, PERSON_READ_FIELDS)
    ctx.commit()
    return out


def update_person(ctx: Ctx, person_id: int, data: PersonUpdate) -> PersonOut:
    """Change a person's data; a stale ``version`` is a conflict, never a silent overwrite. A
    date of birth (or estimated age) that makes a returnee a child at their intake gives their
    intake cases a child's protection in the same transaction (reception/child_cases.py)."""
    person, d = load_person(ctx, person_id, "person.update")
    refuse_if_erased(person, "person")
    if data.version != person.version:
        raise Conflict(key="refusal.case.record_changed_meanwhile", detail={"your_version": data.version, "current_version": person.version})
    if child_cases.AGE_FIELDS & (data.model_fields_set - {"version"}):
        # the cases an age correction may re-type (protect_child_cases locks them next) are
        # taken before the person is written; a transfer that commits meanwhile changed the
        # person's version, so this edit, decided before, is then a conflict
        lock_person_cases(ctx, person.id)
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
        ctx.log(d, "person.update", "person", person.id, changed)
        if child_cases.AGE_FIELDS.intersection(changed):  # a returnee now known to have been a child
            child_cases.protect_child_cases(ctx, d, person, utcnow().date())  # its cases' versions too
    except StaleDataError as exc:
        ctx.session.rollback()
        ctx.events.clear()
        raise Conflict(key="refusal.case.record_changed_meanwhile", detail={"your_version": data.version}) from exc
    out = person_out(ctx, person)
    ctx.commit()
    return out


def add_family_link(ctx: Ctx, person_id: int, data: FamilyLinkIn) -> PersonOut:
    """Link two people the user may both edit (e.g. a separated child and a parent)."""
    person, d = load_person(ctx, person_id, "person.update")
    relative, _ = load_person(ctx, data.relative_id, "person.update")
    refuse_if_erased(person, "person")
    refuse_if_erased(relative, "person")
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
    if not holds(ctx.principal, "person.read"):
        # No membership may read people: the answer is empty, as the filter would make it,
        # and the attempt is on record.
        ctx.record_denial("person.search", "person", "person.read")
        ctx.commit()
        return PersonPage(items=[], total=0, limit=limit, offset=offset)
    stmt = select(Person).where(person_scope_clause(ctx.principal, "person.read"))
    if q:
        full = func.lower(func.coalesce(Person.given_names, "") + " " + func.coalesce(Person.family_names, ""))
        stmt = stmt.where(or_(full.like(like_pattern(q), escape="\\"),
                              func.lower(func.coalesce(Person.pseudonym, "")).like(like_pattern(q), escape="\\")))
    if nationality:
        stmt = stmt.where(Person.nationality == nationality.upper())
    if document:
        stmt = stmt.where(func.lower(cast(Person.documents, String)).like(like_pattern(document), escape="\\"))
    if date_of_birth:
        stmt = stmt.where(Person.date_of_birth == date_of_birth)
    total = ctx.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = ctx.session.scalars(stmt.order_by(Person.id).limit(limit).offset(offset)).all()
    items = []
    for p in rows:
        _, d = load_person(ctx, p.id, audit_action="person.search")  # confirms the SQL filter
        items.append(person_out(ctx, p))
        ctx.log(d, "person.search", "person", p.id, PERSON_READ_FIELDS)
    ctx.commit()
    return PersonPage(items=items, total=total, limit=limit, offset=offset)
