"""The full permission matrix: every role × action × relation of the record to the user.

The expectation is written here by hand, from the documented intent (the permission matrix and
the sensitive field groups in docs/cases.md), not read from ``policy.yaml``: a change to any
grant or field group in the policy file fails this test until the table below is changed on
purpose. ``test_every_single_policy_change_is_caught`` proves it by mutating each grant and
each field group in turn and running the same comparison against the mutated policy.

A relation needs a minimum scope (own < organisation < country < region); a role holding at
least that scope for the action is allowed, otherwise denied.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from observatorio.cases import policy as policy_module
from observatorio.cases.policy import (
    SCOPES,
    Grant,
    Policy,
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

# The permission matrix of docs/cases.md, typed by hand ("—" = denied, "org" = organisation).
ROLES = ("consular_officer", "consular_head", "protection_officer", "reception_officer",
         "caseworker", "national_supervisor", "auditor", "admin", "publisher", "provider",
         "reviewer", "editor")
EXPECTED_TABLE = """
case.read           org  org  org  org  own  country  —       —       —       —    —       —
case.create         org  org  org  org  org  —        —       —       —       —    —       —
case.update         own  org  own  own  own  —        —       —       —       —    —       —
case.transition     own  org  own  own  own  country  —       —       —       —    —       —
case.assign         —    org  —    —    —    country  —       —       —       —    —       —
case.share          —    org  —    —    —    country  —       —       —       —    —       —
case.note           own  org  own  own  own  country  —       —       —       —    —       —
case.task           own  org  own  own  own  —        —       —       —       —    —       —
case.step           own  org  own  own  own  —        —       —       —       —    —       —
case.service        own  org  own  own  own  —        —       —       —       —    —       —
person.read         org  org  org  org  own  country  —       —       —       —    —       —
person.create       org  org  org  org  org  —        —       —       —       —    —       —
person.update       org  org  org  —    —    —        —       —       —       —    —       —
person.export       —    org  —    —    —    country  —       —       —       —    —       —
person.erase        —    org  —    —    —    country  —       —       —       —    —       —
audit.read          —    org  —    —    —    country  region  —       —       —    —       —
audit.verify        —    —    —    —    —    —        region  region  —       —    —       —
user.manage         —    —    —    —    —    —        —       region  —       —    —       —
retention.run       —    —    —    —    —    —        —       region  —       —    —       —
statistics.publish  —    —    —    —    —    —        —       —       region  —    —       —
publication.revise  —    —    —    —    —    —        —       —       —       —    region  —
submission.create   —    —    —    —    —    —        —       —       —       org  —       —
submission.read     —    —    —    —    —    —        —       —       —       org  region  —
submission.review   —    —    —    —    —    —        —       —       —       —    region  —
reception.arrival   —    —    —    org  —    —        —       —       —  —    —       —
reception.read      —    —    —    org  —    country  —       —       —  —    —       —
reception.intake    —    —    —    org  —    —        —       —       —  —    —       —
case.refer          own  org  own  own  own  country  —       —       —  —    —       —
referral.respond    org  org  org  org  org  —        —       —       —  —    —       —
referral.override_consent  —    org  own  —    —    country  —       —       —  —    —       —
referral.withdraw_consent  own  org  own  own  own  country  —       —       —  —    —       —
referral.mandate    —    —    —    own  —    —        —       —       —  —    —       —
case.reintegration  —    org  own  own  own  —        —       —       —  —    —       —
directory.edit      —    —    —    —    —    —        —       —       —  —    —       region
practice.submit     —    org  —    —    —    country  —       —       —  —    —       region
practice.moderate   —    —    —    —    —    —        —       —       —  —    —       region
"""
_SCOPE_WORDS = {"own": "own", "org": "organisation", "country": "country", "region": "region", "—": None}
EXPECTED_SCOPE: dict[tuple[str, str], str | None] = {
    (role, row.split()[0]): _SCOPE_WORDS[cell]
    for row in EXPECTED_TABLE.strip().splitlines()
    for role, cell in zip(ROLES, row.split()[1:], strict=True)
}
ACTIONS = tuple(dict.fromkeys(action for _, action in EXPECTED_SCOPE))

# Sensitive field groups per role (docs/cases.md), and the case fields each group holds.
EXPECTED_GROUPS: dict[str, frozenset[str]] = {
    "consular_officer": frozenset({"health"}),
    "consular_head": frozenset({"health", "trafficking", "child_protection"}),
    "protection_officer": frozenset({"health", "child_protection"}),
    "reception_officer": frozenset(),
    "caseworker": frozenset(),
    "national_supervisor": frozenset({"health", "trafficking", "child_protection"}),
    "auditor": frozenset(),
    "admin": frozenset(),
    "publisher": frozenset(),
    "provider": frozenset(),
    "reviewer": frozenset(),
    "editor": frozenset(),
}
GROUP_FIELDS = {
    "health": "health_details",
    "trafficking": "trafficking_details",
    "child_protection": "child_protection_details",
}
EXPECTED_HIDDEN: dict[str, frozenset[str]] = {
    role: frozenset(f for g, f in GROUP_FIELDS.items() if g not in groups)
    for role, groups in EXPECTED_GROUPS.items()
}

MATRIX = [(role, action, relation) for role in ROLES for action in ACTIONS for relation in RELATIONS]


def rank(scope: str | None) -> int:
    return -1 if scope is None else SCOPES.index(scope)


def cell_mismatch(role: str, action: str, relation: str) -> str | None:
    """What ``authorize`` gets wrong for one cell against the hand-written table, or None."""
    resource, needed = RELATIONS[relation]
    me = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, role),))
    expected = rank(EXPECTED_SCOPE[role, action]) >= rank(needed)
    decision = authorize(me, action, resource)
    if decision.allowed is not expected:
        return f"{role} {action} on {relation}: allowed={decision.allowed}, expected {expected}"
    if expected:
        if decision.hidden_fields != EXPECTED_HIDDEN[role]:
            return f"{role} {action}: hidden {sorted(decision.hidden_fields)}"
        if decision.field_groups != EXPECTED_GROUPS[role]:
            return f"{role} {action}: groups {sorted(decision.field_groups)}"
        if decision.acting is None or decision.acting.role != role:
            return f"{role} {action}: acting membership {decision.acting}"
    elif decision.field_groups != frozenset():
        return f"{role} {action}: denied but grants field groups"
    return None


def test_policy_declares_exactly_the_documented_roles_and_actions() -> None:
    policy = get_policy()
    assert tuple(policy.roles) == ROLES
    assert set(policy.actions) == set(ACTIONS)
    assert len(MATRIX) == 12 * 36 * 5
    assert all(role.field_groups == frozenset() for role in policy.roles.values() if not role.grants)
    assert {f for fields in policy.field_groups.values() for f in fields} == set(GROUP_FIELDS.values())


@pytest.mark.parametrize(("role", "action", "relation"), MATRIX)
def test_matrix(role: str, action: str, relation: str) -> None:
    assert cell_mismatch(role, action, relation) is None


def _with_role(policy: Policy, role: str, **changes: object) -> Policy:
    roles = dict(policy.roles)
    roles[role] = dataclasses.replace(roles[role], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(policy, roles=roles)


def _mutations(policy: Policy) -> Iterator[tuple[str, str, Policy]]:
    """Every single change of one grant (each other scope, removed, or added) or one field
    group, as (role, label, mutated policy)."""
    for role in ROLES:
        spec = policy.roles[role]
        for action in ACTIONS:
            current = spec.grants.get(action)
            for other in [*SCOPES, None]:
                if other == current:
                    continue
                grants = {a: s for a, s in spec.grants.items() if a != action}
                if other is not None:
                    grants[action] = other
                yield role, f"{role}.{action}: {current} -> {other}", _with_role(policy, role, grants=grants)
        # A role granted nothing (editor, until the directory brings its actions) reaches no
        # record, so its field groups cannot show; test_policy_declares_… keeps them empty.
        for group in GROUP_FIELDS if spec.grants else ():
            groups = spec.field_groups ^ {group}
            yield role, f"{role} field group {group} toggled", _with_role(policy, role, field_groups=groups)


def test_every_single_policy_change_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutation check of this file: any one changed grant or field group fails some matrix cell."""
    uncaught = []
    count = 0
    for role, label, changed in _mutations(get_policy()):
        count += 1
        monkeypatch.setattr(policy_module, "get_policy", lambda changed=changed: changed)
        # The whole matrix is searched; the mutated role's cells first only to stop early.
        cells = sorted(MATRIX, key=lambda cell, role=role: cell[0] != role)
        if not any(cell_mismatch(*cell) for cell in cells):
            uncaught.append(label)
    # 12 roles × 36 actions × 4 alternatives + 12 roles × 3 groups
    assert count == 12 * 36 * 4 + 12 * 3
    assert uncaught == []


def test_a_share_grants_reading_only() -> None:
    """docs/cases.md: an organisation a case is shared with may read it and its person, nothing
    else (no edit, re-share, transfer, export or erasure)."""
    assert set(get_policy().share_grants) == {"case.read", "person.read"}


def test_no_memberships_means_no_access() -> None:
    nobody = Principal(ME, "nobody", ())
    for action in ACTIONS:
        for resource, _ in RELATIONS.values():
            assert not authorize(nobody, action, resource).allowed


@pytest.mark.parametrize("action", [a for a in ACTIONS if a.split(".")[0] in ("case", "person")])
def test_personal_data_never_granted_region_wide(action: str) -> None:
    """Region scope is for oversight roles only, which see no personal data."""
    for role in get_policy().roles.values():
        assert role.grants.get(action) != "region", (role.name, action)


@pytest.mark.parametrize("role", ["consular_officer", "consular_head"])
def test_consulates_never_reach_another_country(role: str) -> None:
    me = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, role),))
    resource, _ = RELATIONS["other_country"]
    for action in ACTIONS:
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
    assert visible == {GROUP_FIELDS[g] for g in groups}


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


@pytest.mark.parametrize(
    "actions",
    [
        # an unquoted comma ends the text in a YAML flow mapping: {es: Ver, aceptar: null, …}
        "actions: {case.read: {es: Ver, aceptar y cerrar, en: See, accept and close}}",
        "actions: {case.read: {es: a}}",
        "actions: {case.read: {es: '', en: a}}",
    ],
)
def test_every_label_is_one_text_in_each_language(actions: str) -> None:
    policy = ("scopes: [own, organisation, country, region]\n" + actions + "\n"
              "field_groups: {}\nroles: {r: {label: {es: x, en: x}, grants: {case.read: own}}}\n")
    with pytest.raises(PolicyError, match="actions.case.read"):
        _load(policy)


def test_the_bundled_action_labels_are_whole() -> None:
    # three were cut at their first comma and served so by /api/v1/cases/policy
    labels = get_policy().actions
    assert labels["referral.respond"] == {
        "es": "Ver, aceptar, rechazar y completar las remisiones recibidas",
        "en": "See, accept, decline and complete incoming referrals"}
    assert all(set(label) == {"es", "en"} for label in labels.values())


# A child's record (policy.yaml case_type_caps, docs/cases.md): the widest scope each role reaches
# an unaccompanied child's case with, whatever its grants; None = never.
EXPECTED_CHILD_CAP: dict[str, str | None] = {
    "consular_officer": "own", "consular_head": "organisation", "protection_officer": "organisation",
    "reception_officer": "own", "caseworker": None, "national_supervisor": "country",
    "auditor": None, "admin": None, "publisher": None, "provider": None, "reviewer": None,
    "editor": None,
}
CASE_ACTIONS = tuple(a for a in ACTIONS if a.startswith("case."))
CHILD_MATRIX = [(r, a, rel) for r in ROLES for a in CASE_ACTIONS for rel in RELATIONS]


def child_cell_mismatch(role: str, action: str, relation: str, person: bool = False) -> str | None:
    """The child's case held as ``relation`` says (``person``: the child's person record, held
    the same way and capped by that case)."""
    resource, needed = RELATIONS[relation]
    child = dataclasses.replace(resource, case_types=frozenset({"unaccompanied_child"}))
    record = dataclasses.replace(resource, capped_by=(child,)) if person else child
    me = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, role),))
    granted, cap = EXPECTED_SCOPE[role, action], EXPECTED_CHILD_CAP[role]
    expected = min(rank(granted), rank(cap)) >= rank(needed)
    allowed = authorize(me, action, record).allowed
    if allowed is not expected:
        what = "person record" if person else "case"
        return f"{role} {action} on a child's {what} ({relation}): allowed={allowed}, expected {expected}"
    return None


def test_child_cases_capped_for_every_role_action_and_relation() -> None:
    assert len(CHILD_MATRIX) == 12 * 12 * 5  # 12 roles × 12 case actions × 5 relations
    assert [cell for cell in CHILD_MATRIX if child_cell_mismatch(*cell)] == []
    assert set(get_policy().case_type_caps) == {"unaccompanied_child"}


def test_every_child_cap_change_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each role's cap changed to each other scope (or removed) fails some cell, unless the change
    cannot matter (a cap widened beyond every case grant the role holds)."""
    policy = get_policy()
    uncaught, count = [], 0
    for role in ROLES:
        current = policy.case_type_caps["unaccompanied_child"].get(role)
        for other in [*SCOPES, None]:
            if other == current:
                continue
            count += 1
            caps = {r: s for r, s in policy.case_type_caps["unaccompanied_child"].items() if r != role}
            if other is not None:
                caps[role] = other
            changed = dataclasses.replace(policy, case_type_caps={"unaccompanied_child": caps})
            inert = all(changed.capped_scope(role, a, ["unaccompanied_child"])
                        == policy.capped_scope(role, a, ["unaccompanied_child"]) for a in CASE_ACTIONS)
            monkeypatch.setattr(policy_module, "get_policy", lambda changed=changed: changed)
            if not inert and not any(child_cell_mismatch(*cell) for cell in CHILD_MATRIX):
                uncaught.append(f"{role}: {current} -> {other}")
    assert count == 12 * 4
    assert uncaught == []


def test_other_case_types_are_not_capped() -> None:
    """A caseworker reaches its own detention case but never a child's case, even its own."""
    me = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, "caseworker"),))
    own, _ = RELATIONS["own"]
    assert authorize(me, "case.read", dataclasses.replace(own, case_types=frozenset({"detention"}))).allowed
    assert not authorize(me, "case.read",
                         dataclasses.replace(own, case_types=frozenset({"unaccompanied_child"}))).allowed


@pytest.mark.parametrize(
    "broken",
    [
        "case_type_caps: {pet_case: {consular_head: own}}",
        "case_type_caps: {unaccompanied_child: {nobody: own}}",
        "case_type_caps: {unaccompanied_child: {r: planet}}",
    ],
)
def test_case_type_caps_are_validated(broken: str) -> None:
    head = ("scopes: [own, organisation, country, region]\n"
            "actions: {case.read: {es: a, en: a}}\n"
            "field_groups: {health: {label: {es: s, en: h}, case_fields: [health_details]}}\n"
            "roles: {r: {label: {es: x, en: x}, grants: {case.read: own}}}\n")
    with pytest.raises(PolicyError):
        _load(head + broken)


# A child's person record (docs/cases.md, "A child's person record"): a person with a case of a
# capped type is reached only by a membership that also reaches one of those cases at the capped
# scope; the registration and the person's other cases never reach them on their own.
PERSON_ACTIONS = ("person.read", "person.update", "person.export", "person.erase")
CHILD_PERSON_MATRIX = [(r, a, rel) for r in ROLES for a in PERSON_ACTIONS for rel in RELATIONS]


def test_child_person_records_capped_for_every_role_action_and_relation() -> None:
    assert len(CHILD_PERSON_MATRIX) == 12 * 4 * 5  # 12 roles × 4 person actions × 5 relations
    assert [cell for cell in CHILD_PERSON_MATRIX if child_cell_mismatch(*cell, person=True)] == []


# The person registered (and owned) here, or with an adult's case held here, while the child's
# case is held in another country: nobody here reaches the child's person record.
CHILD_ELSEWHERE = dataclasses.replace(RELATIONS["other_country"][0], case_types=frozenset({"unaccompanied_child"}))
REACHED_HERE_ONLY_OTHERWISE = {
    "registered_here": RELATIONS["own"][0],
    "adult_case_here": dataclasses.replace(RELATIONS["own"][0], case_types=frozenset({"detention"})),
}


@pytest.mark.parametrize("how", sorted(REACHED_HERE_ONLY_OTHERWISE))
@pytest.mark.parametrize("role", ROLES)
def test_a_child_is_not_reached_through_the_registration_or_an_adult_case(role: str, how: str) -> None:
    me = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, role),))
    uncapped = REACHED_HERE_ONLY_OTHERWISE[how]
    child = dataclasses.replace(uncapped, capped_by=(CHILD_ELSEWHERE,))
    for action in PERSON_ACTIONS:
        assert not authorize(me, action, child).allowed, (role, action)
    # without the child's case the same record is reached as the grants say (own relation)
    for action in PERSON_ACTIONS:
        assert authorize(me, action, uncapped).allowed is (EXPECTED_SCOPE[role, action] is not None)


def test_a_child_is_reached_through_any_one_of_their_capped_cases() -> None:
    """The head of a consulate holding one of the child's cases reaches the child, even when
    another of the child's cases is held elsewhere."""
    me = Principal(ME, "me", (Grant(MY_ORG, MY_COUNTRY, "consular_head"),))
    here = dataclasses.replace(RELATIONS["same_org"][0], case_types=frozenset({"unaccompanied_child"}))
    person = dataclasses.replace(RELATIONS["same_org"][0], capped_by=(CHILD_ELSEWHERE, here))
    assert authorize(me, "person.read", person).allowed
