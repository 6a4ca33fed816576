"""The full permission matrix: every role × action × relation of the record to the user.

The expectation is computed independently of ``authorize``: a relation needs a minimum scope
(own < organisation < country < region) and a role either holds that much or is denied.
"""

from __future__ import annotations

import pytest

from observatorio.cases.policy import (
    SCOPES,
    Grant,
    PolicyError,
    Principal,
    Resource,
    _load,
    authorize,
    get_policy,
    sensitive_case_fields,
)

ME, OTHER = 1, 2
MY_ORG, OTHER_ORG_SAME_COUNTRY, FOREIGN_ORG = 10, 11, 20
MY_COUNTRY, FOREIGN = "GTM", "HND"

# relation -> (resource, narrowest scope that covers it)
RELATIONS: dict[str, tuple[Resource, str]] = {
    "own": (Resource(frozenset({ME}), frozenset({MY_ORG}), frozenset({MY_COUNTRY})), "own"),
    "same_org": (Resource(frozenset({OTHER}), frozenset({MY_ORG}), frozenset({MY_COUNTRY})), "organisation"),
    "shared_with_my_org": (
        Resource(frozenset({OTHER}), frozenset({FOREIGN_ORG, MY_ORG}), frozenset({FOREIGN, MY_COUNTRY})),
        "organisation",
    ),
    "same_country_other_org": (
        Resource(frozenset({OTHER}), frozenset({OTHER_ORG_SAME_COUNTRY}), frozenset({MY_COUNTRY})), "country"
    ),
    "other_country": (Resource(frozenset({OTHER}), frozenset({FOREIGN_ORG}), frozenset({FOREIGN})), "region"),
}

POLICY = get_policy()
MATRIX = [
    (role, action, relation)
    for role in POLICY.roles
    for action in POLICY.actions
    for relation in RELATIONS
]


def rank(scope: str | None) -> int:
    return -1 if scope is None else SCOPES.index(scope)


@pytest.mark.parametrize(("role", "action", "relation"), MATRIX)
def test_matrix(role: str, action: str, relation: str) -> None:
    resource, needed = RELATIONS[relation]
    me = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, role),))
    granted = POLICY.roles[role].grants.get(action)
    expected = granted is not None and rank(granted) >= rank(needed)
    decision = authorize(me, action, resource)
    assert decision.allowed is expected
    if expected:
        visible_groups = POLICY.roles[role].field_groups
        expected_hidden = set().union(*(f for g, f in POLICY.field_groups.items() if g not in visible_groups))
        assert set(decision.hidden_fields) == expected_hidden
        assert decision.acting is not None and decision.acting.role == role
    else:
        assert decision.field_groups == frozenset()


def test_no_memberships_means_no_access() -> None:
    nobody = Principal(ME, "nobody", ())
    for action in POLICY.actions:
        for resource, _ in RELATIONS.values():
            assert not authorize(nobody, action, resource).allowed


@pytest.mark.parametrize("action", [a for a in POLICY.actions if a.split(".")[0] in ("case", "person")])
def test_personal_data_never_granted_region_wide(action: str) -> None:
    """Region scope is for oversight roles only, which see no personal data."""
    for role in POLICY.roles.values():
        assert role.grants.get(action) != "region", (role.name, action)


@pytest.mark.parametrize("role", ["consular_officer", "consular_head"])
def test_consulates_never_reach_another_country(role: str) -> None:
    me = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, role),))
    resource, _ = RELATIONS["other_country"]
    for action in POLICY.actions:
        assert not authorize(me, action, resource).allowed
    # …unless the case is explicitly shared with their organisation.
    shared, _ = RELATIONS["shared_with_my_org"]
    assert authorize(me, "case.read", shared).allowed


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_oversight_roles_read_no_personal_data(role: str) -> None:
    me = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, role),))
    for resource, _ in RELATIONS.values():
        assert not authorize(me, "case.read", resource).allowed
        assert not authorize(me, "person.read", resource).allowed


@pytest.mark.parametrize(
    ("role", "groups"),
    [
        ("consular_officer", {"health"}),
        ("consular_head", {"health", "trafficking", "child_protection"}),
        ("protection_officer", {"health", "child_protection"}),
        ("reception_officer", set()),
        ("caseworker", set()),
        ("national_supervisor", {"health", "trafficking", "child_protection"}),
    ],
)
def test_sensitive_groups_per_role(role: str, groups: set[str]) -> None:
    """Hand-written expectations: changing who sees health/trafficking/child data is deliberate."""
    me = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, role),))
    d = authorize(me, "case.read", RELATIONS["same_org"][0] if role != "caseworker" else RELATIONS["own"][0])
    assert d.allowed
    assert set(d.field_groups) == groups
    visible = sensitive_case_fields() - d.hidden_fields
    assert visible == set().union(*(POLICY.field_groups[g] for g in groups))


def test_memberships_combine() -> None:
    """A user with two roles gets the union: the wider scope and both field groups."""
    both = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, "reception_officer"),
                                Grant(OTHER_ORG_SAME_COUNTRY, MY_COUNTRY, "protection_officer")))
    res = Resource(frozenset({OTHER}), frozenset({OTHER_ORG_SAME_COUNTRY}), frozenset({MY_COUNTRY}))
    d = authorize(both, "case.read", res)
    assert d.allowed and "child_protection" in d.field_groups


def test_undeclared_action_is_an_error() -> None:
    me = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, "consular_head"),))
    with pytest.raises(PolicyError):
        authorize(me, "case.raed", RELATIONS["own"][0])


@pytest.mark.parametrize(
    "broken",
    [
        "roles: {r: {label: {es: x, en: x}, grants: {case.fly: own}}}",
        "roles: {r: {label: {es: x, en: x}, grants: {case.read: planet}}}",
        "roles: {r: {label: {es: x, en: x}, field_groups: [secrets], grants: {}}}",
    ],
)
def test_policy_file_is_validated(broken: str) -> None:
    head = ("scopes: [own, organisation, country, region]\n"
            "actions: {case.read: {es: a, en: a}}\n"
            "field_groups: {health: {label: {es: s, en: h}, case_fields: [health_details]}}\n")
    with pytest.raises(PolicyError):
        _load(head + broken)
