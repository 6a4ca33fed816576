"""Permissions against a real database (SQLite and PostgreSQL): the SQL filters used by lists,
searches and exports select exactly the records the single-record check allows, and the
HTTP API denies across countries and organisations and hides sensitive fields."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from observatorio.cases import case_records
from observatorio.cases.auth import principal_of
from observatorio.cases.models import Case, Person
from observatorio.cases.policy import (
    authorize,
    case_resource,
    case_scope_clause,
    get_policy,
    person_resource,
    person_scope_clause,
)

from .conftest import USERS, ctx_for, login

CASE_ACTIONS = [a for a in get_policy().actions if a.startswith("case.")]
PERSON_ACTIONS = [a for a in get_policy().actions if a.startswith("person.")]


def test_sql_filters_match_single_record_checks(rt, seeded) -> None:
    with rt.sessions() as s:
        cases = s.scalars(select(Case)).unique().all()
        people = s.scalars(select(Person)).all()
        for username in USERS:
            p = principal_of(s, seeded.world.users[username])
            for action in CASE_ACTIONS:
                by_sql = set(s.scalars(select(Case.id).where(case_scope_clause(p, action))))
                by_check = {c.id for c in cases if authorize(p, action, case_resource(c)).allowed}
                assert by_sql == by_check, (username, action)
            for action in PERSON_ACTIONS:
                by_sql = set(s.scalars(select(Person.id).where(person_scope_clause(p, action))))
                by_check = {
                    x.id for x in people
                    if authorize(p, action, person_resource(x, [c for c in cases if c.person_id == x.id])).allowed
                }
                assert by_sql == by_check, (username, action)


# user -> the seeded cases they must see in a list (and nothing else)
VISIBLE = {
    "gtm_officer": {"gtm_mex", "gtm_mex_own", "hnd_shared"},
    "gtm_head": {"gtm_mex", "gtm_mex_own", "hnd_shared"},
    "gtm_usa_officer": {"gtm_usa"},
    "gtm_supervisor": {"gtm_mex", "gtm_mex_own", "gtm_usa", "gtm_child", "hnd_shared"},
    "gtm_protection": {"gtm_child"},
    "hnd_officer": {"hnd_mex", "hnd_shared"},
    "hnd_supervisor": {"hnd_mex", "hnd_shared", "hnd_reception"},
    "hnd_reception": {"hnd_reception"},
    "mex_caseworker": {"mex_ngo"},
    "mex_caseworker2": set(),
    "auditor": set(),
    "admin": set(),
}


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_case_list_per_user(rt, seeded, username) -> None:
    with rt.sessions() as s:
        page = case_records.list_cases(ctx_for(s, seeded.world, username), limit=200)
    got = {k for k, v in seeded.cases.items() if v in {c.id for c in page.items}}
    assert got == VISIBLE[username]
    assert page.total == len(VISIBLE[username])


def test_http_cross_country_and_cross_org(client, seeded) -> None:
    c = seeded.cases
    gtm = login(client, "gtm_officer")
    assert client.get(f"/api/v1/cases/{c['gtm_mex']}", headers=gtm).status_code == 200
    # another country's case: reported as missing, so its existence does not leak
    r = client.get(f"/api/v1/cases/{c['hnd_mex']}", headers=gtm)
    assert r.status_code == 404 and set(r.json()["detail"]) >= {"es", "en"}
    # same country, other consulate
    assert client.get(f"/api/v1/cases/{c['gtm_usa']}", headers=gtm).status_code == 404
    # explicitly shared with my consulate
    assert client.get(f"/api/v1/cases/{c['hnd_shared']}", headers=gtm).status_code == 200
    # person of another country's case
    assert client.get(f"/api/v1/people/{seeded.people['hnd_mex']}", headers=gtm).status_code == 404
    # a consular officer may read but not edit a colleague's case (own scope for update)
    r = client.patch(f"/api/v1/cases/{c['gtm_mex']}", json={"version": 1, "summary": "x"}, headers=gtm)
    assert r.status_code == 403
    sup = login(client, "hnd_supervisor")
    assert client.get(f"/api/v1/cases/{c['gtm_usa']}", headers=sup).status_code == 404
    assert client.get(f"/api/v1/cases/{c['hnd_reception']}", headers=sup).status_code == 200
    aud = login(client, "auditor")
    assert client.get(f"/api/v1/cases/{c['gtm_mex']}", headers=aud).status_code == 404
    assert client.get("/api/v1/cases", headers=aud).json()["items"] == []
    cw2 = login(client, "mex_caseworker2")
    assert client.get(f"/api/v1/cases/{c['mex_ngo']}", headers=cw2).status_code == 404


@pytest.mark.parametrize(
    ("username", "case_key", "visible"),
    [
        ("gtm_officer", "gtm_mex", {"health_details"}),
        ("gtm_head", "gtm_mex", {"health_details", "trafficking_details", "child_protection_details"}),
        ("gtm_supervisor", "gtm_mex", {"health_details", "trafficking_details", "child_protection_details"}),
        ("hnd_officer", "hnd_mex", {"health_details"}),
        ("gtm_officer", "hnd_shared", {"health_details"}),
        ("gtm_protection", "gtm_child", {"health_details", "child_protection_details"}),
    ],
)
def test_sensitive_fields_hidden(client, seeded, username, case_key, visible) -> None:
    h = login(client, username)
    body = client.get(f"/api/v1/cases/{seeded.cases[case_key]}", headers=h).json()
    sensitive = {"health_details", "trafficking_details", "child_protection_details"}
    assert set(body["hidden_fields"]) == sensitive - visible
    for f in sensitive - visible:
        assert body[f] is None
    # the same whitelist applies to lists
    listed = client.get("/api/v1/cases", headers=h).json()["items"]
    row = next(i for i in listed if i["id"] == seeded.cases[case_key])
    assert {f for f in sensitive if row[f] is not None} <= visible


def test_writing_sensitive_field_without_grant_is_forbidden(client, seeded) -> None:
    h = login(client, "gtm_officer")
    own = seeded.cases["gtm_mex_own"]
    r = client.patch(f"/api/v1/cases/{own}", json={"version": 1, "trafficking_details": "x"}, headers=h)
    assert r.status_code == 403
    r = client.post(f"/api/v1/cases/{own}/notes", json={"body": "x", "sensitivity": "trafficking"}, headers=h)
    assert r.status_code == 403
    assert client.patch(f"/api/v1/cases/{own}", json={"version": 1, "health_details": "ok"},
                        headers=h).status_code == 200


def test_sensitive_notes_hidden(client, seeded) -> None:
    head = login(client, "gtm_head")
    case = seeded.cases["gtm_mex"]
    assert client.post(f"/api/v1/cases/{case}/notes", json={"body": "víctima de trata",
                                                            "sensitivity": "trafficking"}, headers=head).status_code == 201
    assert client.post(f"/api/v1/cases/{case}/notes", json={"body": "visita consular"}, headers=head).status_code == 201
    officer = login(client, "gtm_officer")
    notes = client.get(f"/api/v1/cases/{case}/notes", headers=officer).json()
    assert [n["body"] for n in notes] == [None, "visita consular"]
    assert notes[0]["hidden"] is True
    notes = client.get(f"/api/v1/cases/{case}/notes", headers=head).json()
    assert notes[0]["body"] == "víctima de trata"


def test_share_requires_grant_and_enables_access(client, seeded) -> None:
    officer = login(client, "hnd_officer")
    case = seeded.cases["hnd_mex"]
    gtm_org = seeded.world.orgs["gtm_consulate_mex"]
    assert client.post(f"/api/v1/cases/{case}/shares", json={"organisation_id": gtm_org},
                       headers=officer).status_code == 403
    gtm = login(client, "gtm_officer")
    assert client.get(f"/api/v1/cases/{case}", headers=gtm).status_code == 404
    head = login(client, "hnd_head")
    r = client.post(f"/api/v1/cases/{case}/shares", json={"organisation_id": gtm_org}, headers=head)
    assert r.status_code == 200 and gtm_org in r.json()["shared_with"]
    assert client.get(f"/api/v1/cases/{case}", headers=gtm).status_code == 200
