"""Access control as data: policy.yaml declares actions × roles × scope; this module checks it.

``authorize`` decides for one record and ``scope_clause`` expresses the very same grants as
a SQL filter, so lists, searches and exports can never show more than a single read would.

A record is reached either as its *holder* (the organisation that holds the case, or registered
the person) or through an explicit *share*. A share extends only the actions policy.yaml lists
under ``share_grants`` (reading); every other action needs the holder's scope.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true

from observatorio import yaml_load
from observatorio.cases.models import Case, CaseShare, Organisation, Person
from observatorio.cases.vocab import CaseType
from observatorio.errors import ConfigFileInvalid

SCOPES = ("own", "organisation", "country", "region")


@dataclass(frozen=True)
class Role:
    name: str
    label: dict[str, str]
    field_groups: frozenset[str]
    grants: dict[str, str]  # action -> widest scope


@dataclass(frozen=True)
class Policy:
    actions: dict[str, dict[str, str]]
    field_groups: dict[str, frozenset[str]]  # group -> case fields
    roles: dict[str, Role]
    share_grants: frozenset[str] = frozenset()  # actions an explicit share extends
    # case type -> role -> widest scope any action of that role reaches a case of the type with
    case_type_caps: dict[str, dict[str, str]] = field(default_factory=dict)

    def scope_of(self, role: str, action: str) -> str | None:
        """The scope a role holds for an action, or None (denied)."""
        r = self.roles.get(role)
        return r.grants.get(action) if r else None

    def capped_scope(self, role: str, action: str, case_types: Iterable[str]) -> str | None:
        """The scope a role holds for an action on a record of these case types: a capped type
        narrows it to the cap, or denies it when the type does not list the role."""
        scope = self.scope_of(role, action)
        for case_type in case_types:
            caps = self.case_type_caps.get(case_type)
            if caps is None or scope is None:
                continue
            cap = caps.get(role)
            scope = None if cap is None else min(scope, cap, key=SCOPES.index)
        return scope


class PolicyError(ConfigFileInvalid):
    """policy.yaml is inconsistent (unknown action, scope or group)."""


def _label(where: str, label: Any) -> dict[str, str]:
    """A label in both languages, exactly ``{es: …, en: …}``. In a YAML flow mapping a comma ends
    the text (``{es: Ver, aceptar}`` is two keys), so a text with commas must be quoted."""
    if (not isinstance(label, dict) or set(label) != {"es", "en"}
            or not all(isinstance(label[lang], str) and label[lang].strip() for lang in ("es", "en"))):
        raise PolicyError(f"{where}: a label is {{es: …, en: …}}, both non-empty (found {label!r}); "
                          "quote a text that holds a comma")
    return {"es": label["es"], "en": label["en"]}


def _load(text: str) -> Policy:
    raw = yaml_load.safe_load(text)
    if list(raw["scopes"]) != list(SCOPES):
        raise PolicyError(f"scopes must be {SCOPES}")
    actions = {a: _label(f"actions.{a}", label) for a, label in raw["actions"].items()}
    groups = {g: frozenset(v.get("case_fields", [])) for g, v in raw["field_groups"].items()}
    roles: dict[str, Role] = {}
    for name, spec in raw["roles"].items():
        grants = dict(spec.get("grants") or {})
        for action, scope in grants.items():
            if action not in actions:
                raise PolicyError(f"role {name}: unknown action {action!r}")
            if scope not in SCOPES:
                raise PolicyError(f"role {name}: unknown scope {scope!r} for {action}")
        fg = frozenset(spec.get("field_groups") or [])
        if unknown := fg - groups.keys():
            raise PolicyError(f"role {name}: unknown field groups {sorted(unknown)}")
        roles[name] = Role(name, _label(f"roles.{name}.label", spec.get("label")), fg, grants)
    share_grants = frozenset(raw.get("share_grants") or [])
    if unknown := share_grants - actions.keys():
        raise PolicyError(f"share_grants: unknown actions {sorted(unknown)}")
    return Policy(actions, groups, roles, share_grants, _case_type_caps(raw, roles))


def _case_type_caps(raw: dict[str, Any], roles: dict[str, Role]) -> dict[str, dict[str, str]]:
    caps: dict[str, dict[str, str]] = {}
    for case_type, by_role in (raw.get("case_type_caps") or {}).items():
        if case_type not in {t.value for t in CaseType}:
            raise PolicyError(f"case_type_caps: unknown case type {case_type!r}")
        for role, scope in (by_role or {}).items():
            if role not in roles:
                raise PolicyError(f"case_type_caps.{case_type}: unknown role {role!r}")
            if scope not in SCOPES:
                raise PolicyError(f"case_type_caps.{case_type}.{role}: unknown scope {scope!r}")
        caps[case_type] = dict(by_role or {})
    return caps


@lru_cache(maxsize=1)
def get_policy() -> Policy:
    """The bundled policy, parsed and validated once."""
    return _load(resources.files("observatorio.cases").joinpath("policy.yaml").read_text("utf-8"))


@dataclass(frozen=True)
class Grant:
    """One membership of the acting user: a role in an organisation of a country."""

    organisation_id: int
    country: str
    role: str


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class Resource:
    """What the policy needs to know about a record to decide on it."""

    owner_ids: frozenset[int] = frozenset()  # creator and assigned officer
    organisation_ids: frozenset[int] = frozenset()  # holders
    countries: frozenset[str] = frozenset()  # countries of the holders
    # Organisations the record is explicitly shared with, and their countries: they reach it
    # only for the actions of ``Policy.share_grants``.
    shared_organisation_ids: frozenset[int] = frozenset()
    shared_countries: frozenset[str] = frozenset()
    # Case types of the record (policy.yaml case_type_caps narrow who reaches them).
    case_types: frozenset[str] = frozenset()
    # Creators who reach the record as "own" only while one of their organisations holds it: a
    # case transferred to another organisation leaves its creator's reach (the officer moves).
    held_creator_ids: frozenset[int] = frozenset()
    # Records of a capped case type this one is about (a child's person record: the child's
    # cases). When any is given, a membership reaches this record only if it also reaches at
    # least one of them, at its capped scope, for the same action (docs/cases.md, "A child's
    # person record").
    capped_by: tuple[Resource, ...] = ()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    field_groups: frozenset[str] = frozenset()
    acting: Grant | None = None  # the membership that granted it (recorded in the audit)
    hidden_fields: frozenset[str] = field(default_factory=frozenset)


def _covers(scope: str, grant: Grant, principal: Principal, res: Resource, via_share: bool) -> bool:
    """Whether ``scope`` held through ``grant`` reaches ``res`` (``via_share``: shares count)."""
    if scope == "region":
        return True
    if scope == "country":
        return grant.country in res.countries or (via_share and grant.country in res.shared_countries)
    if scope == "organisation":
        return grant.organisation_id in res.organisation_ids or (
            via_share and grant.organisation_id in res.shared_organisation_ids)
    return principal.user_id in res.owner_ids or (
        principal.user_id in res.held_creator_ids
        and not res.organisation_ids.isdisjoint(m.organisation_id for m in principal.grants))


def _reaches(policy: Policy, grant: Grant, principal: Principal, action: str, res: Resource,
             via_share: bool) -> bool:
    """Whether ``grant`` reaches ``res`` for ``action``: at its scope narrowed by the record's
    case-type caps, and, for a record ``capped_by`` others, through one of those too."""
    scope = policy.capped_scope(grant.role, action, res.case_types)
    if scope is None or not _covers(scope, grant, principal, res, via_share):
        return False
    return not res.capped_by or any(
        _reaches(policy, grant, principal, action, capped, via_share) for capped in res.capped_by)


def authorize(principal: Principal, action: str, res: Resource) -> Decision:
    """The one permission check: allowed if any membership's role grants ``action`` over ``res``."""
    policy = get_policy()
    if action not in policy.actions:
        raise PolicyError(f"undeclared action {action!r}")  # a typo must not silently deny or allow
    via_share = action in policy.share_grants
    granting = [g for g in principal.grants if _reaches(policy, g, principal, action, res, via_share)]
    if not granting:
        return Decision(False)
    groups = frozenset().union(*(policy.roles[g.role].field_groups for g in granting))
    hidden = frozenset().union(
        *(fields for name, fields in policy.field_groups.items() if name not in groups)
    )
    return Decision(True, groups, granting[0], hidden)


def sensitive_case_fields() -> frozenset[str]:
    """Every case field that belongs to some sensitive group."""
    return frozenset().union(*get_policy().field_groups.values())


def group_of_field(name: str) -> str | None:
    """The sensitive group a case field belongs to, if any."""
    for group, fields in get_policy().field_groups.items():
        if name in fields:
            return group
    return None


def case_resource(case: Case) -> Resource:
    """Resource view of a case: its holder, and the organisations it is shared with."""
    return Resource(
        owner_ids=frozenset({case.officer_id} if case.officer_id is not None else ()),
        held_creator_ids=frozenset({case.created_by_id} if case.created_by_id is not None else ()),
        organisation_ids=frozenset({case.organisation_id}),
        countries=frozenset({case.country}),
        shared_organisation_ids=frozenset(s.organisation_id for s in case.shares),
        shared_countries=frozenset(s.organisation.country for s in case.shares),
        case_types=frozenset({case.case_type}),
    )


class Placed(Protocol):
    """What an organisation's resource is made of: an ORM row, or a plain row read of one."""

    @property
    def id(self) -> int: ...
    @property
    def country(self) -> str: ...


def organisation_resource(org: Organisation | Placed) -> Resource:
    """Resource view of an organisation, for actions that create inside it."""
    return Resource(organisation_ids=frozenset({org.id}), countries=frozenset({org.country}))


def person_resource(person: Person, cases: Iterable[Case], *, registration_only: bool = False) -> Resource:
    """A person is held by their registering organisation and by the holders of their cases,
    and reachable through shares of their cases (for the share grants only).

    ``registration_only``: only the registration holds the person (editing the identity every
    case shares); the cases still cap the person. A person who is the subject of a case of a
    capped type (a child) is ``capped_by`` those cases: reached only by a membership that
    reaches one of them at its capped scope, whatever their other cases or registration."""
    return person_resource_of(person.created_by_id, person.organisation_id, person.organisation.country,
                              [(c.case_type, case_resource(c)) for c in cases],
                              registration_only=registration_only)


def person_resource_of(created_by_id: int | None, organisation_id: int, country: str,
                       case_resources: Iterable[tuple[str, Resource]], *,
                       registration_only: bool = False) -> Resource:
    """``person_resource`` from its parts: the registration (who, which organisation, its
    country) and each case's type and resource, however they were read (ORM objects, or the
    case page's plain rows: case_page_person.py) — one rule for both."""
    case_resources = list(case_resources)
    capped_types = get_policy().case_type_caps.keys()
    capped_by = tuple(r for case_type, r in case_resources if case_type in capped_types)
    owners = {created_by_id} if created_by_id else set()
    creators: set[int] = set()
    orgs = {organisation_id}
    countries = {country}
    shared_orgs: set[int] = set()
    shared_countries: set[str] = set()
    for _, r in () if registration_only else case_resources:
        owners |= r.owner_ids
        creators |= r.held_creator_ids
        orgs |= r.organisation_ids
        countries |= r.countries
        shared_orgs |= r.shared_organisation_ids
        shared_countries |= r.shared_countries
    return Resource(frozenset(owners), frozenset(orgs), frozenset(countries),
                    frozenset(shared_orgs), frozenset(shared_countries),
                    held_creator_ids=frozenset(creators), capped_by=capped_by)


# ---------------------------------------------------------------- the same rules, as SQL

def _nobody(principal: Principal, grant: Grant) -> ColumnElement[bool]:
    return false()


@dataclass(frozen=True)
class ScopeColumns:
    """How one kind of record answers each scope in SQL; ``scope_clause`` builds the filter.

    Mirrors the ``Resource`` view of that kind of record, so that the filter selects exactly the
    rows ``authorize`` allows one by one: the holder by organisation and by country, the owners
    (``own``), the shares (for ``Policy.share_grants`` only) and the case-type column the caps
    apply to. A kind without owners, shares or case types leaves those out."""

    held_by_organisation: Callable[[int], ColumnElement[bool]]
    held_in_country: Callable[[str], ColumnElement[bool]]
    owned_by: Callable[[Principal, Grant], ColumnElement[bool]] = _nobody
    shared_with_organisation: Callable[[int], ColumnElement[bool]] | None = None
    shared_in_country: Callable[[str], ColumnElement[bool]] | None = None
    case_type: ColumnElement[str] | None = None  # the column case_type_caps apply to


def _grant_clause(cols: ScopeColumns, scope: str, grant: Grant, principal: Principal,
                  via_share: bool) -> ColumnElement[bool]:
    """The rows ``scope`` held through ``grant`` reaches (the SQL twin of ``_covers``)."""
    if scope == "region":
        return true()
    if scope == "country":
        held = cols.held_in_country(grant.country)
        shared = cols.shared_in_country(grant.country) if via_share and cols.shared_in_country else None
    elif scope == "organisation":
        held = cols.held_by_organisation(grant.organisation_id)
        shared = (cols.shared_with_organisation(grant.organisation_id)
                  if via_share and cols.shared_with_organisation else None)
    else:
        return cols.owned_by(principal, grant)
    return held if shared is None else or_(held, shared)


def scope_clause(principal: Principal, action: str, cols: ScopeColumns) -> ColumnElement[bool]:
    """The one SQL filter for every kind of record: the rows ``authorize(principal, action, ...)``
    allows, uncapped case types at the role's scope, each capped type at its capped scope."""
    policy = get_policy()
    via_share = action in policy.share_grants
    capped = sorted(policy.case_type_caps) if cols.case_type is not None else []
    parts: list[ColumnElement[bool]] = []
    for g in principal.grants:
        scope = policy.scope_of(g.role, action)
        if scope is None:
            continue
        clause = _grant_clause(cols, scope, g, principal, via_share)
        if cols.case_type is None or not capped:
            parts.append(clause)
            continue
        parts.append(and_(cols.case_type.not_in(capped), clause))
        for case_type in capped:
            if (narrowed := policy.capped_scope(g.role, action, (case_type,))) is not None:
                parts.append(and_(cols.case_type == case_type,
                                  _grant_clause(cols, narrowed, g, principal, via_share)))
    return or_(*parts) if parts else false()


def organisations_in(country: str) -> Select[Any]:
    """The ids of the organisations of ``country`` (for records held through an organisation)."""
    return select(Organisation.id).where(Organisation.country == country)


def _shared_with_organisation(org: int) -> ColumnElement[bool]:
    # IN (uncorrelated subquery), not a correlated EXISTS: PostgreSQL hashes the shared case
    # ids once instead of probing case_share for every case of the region (the case list)
    return Case.id.in_(select(CaseShare.case_id).where(CaseShare.organisation_id == org))


def _shared_in_country(country: str) -> ColumnElement[bool]:
    return Case.id.in_(select(CaseShare.case_id).join(Organisation, Organisation.id == CaseShare.organisation_id)
                       .where(Organisation.country == country))


def _case_owned(principal: Principal, grant: Grant) -> ColumnElement[bool]:
    # the assigned officer; the creator while one of their organisations holds the case
    return or_(Case.officer_id == principal.user_id,
               and_(Case.created_by_id == principal.user_id,
                    Case.organisation_id.in_(sorted({m.organisation_id for m in principal.grants}))))


CASE_COLUMNS = ScopeColumns(
    held_by_organisation=lambda org: Case.organisation_id == org,
    held_in_country=lambda country: Case.country == country,
    owned_by=_case_owned,
    shared_with_organisation=_shared_with_organisation,
    shared_in_country=_shared_in_country,
    case_type=Case.case_type.expression,
)

# A person's registration (their cases are reached through CASE_COLUMNS).
PERSON_REGISTRATION_COLUMNS = ScopeColumns(
    held_by_organisation=lambda org: Person.organisation_id == org,
    held_in_country=lambda country: Person.organisation_id.in_(organisations_in(country)),
    owned_by=lambda principal, grant: Person.created_by_id == principal.user_id,
)


# The case and person filters of recent principals, built once each (issue 14, page latency): a
# filter is a pure function of the policy, the principal (user and memberships) and the action,
# and building one is a few hundred SQL constructs per page view. Keyed by the policy object too
# (held by the entry, so its id cannot be reused meanwhile): a changed policy builds afresh.
_CLAUSES_KEPT = 512
_clauses: OrderedDict[tuple[int, str, Principal, str], tuple[Policy, ColumnElement[bool]]] = OrderedDict()
_clauses_lock = threading.Lock()


def _kept_clause(kind: str, principal: Principal, action: str,
                 build: Callable[[Principal, str], ColumnElement[bool]]) -> ColumnElement[bool]:
    policy = get_policy()
    key = (id(policy), kind, principal, action)
    with _clauses_lock:
        hit = _clauses.get(key)
        if hit is not None and hit[0] is policy:
            _clauses.move_to_end(key)
            return hit[1]
    clause = build(principal, action)
    with _clauses_lock:
        _clauses[key] = (policy, clause)
        while len(_clauses) > _CLAUSES_KEPT:
            _clauses.popitem(last=False)
    return clause


def case_scope_clause(principal: Principal, action: str) -> ColumnElement[bool]:
    """SQL filter on Case equivalent to ``authorize(principal, action, case_resource(case))``."""
    return _kept_clause("case", principal, action, _build_case_scope)


def _build_case_scope(principal: Principal, action: str) -> ColumnElement[bool]:
    return scope_clause(principal, action, CASE_COLUMNS)


def person_scope_clause(principal: Principal, action: str) -> ColumnElement[bool]:
    """SQL filter on Person equivalent to ``authorize(principal, action, person_resource(...))``:
    reached through the registration or a case, and, for a person with cases of a capped type,
    through one of those cases at its capped scope as well."""
    return _kept_clause("person", principal, action, _build_person_scope)


def _build_person_scope(principal: Principal, action: str) -> ColumnElement[bool]:
    cases = case_scope_clause(principal, action)

    def a_case(*conds: ColumnElement[bool]) -> ColumnElement[bool]:
        # the person's own cases, also inside a query on cases (never the outer query's case)
        return exists(select(Case.id).where(Case.person_id == Person.id, *conds).correlate_except(Case))

    reach = or_(scope_clause(principal, action, PERSON_REGISTRATION_COLUMNS), a_case(cases))
    capped = sorted(get_policy().case_type_caps)
    if not capped:
        return reach
    is_capped = Case.case_type.in_(capped)
    return and_(reach, or_(~a_case(is_capped), a_case(is_capped, cases)))


def describe() -> list[dict[str, Any]]:
    """The matrix as rows (role, action, scope) for docs and the API."""
    policy = get_policy()
    return [
        {"role": r.name, "action": a, "scope": r.grants.get(a)}
        for r in policy.roles.values()
        for a in policy.actions
    ]
