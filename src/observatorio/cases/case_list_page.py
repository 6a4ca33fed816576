"""The case list page's read: the same cases, decisions and audit entries as
``case_records.list_cases``, read as plain rows of the columns the page shows (issue 14, page latency).

``list_cases`` loads each listed case as an ORM object (its organisation and shares joined, an
identity map entry each) and turns it into a ``CaseOut`` with every field, for a page that shows
six columns. Here the page of cases is one statement of those columns and what the policy needs
(holder, country, owners, case type, and the shares joined onto the page), each case is decided
by the one policy function on the same ``Resource`` that ``case_resource`` builds from the ORM
object, and each listed case gets the same ``case.list`` audit entry with the same fields. Equal
resources are decided once (a decision depends on nothing else). No sensitive field is read at
all: the list shows none.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import aliased

from observatorio.cases import case_records, paging
from observatorio.cases.models import Case, CaseShare, Organisation
from observatorio.cases.policy import Decision, Policy, Principal, Resource, authorize, get_policy
from observatorio.cases.record_views import visible_case_fields
from observatorio.cases.use_context import Ctx, holds

# What the page shows, and what the policy decides on (see policy.case_resource).
_SHOWN = (Case.id, Case.reference, Case.case_type, Case.status, Case.risk_level, Case.summary, Case.country)
_DECIDED = (Case.organisation_id, Case.officer_id, Case.created_by_id, Case.opened_at)
_SORT_COLUMNS = {"opened_at": ("opened_at", False), "-opened_at": ("opened_at", True),
                 "risk_level": ("risk_level", False), "status": ("status", False),
                 "reference": ("reference", False)}
_SHARE_ORG = aliased(Organisation)


@dataclass(frozen=True)
class ListedCase:
    """One row of the list as the page shows it (no sensitive field exists here)."""

    id: int
    reference: str
    case_type: str
    status: str
    risk_level: str
    summary: str | None
    country: str


@dataclass(frozen=True)
class ListPage:
    items: list[ListedCase]
    total: int
    limit: int
    offset: int


def _resource(row: Row[Any], shares: list[tuple[int, str]]) -> Resource:
    """``policy.case_resource`` of the row's case (``shares``: its (organisation, country) pairs)."""
    return Resource(
        owner_ids=frozenset({row.officer_id} if row.officer_id is not None else ()),
        held_creator_ids=frozenset({row.created_by_id} if row.created_by_id is not None else ()),
        organisation_ids=frozenset({row.organisation_id}),
        countries=frozenset({row.country}),
        shared_organisation_ids=frozenset(org for org, _ in shares),
        shared_countries=frozenset(country for _, country in shares),
        case_types=frozenset({row.case_type}),
    )


# The statements of recent lists, built once each: building one (the scope filter, the filters,
# the page as a subquery and its column collection) cost about as much as running it. A pure
# function of the policy, the principal, the sort, the page and the filters' values; kept by the
# policy object too (a replaced policy builds afresh), the oldest first out.
_STATEMENTS_KEPT = 128
_statements_kept: OrderedDict[tuple[Any, ...], tuple[Policy, Select[Any], Select[Any]]] = OrderedDict()
_statements_lock = threading.Lock()


def _statements(principal: Principal, sort: str, limit: int, offset: int,
                filters: dict[str, Any]) -> tuple[Select[Any], Select[Any]]:
    """The page's statement (its cases, then their shares joined on: one row per share, one row
    of NULLs for none) and the statement of every matching case's id (for the total)."""
    policy = get_policy()
    key = (id(policy), principal, sort, limit, offset, tuple(sorted(filters.items())))
    with _statements_lock:
        hit = _statements_kept.get(key)
        if hit is not None and hit[0] is policy:
            _statements_kept.move_to_end(key)
            return hit[1], hit[2]
    stmt = case_records.case_query(principal, **filters)
    column, descending = _SORT_COLUMNS[sort]
    sub = (stmt.with_only_columns(*_SHOWN, *_DECIDED).order_by(case_records.SORTS[sort], Case.id)
           .limit(limit).offset(offset).subquery())
    order = sub.c[column].desc() if descending else sub.c[column].asc()
    page = (select(sub, CaseShare.organisation_id.label("share_org"), _SHARE_ORG.country.label("share_country"))
            .outerjoin(CaseShare, CaseShare.case_id == sub.c.id)
            .outerjoin(_SHARE_ORG, _SHARE_ORG.id == CaseShare.organisation_id)
            .order_by(order, sub.c.id, CaseShare.id))
    matching = stmt.with_only_columns(Case.id)
    with _statements_lock:
        _statements_kept[key] = (policy, page, matching)
        while len(_statements_kept) > _STATEMENTS_KEPT:
            _statements_kept.popitem(last=False)
    return page, matching


def read_case_list(ctx: Ctx, *, sort: str = "-opened_at", limit: int = 50, offset: int = 0,
                   **filters: Any) -> ListPage:
    """The cases of ``case_records.list_cases(ctx, sort=..., limit=..., offset=..., **filters)`` as
    ``ListedCase`` rows, each audited as listed; same refusal when no membership reads cases."""
    if not holds(ctx.principal, "case.read"):
        ctx.record_denial("case.list", "case", "case.read")
        ctx.commit()
        return ListPage(items=[], total=0, limit=limit, offset=offset)
    page, matching = _statements(ctx.principal, sort, limit, offset, filters)
    cases: dict[int, tuple[Row[Any], list[tuple[int, str]]]] = {}
    for row in ctx.session.execute(page).all():
        _, shares = cases.setdefault(row.id, (row, []))
        if row.share_org is not None:
            shares.append((row.share_org, row.share_country))
    total = paging.total(ctx.session, matching, len(cases), limit, offset)
    decided: dict[Resource, Decision] = {}
    items = []
    for row, shares in cases.values():
        res = _resource(row, shares)
        d = decided.get(res)
        if d is None:
            d = decided[res] = authorize(ctx.principal, "case.read", res)
        if not d.allowed:  # the SQL filter and the policy must agree; never show on doubt
            continue
        items.append(ListedCase(row.id, row.reference, row.case_type, row.status, row.risk_level, row.summary,
                                row.country))
        ctx.log(d, "case.list", "case", row.id, visible_case_fields(d))
    ctx.commit()
    return ListPage(items=items, total=total, limit=limit, offset=offset)
