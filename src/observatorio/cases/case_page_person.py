"""The case page's read of the case's person: the same person, decision and audit entry as
``person_records.get_person``, read as plain rows (issue 14, page latency).

``get_person`` loads the person as an ORM object (its organisation joined), then each of the
person's cases as ORM objects (organisation and shares joined, an identity map entry each) only
to build the policy's ``Resource``, then the family links as ORM objects. Here the person, its
registering organisation's country and its cases with their shares are one statement of the
columns ``policy.person_resource`` reads; the resource is built from them as ``person_resource``
builds it from the ORM objects, decided by the one policy function, and the family links are
plain rows under the same scope filter. The refusals (missing or unreadable person: 404, audited
as denied) and the ``person.read`` entry with its fields are those of ``get_person``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, select
from sqlalchemy.orm import aliased

from observatorio.cases.errors import not_found
from observatorio.cases.models import Case, CaseShare, FamilyLink, Organisation, Person
from observatorio.cases.policy import (
    Resource,
    authorize,
    person_resource_of,
    person_scope_clause,
)
from observatorio.cases.record_views import PERSON_READ_FIELDS, person_out_of
from observatorio.cases.schemas import PersonOut
from observatorio.cases.use_context import Ctx

_PERSON_ORG = aliased(Organisation)
_SHARE_ORG = aliased(Organisation)
_PERSON = Person.__table__

# The person (every column: the page shows them all), its registration's country, then one row
# per share of each of its cases (a row of NULLs for a case without shares, one for no case).
# Built once, at import; cases and shares in id order (the ORM read had none: the decision does
# not depend on it).
_PERSON_AND_CASES = (
    select(_PERSON, _PERSON_ORG.country.label("org_country"), Case.id.label("case_id"),
           Case.officer_id.label("case_officer_id"), Case.created_by_id.label("case_created_by_id"),
           Case.organisation_id.label("case_org_id"), Case.country.label("case_country"),
           Case.case_type.label("case_type"), CaseShare.organisation_id.label("share_org"),
           _SHARE_ORG.country.label("share_country"))
    .join(_PERSON_ORG, _PERSON_ORG.id == _PERSON.c.organisation_id)
    .outerjoin(Case, Case.person_id == _PERSON.c.id)
    .outerjoin(CaseShare, CaseShare.case_id == Case.id)
    .outerjoin(_SHARE_ORG, _SHARE_ORG.id == CaseShare.organisation_id)
    .where(_PERSON.c.id == bindparam("person_id"))
    .order_by(Case.id, CaseShare.id)
)


def _case_resource(row: Row[Any], shares: list[tuple[int, str]]) -> Resource:
    """``policy.case_resource`` of the row's case (``shares``: its (organisation, country) pairs)."""
    return Resource(
        owner_ids=frozenset({row.case_officer_id} if row.case_officer_id is not None else ()),
        held_creator_ids=frozenset({row.case_created_by_id} if row.case_created_by_id is not None else ()),
        organisation_ids=frozenset({row.case_org_id}),
        countries=frozenset({row.case_country}),
        shared_organisation_ids=frozenset(org for org, _ in shares),
        shared_countries=frozenset(country for _, country in shares),
        case_types=frozenset({row.case_type}),
    )


def _person_resource(rows: Sequence[Row[Any]]) -> Resource:
    """``policy.person_resource(person, cases)`` from the statement's rows (not registration-only:
    the page only reads)."""
    person = rows[0]
    cases: dict[int, tuple[Row[Any], list[tuple[int, str]]]] = {}
    for row in rows:
        if row.case_id is None:
            continue
        _, shares = cases.setdefault(row.case_id, (row, []))
        if row.share_org is not None:
            shares.append((row.share_org, row.share_country))
    return person_resource_of(person.created_by_id, person.organisation_id, person.org_country,
                              [(row.case_type, _case_resource(row, shares)) for row, shares in cases.values()])


# The family links' statement for each scope filter, built once: the filter is kept per policy,
# principal and action (policy.person_scope_clause), so the same filter object is the same
# statement; a new filter (new policy, other principal) builds afresh. Oldest first out.
_LINKS_KEPT = 512
_links_kept: OrderedDict[int, tuple[ColumnElement[bool], Select[int, str]]] = OrderedDict()
_links_lock = threading.Lock()


def _links_statement(scope: ColumnElement[bool]) -> Select[int, str]:
    """``record_views.person_out``'s family links (only relatives the reader may read), as rows."""
    with _links_lock:
        hit = _links_kept.get(id(scope))
        if hit is not None and hit[0] is scope:
            _links_kept.move_to_end(id(scope))
            return hit[1]
    stmt = (select(FamilyLink.relative_id, FamilyLink.kind)
            .join(Person, Person.id == FamilyLink.relative_id)
            .where(FamilyLink.person_id == bindparam("person_id"), scope)
            .order_by(FamilyLink.id))
    with _links_lock:
        _links_kept[id(scope)] = (scope, stmt)
        while len(_links_kept) > _LINKS_KEPT:
            _links_kept.popitem(last=False)
    return stmt


def read_page_person(ctx: Ctx, person_id: int) -> PersonOut:
    """``person_records.get_person(ctx, person_id)``: the same ``PersonOut``, the same refusal
    (``CasesError``, the denial audited) and the same ``person.read`` audit entry."""
    execute = ctx.session.connection().execute
    rows = execute(_PERSON_AND_CASES, {"person_id": person_id}).all()
    if not rows:
        raise ctx.deny(not_found("person", person_id), "person.read", "person", person_id,
                       policy_action="person.read")
    d = authorize(ctx.principal, "person.read", _person_resource(rows))
    if not d.allowed:
        raise ctx.deny(not_found("person", person_id), "person.read", "person", person_id,
                       policy_action="person.read")
    p = rows[0]
    links = execute(_links_statement(person_scope_clause(ctx.principal, "person.read")),
                    {"person_id": p.id}).all()
    out = person_out_of(p, links)
    ctx.log(d, "person.read", "person", p.id, PERSON_READ_FIELDS)
    ctx.commit()
    return out
