"""Property test: in random worlds, every read, list, search, export and audit path returns
exactly what the access policy allows, case by case and field by field.

A world has organisations in several countries, a user of every role (and some users with two
memberships), people registered by those organisations (some related to each other), cases
about them held by several organisations, of a capped type (an unaccompanied child's) or not,
shares, and notes (of every sensitivity), tasks and services. For every user,
each path of the service layer (the API, the web pages and the command line are thin over
it) is compared with an expectation computed here from the policy's *data* (policy.yaml's
grants, field groups, share grants and case-type caps), independently of ``policy.authorize``
and of the SQL scope filters. A child's person record is capped like the child's cases
(docs/cases.md, "A child's person record").

Deterministic in CI: the settings below derandomise Hypothesis (the suite has no profile of its
own) and run a few examples per backend. To search long and at random, run
``HYPOTHESIS_PROFILE=long pytest --timeout=0 tests/cases/test_policy_property.py`` (more
examples, a random seed, failures remembered in the Hypothesis database; ``--timeout=0``: the
300 examples per backend take longer than the suite's per-test timeout).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from observatorio.cases import (
    audit_queries,
    case_records,
    case_work,
    person_records,
    person_rights,
    use_context,
)
from observatorio.cases.auth import principal_of
from observatorio.cases.duplicates import possible_duplicates
from observatorio.cases.errors import Forbidden, NotFound
from observatorio.cases.models import (
    AuditEntry,
    Case,
    CaseNote,
    CaseService,
    CaseShare,
    CaseTask,
    FamilyLink,
    Membership,
    Organisation,
    Person,
    User,
)
from observatorio.cases.policy import get_policy
from observatorio.cases.runtime import Runtime

from .conftest import TEST_CONFIG, TEST_SETTINGS, fresh_url

POLICY = get_policy()
ROLES = sorted(POLICY.roles)
GROUPS = sorted(POLICY.field_groups)
FIELD_GROUP = {f: g for g, fields in POLICY.field_groups.items() for f in fields}
COUNTRIES = ("GTM", "HND", "SLV")
CASE_TYPES = ("detention", "unaccompanied_child")  # one uncapped type, the capped one
LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
PROPERTY_SETTINGS = settings(
    max_examples=300 if LONG else 6,
    derandomize=not LONG,
    database=settings.default.database if LONG else None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)


# ---------------------------------------------------------------- the world, as plain data

@dataclass
class CaseSpec:
    person: int
    org: int
    officer: int | None
    creator: int | None
    shares: list[int]
    sensitive: list[str]
    notes: list[str | None]  # sensitivity of each note
    tasks: int
    services: int
    case_type: str = "detention"


@dataclass
class WorldSpec:
    org_countries: list[str]
    users: list[list[tuple[int, str]]]  # per user: (org index, role) memberships
    people: list[tuple[int, int | None]]  # (registering org, creator user)
    cases: list[CaseSpec] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)  # (person, relative)


def _members(users: list[list[tuple[int, str]]], org: int) -> list[int]:
    return [u for u, ms in enumerate(users) if any(o == org for o, _ in ms)]


@st.composite
def worlds(draw: st.DrawFn) -> WorldSpec:
    n_orgs = draw(st.integers(2, 4))
    org_countries = draw(st.lists(st.sampled_from(COUNTRIES), min_size=n_orgs, max_size=n_orgs))
    org = st.integers(0, n_orgs - 1)
    users = [[(draw(org), role)] for role in ROLES]  # a user of every role
    users += draw(st.lists(st.lists(st.tuples(org, st.sampled_from(ROLES)), min_size=2, max_size=2,
                                    unique=True), max_size=2))

    def member_of(o: int) -> int | None:
        return draw(st.none() | st.sampled_from(_members(users, o))) if _members(users, o) else None

    people = []
    for _ in range(draw(st.integers(1, 3))):
        o = draw(org)
        people.append((o, member_of(o)))
    cases = []
    for _ in range(draw(st.integers(1, 5))):
        o = draw(org)
        cases.append(CaseSpec(
            person=draw(st.integers(0, len(people) - 1)), org=o, officer=member_of(o), creator=member_of(o),
            shares=draw(st.lists(org.filter(lambda x, o=o: x != o), unique=True, max_size=2)),
            sensitive=draw(st.lists(st.sampled_from(sorted(FIELD_GROUP)), unique=True)),
            notes=draw(st.lists(st.none() | st.sampled_from(GROUPS), max_size=3)),
            tasks=draw(st.integers(0, 2)), services=draw(st.integers(0, 1)),
            case_type=draw(st.sampled_from(CASE_TYPES))))
    person = st.integers(0, len(people) - 1)
    links = draw(st.lists(st.tuples(person, person).filter(lambda pq: pq[0] != pq[1]), unique=True, max_size=3))
    return WorldSpec(org_countries, users, people, cases, links)


@dataclass
class Built:
    org_ids: list[int]
    user_ids: list[int]
    person_ids: list[int]
    case_ids: list[int]


def build(rt: Runtime, w: WorldSpec) -> Built:
    """Write the world straight into the database (the service is what is tested, not this)."""
    with rt.sessions() as s:
        orgs = [Organisation(name=f"Org {i}", kind="consulate", country=c) for i, c in enumerate(w.org_countries)]
        s.add_all(orgs)
        s.flush()
        users = []
        for i, ms in enumerate(w.users):
            u = User(username=f"u{i}", password_hash="-")
            u.memberships = [Membership(organisation_id=orgs[o].id, role=r) for o, r in ms]
            users.append(u)
        s.add_all(users)
        s.flush()

        def uid(i: int | None) -> int | None:
            return None if i is None else users[i].id

        people = [Person(given_names=f"P{i}", organisation_id=orgs[o].id, created_by_id=uid(c))
                  for i, (o, c) in enumerate(w.people)]
        s.add_all(people)
        s.flush()
        case_ids = []
        for i, cs in enumerate(w.cases):
            case = Case(reference=f"REF-{i}", case_type=cs.case_type, summary=f"resumen {i}",
                        person_id=people[cs.person].id, organisation_id=orgs[cs.org].id,
                        country=w.org_countries[cs.org], officer_id=uid(cs.officer), created_by_id=uid(cs.creator),
                        **{f: f"{f} {i}" for f in cs.sensitive})
            s.add(case)
            s.flush()
            s.add_all([CaseShare(case_id=case.id, organisation_id=orgs[o].id) for o in cs.shares])
            s.add_all([CaseNote(case_id=case.id, body=f"nota {i}.{j}", sensitivity=sens)
                       for j, sens in enumerate(cs.notes)])
            s.add_all([CaseTask(case_id=case.id, title=f"tarea {i}.{j}") for j in range(cs.tasks)])
            s.add_all([CaseService(case_id=case.id, service_type="legal", description=f"servicio {i}.{j}")
                       for j in range(cs.services)])
            case_ids.append(case.id)
        s.add_all([FamilyLink(person_id=people[p].id, relative_id=people[q].id, kind="sibling")
                   for p, q in w.links])
        s.commit()
        return Built([o.id for o in orgs], [u.id for u in users], [p.id for p in people], case_ids)


# ---------------------------------------------------------------- the expectation

@dataclass(frozen=True)
class Reach:
    """A record as the policy text describes it: holders, shares, owners, the case type it is
    of (a case) and the child's cases that cap it (a person with a case of a capped type)."""

    holders: frozenset[int]  # organisation indexes
    shared: frozenset[int]
    owners: frozenset[int]  # user indexes
    case_type: str | None = None
    capped_by: tuple[Reach, ...] = ()


def case_reach(cs: CaseSpec) -> Reach:
    owners = frozenset(u for u in (cs.officer, cs.creator) if u is not None)
    return Reach(frozenset({cs.org}), frozenset(cs.shares), owners, cs.case_type)


def person_reach(w: WorldSpec, p: int) -> Reach:
    """Held by the registration and every case's holder; a child (any case of a capped type)
    is reached only by whoever also reaches one of the child's capped cases."""
    org, creator = w.people[p]
    mine = [case_reach(c) for c in w.cases if c.person == p]
    return Reach(frozenset({org}).union(*(r.holders for r in mine)),
                 frozenset().union(*(r.shared for r in mine)),
                 frozenset({creator} if creator is not None else ()).union(*(r.owners for r in mine)),
                 capped_by=tuple(r for r in mine if r.case_type in POLICY.case_type_caps))


RANK = ("own", "organisation", "country", "region")  # the policy text's order, narrowest first


def _scope(role: str, action: str, case_type: str | None) -> str | None:
    """The role's scope for the action, narrowed by the case type's cap as policy.yaml says."""
    scope = POLICY.roles[role].grants.get(action)
    caps = POLICY.case_type_caps.get(case_type or "")
    if scope is None or caps is None:
        return scope
    cap = caps.get(role)
    return None if cap is None else RANK[min(RANK.index(scope), RANK.index(cap))]


def _membership_reaches(w: WorldSpec, user: int, org: int, role: str, action: str, r: Reach) -> bool:
    countries = w.org_countries
    orgs = r.holders | (r.shared if action in POLICY.share_grants else frozenset())
    scope = _scope(role, action, r.case_type)
    covered = (scope == "region"
               or (scope == "country" and countries[org] in {countries[o] for o in orgs})
               or (scope == "organisation" and org in orgs)
               or (scope == "own" and user in r.owners))
    return covered and (not r.capped_by or any(
        _membership_reaches(w, user, org, role, action, c) for c in r.capped_by))


def groups_allowed(w: WorldSpec, user: int, action: str, r: Reach) -> frozenset[str] | None:
    """The field groups of the memberships that allow ``action`` on ``r``; None if none does."""
    granting = [role for org, role in w.users[user] if _membership_reaches(w, user, org, role, action, r)]
    if not granting:
        return None
    return frozenset().union(*(POLICY.roles[role].field_groups for role in granting))


def expected_case_fields(i: int, cs: CaseSpec, groups: frozenset[str]) -> dict[str, str | None]:
    return {f: (f"{f} {i}" if f in cs.sensitive and g in groups else None) for f, g in FIELD_GROUP.items()}


def case_fields(out: dict) -> dict[str, str | None]:
    return {f: out[f] for f in FIELD_GROUP}


# ---------------------------------------------------------------- the property

@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
@PROPERTY_SETTINGS
@given(w=worlds())
def test_every_path_returns_what_the_policy_allows(backend, pg, templates, tmp_path: Path, w: WorldSpec) -> None:
    rt = Runtime.from_url(fresh_url(backend, pg, templates, tmp_path), TEST_SETTINGS, TEST_CONFIG)
    try:
        built = build(rt, w)
        for user in range(len(w.users)):
            with rt.sessions() as s:
                ctx = use_context.Ctx(s, principal_of(s, built.user_ids[user]), "10.0.0.1", "k")
                _check_cases(ctx, w, built, user)
                _check_people(ctx, w, built, user)
                _check_export(ctx, w, built, user)
        for user in range(len(w.users)):
            with rt.sessions() as s:
                ctx = use_context.Ctx(s, principal_of(s, built.user_ids[user]), "10.0.0.1", "k")
                _check_audit(ctx, w, built, user)
    finally:
        rt.close()


def _check_cases(ctx: use_context.Ctx, w: WorldSpec, b: Built, user: int) -> None:
    readable = {}
    for i, cs in enumerate(w.cases):
        groups = groups_allowed(w, user, "case.read", case_reach(cs))
        cid = b.case_ids[i]
        if groups is None:
            for path in (case_records.get_case, case_work.list_notes, case_work.list_tasks, case_work.list_services):
                with pytest.raises(NotFound):
                    path(ctx, cid)
            continue
        readable[cid] = expected_case_fields(i, cs, groups)
        assert case_fields(case_records.get_case(ctx, cid).model_dump()) == readable[cid]
        notes = case_work.list_notes(ctx, cid)
        assert [n.body for n in notes] == [
            f"nota {i}.{j}" if sens is None or sens in groups else None for j, sens in enumerate(cs.notes)]
        assert len(case_work.list_tasks(ctx, cid)) == cs.tasks
        assert len(case_work.list_services(ctx, cid)) == cs.services
    page = case_records.list_cases(ctx, limit=200)
    assert {c.id: case_fields(c.model_dump()) for c in page.items} == readable
    assert page.total == len(readable)


def _check_people(ctx: use_context.Ctx, w: WorldSpec, b: Built, user: int) -> None:
    """Single read, search, possible duplicates at registration and family links."""
    readable = {pid for p, pid in enumerate(b.person_ids)
                if groups_allowed(w, user, "person.read", person_reach(w, p)) is not None}
    for p, pid in enumerate(b.person_ids):
        if pid not in readable:
            with pytest.raises(NotFound):
                person_records.get_person(ctx, pid)
        else:
            out = person_records.get_person(ctx, pid)
            assert out.given_names == f"P{p}"
            assert [fl.relative_id for fl in out.family_links] == [
                b.person_ids[q] for x, q in w.links if x == p and b.person_ids[q] in readable]
        dups = possible_duplicates(ctx, f"P{p}", None, None)
        assert [c.person_id for c in dups] == ([pid] if pid in readable else [])
    assert {x.id for x in person_records.search_people(ctx, limit=200).items} == readable


def _check_export(ctx: use_context.Ctx, w: WorldSpec, b: Built, user: int) -> None:
    for p, pid in enumerate(b.person_ids):
        if groups_allowed(w, user, "person.export", person_reach(w, p)) is None:
            readable = groups_allowed(w, user, "person.read", person_reach(w, p)) is not None
            with pytest.raises(Forbidden if readable else NotFound):
                person_rights.export_person(ctx, pid)
            continue
        export = person_rights.export_person(ctx, pid)
        cases, notes, tasks, services = {}, [], 0, 0
        for i, cs in enumerate(w.cases):
            if cs.person != p:
                continue
            exp = groups_allowed(w, user, "person.export", case_reach(cs))
            read = groups_allowed(w, user, "case.read", case_reach(cs))
            if exp is None or read is None:
                continue
            groups = exp | read
            cases[b.case_ids[i]] = expected_case_fields(i, cs, groups)
            notes += [f"nota {i}.{j}" if sens is None or sens in groups else None
                      for j, sens in enumerate(cs.notes)]
            tasks += cs.tasks
            services += cs.services
        assert {c["id"]: case_fields(c) for c in export["cases"]} == cases
        assert sorted(map(str, (n["body"] for n in export["notes"]))) == sorted(map(str, notes))
        assert (len(export["tasks"]), len(export["services"])) == (tasks, services)


def _audit_visible(w: WorldSpec, b: Built, user: int, e: AuditEntry, case_org: dict[str, int],
                   person_org: dict[str, int]) -> bool:
    """An entry is in scope if recorded under an organisation in scope (what its users did) or
    about a case or person held by one (what was done to its records)."""
    org_index = {o: i for i, o in enumerate(b.org_ids)}
    about = None
    if e.record_type == "case":
        about = case_org.get(e.record_id or "")
    elif e.record_type == "person":
        about = person_org.get(e.record_id or "")
    touched = {org_index[o] for o in (e.organisation_id, about) if o in org_index}
    for org, role in w.users[user]:
        scope = POLICY.roles[role].grants.get("audit.read")
        if scope == "region":
            return True
        if scope == "country" and w.org_countries[org] in {w.org_countries[t] for t in touched}:
            return True
        if scope == "organisation" and org in touched:
            return True
        if scope == "own" and e.actor_id == b.user_ids[user]:
            return True
    return False


def _check_audit(ctx: use_context.Ctx, w: WorldSpec, b: Built, user: int) -> None:
    s = ctx.session
    upto = s.scalar(select(func.max(AuditEntry.id))) or 0
    holds = any("audit.read" in POLICY.roles[r].grants for _, r in w.users[user])
    if not holds:
        with pytest.raises(Forbidden):
            audit_queries.query_audit(ctx, upto_id=upto, limit=1000)
        return
    case_org = {str(c): o for c, o in s.execute(select(Case.id, Case.organisation_id))}
    person_org = {str(p): o for p, o in s.execute(select(Person.id, Person.organisation_id))}
    expected = [e.id for e in s.scalars(select(AuditEntry).where(AuditEntry.id <= upto).order_by(AuditEntry.id))
                if _audit_visible(w, b, user, e, case_org, person_org)]
    got: list[int] = []
    after = 0
    while True:  # page through, as a client would, bounded by the first page's upto_id
        page = audit_queries.query_audit(ctx, upto_id=upto, after_id=after, limit=1000)
        got += [e.id for e in page.items]
        if len(page.items) < 1000:
            break
        after = page.items[-1].id
    assert got == expected
