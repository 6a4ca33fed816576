"""Audit: every route touching personal data appends entries; the chain detects tampering."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from observatorio.cases import audit
from observatorio.cases.api import router
from observatorio.cases.models import AuditEntry

from .conftest import USERS, login

Recipe = Callable[[Any, Any, dict[str, str]], Any]


def _ids(seeded: Any) -> tuple[int, int]:
    return seeded.cases["gtm_mex"], seeded.people["gtm_mex"]


# (method, path) -> request that exercises it as gtm_head (who may do everything on gtm_mex)
RECIPES: dict[tuple[str, str], Recipe] = {
    ("POST", "/api/v1/people"): lambda c, s, h: c.post("/api/v1/people", json={"given_names": "Rosa"}, headers=h),
    ("GET", "/api/v1/people"): lambda c, s, h: c.get("/api/v1/people", params={"q": "persona"}, headers=h),
    ("GET", "/api/v1/people/{person_id}"): lambda c, s, h: c.get(f"/api/v1/people/{_ids(s)[1]}", headers=h),
    ("PATCH", "/api/v1/people/{person_id}"): lambda c, s, h: c.patch(
        f"/api/v1/people/{_ids(s)[1]}", json={"version": 1, "sex": "female"}, headers=h),
    ("POST", "/api/v1/people/{person_id}/family-links"): lambda c, s, h: c.post(
        f"/api/v1/people/{_ids(s)[1]}/family-links",
        json={"relative_id": s.people["gtm_mex_own"], "kind": "sibling"}, headers=h),
    ("GET", "/api/v1/people/{person_id}/export"): lambda c, s, h: c.get(
        f"/api/v1/people/{_ids(s)[1]}/export", headers=h),
    ("POST", "/api/v1/people/{person_id}/erase"): lambda c, s, h: c.post(
        f"/api/v1/people/{s.people['gtm_mex_own']}/erase", headers=h),
    ("POST", "/api/v1/cases"): lambda c, s, h: c.post(
        "/api/v1/cases", json={"case_type": "labour_rights", "person_id": _ids(s)[1]}, headers=h),
    ("GET", "/api/v1/cases"): lambda c, s, h: c.get("/api/v1/cases", headers=h),
    ("GET", "/api/v1/cases/{case_id}"): lambda c, s, h: c.get(f"/api/v1/cases/{_ids(s)[0]}", headers=h),
    ("PATCH", "/api/v1/cases/{case_id}"): lambda c, s, h: c.patch(
        f"/api/v1/cases/{_ids(s)[0]}", json={"version": 1, "risk_level": "high"}, headers=h),
    ("POST", "/api/v1/cases/{case_id}/transition"): lambda c, s, h: c.post(
        f"/api/v1/cases/{_ids(s)[0]}/transition", json={"version": 1, "to": "assessment"}, headers=h),
    ("POST", "/api/v1/cases/{case_id}/assign"): lambda c, s, h: c.post(
        f"/api/v1/cases/{_ids(s)[0]}/assign",
        json={"version": 1, "officer_id": s.world.users["gtm_officer2"]}, headers=h),
    ("POST", "/api/v1/cases/{case_id}/shares"): lambda c, s, h: c.post(
        f"/api/v1/cases/{_ids(s)[0]}/shares", json={"organisation_id": s.world.orgs["gtm_child"]}, headers=h),
    ("GET", "/api/v1/cases/{case_id}/notes"): lambda c, s, h: c.get(f"/api/v1/cases/{_ids(s)[0]}/notes", headers=h),
    ("POST", "/api/v1/cases/{case_id}/notes"): lambda c, s, h: c.post(
        f"/api/v1/cases/{_ids(s)[0]}/notes", json={"body": "llamada a la familia"}, headers=h),
    ("GET", "/api/v1/cases/{case_id}/tasks"): lambda c, s, h: c.get(f"/api/v1/cases/{_ids(s)[0]}/tasks", headers=h),
    ("POST", "/api/v1/cases/{case_id}/tasks"): lambda c, s, h: c.post(
        f"/api/v1/cases/{_ids(s)[0]}/tasks", json={"title": "Visita", "due_date": "2030-01-01"}, headers=h),
    ("PATCH", "/api/v1/cases/{case_id}/tasks/{task_id}"): lambda c, s, h: c.patch(
        f"/api/v1/cases/{_ids(s)[0]}/tasks/"
        f"{c.post(f'/api/v1/cases/{_ids(s)[0]}/tasks', json={'title': 't'}, headers=h).json()['id']}",
        json={"done": True}, headers=h),
    ("GET", "/api/v1/cases/{case_id}/services"): lambda c, s, h: c.get(
        f"/api/v1/cases/{_ids(s)[0]}/services", headers=h),
    ("POST", "/api/v1/cases/{case_id}/services"): lambda c, s, h: c.post(
        f"/api/v1/cases/{_ids(s)[0]}/services", json={"service_type": "legal"}, headers=h),
}


def _personal_routes() -> list[tuple[str, str]]:
    out = []
    for r in router.routes:
        assert isinstance(r, APIRoute)
        extra = r.openapi_extra or {}
        assert "x-personal-data" in extra, f"route {r.path} must declare x-personal-data"
        if extra["x-personal-data"]:
            out.extend((m, r.path) for m in sorted(r.methods))
    return out


def test_every_personal_route_has_a_recipe() -> None:
    """Adding a route that touches personal data without an audit test fails here."""
    assert set(_personal_routes()) == set(RECIPES)


@pytest.mark.parametrize("route", sorted(RECIPES))
def test_route_is_audited(client, rt, seeded, route) -> None:
    h = login(client, "gtm_head")
    with rt.sessions() as s:
        before = s.scalar(select(func.max(AuditEntry.id))) or 0
    r = RECIPES[route](client, seeded, h)
    assert r.status_code < 300, r.text
    with rt.sessions() as s:
        new = s.scalars(select(AuditEntry).where(AuditEntry.id > before)).all()
        assert new, f"{route} left no audit entry"
        assert all(e.actor == "gtm_head" and e.source_ip for e in new)
        assert all(e.organisation_id == seeded.world.orgs["gtm_consulate_mex"] for e in new)
        assert all(e.record_id for e in new)
        assert all(e.outcome == "granted" for e in new)
        assert audit.verify(s).ok


@dataclass(frozen=True)
class Denial:
    """A refused request and the single "denied" entry it must leave."""

    user: str
    call: Recipe  # (client, seeded, headers) -> response
    status: int
    action: str
    record_type: str
    record: Callable[[Any], object] | None  # seeded -> the record id logged (None: no record)
    fields: tuple[str, ...] = ()


def _case(key: str) -> Callable[[Any], int]:
    return lambda s: s.cases[key]


def _person(key: str) -> Callable[[Any], int]:
    return lambda s: s.people[key]


def _org(key: str) -> Callable[[Any], int]:
    return lambda s: s.world.orgs[key]


# Every personal-data route (and the audit routes) × a refusal the permission matrix implies:
# 404 for a record out of the user's reach, 403 for a readable record and a disallowed action,
# 403 for a sensitive field the role lacks, an empty 200 for a list the role may not read.
DENIALS: dict[tuple[str, str], list[Denial]] = {
    ("POST", "/api/v1/people"): [
        Denial("gtm_officer", lambda c, s, h: c.post("/api/v1/people", json={
            "given_names": "Rosa", "organisation_id": s.world.orgs["hnd_consulate_mex"]}, headers=h),
            403, "person.create", "organisation", _org("hnd_consulate_mex")),
        Denial("auditor", lambda c, s, h: c.post("/api/v1/people", json={"given_names": "Rosa"}, headers=h),
               403, "person.create", "organisation", None),
    ],
    ("GET", "/api/v1/people"): [
        Denial("auditor", lambda c, s, h: c.get("/api/v1/people", params={"q": "persona"}, headers=h),
               200, "person.search", "person", None),
    ],
    ("GET", "/api/v1/people/{person_id}"): [
        Denial("gtm_officer", lambda c, s, h: c.get(f"/api/v1/people/{s.people['hnd_mex']}", headers=h),
               404, "person.read", "person", _person("hnd_mex")),
        Denial("gtm_head", lambda c, s, h: c.get("/api/v1/people/987654", headers=h),
               404, "person.read", "person", lambda s: 987654),
    ],
    ("PATCH", "/api/v1/people/{person_id}"): [
        Denial("hnd_reception", lambda c, s, h: c.patch(
            f"/api/v1/people/{s.people['hnd_reception']}", json={"version": 1, "sex": "female"}, headers=h),
            403, "person.update", "person", _person("hnd_reception")),
    ],
    ("POST", "/api/v1/people/{person_id}/family-links"): [
        Denial("gtm_head", lambda c, s, h: c.post(
            f"/api/v1/people/{s.people['gtm_mex']}/family-links",
            json={"relative_id": s.people["hnd_mex"], "kind": "mother"}, headers=h),
            404, "person.update", "person", _person("hnd_mex")),
    ],
    ("GET", "/api/v1/people/{person_id}/export"): [
        Denial("gtm_officer", lambda c, s, h: c.get(f"/api/v1/people/{s.people['gtm_mex']}/export", headers=h),
               403, "person.export", "person", _person("gtm_mex")),
        Denial("hnd_head", lambda c, s, h: c.get(f"/api/v1/people/{s.people['gtm_mex']}/export", headers=h),
               404, "person.export", "person", _person("gtm_mex")),
    ],
    ("POST", "/api/v1/people/{person_id}/erase"): [
        Denial("gtm_officer", lambda c, s, h: c.post(f"/api/v1/people/{s.people['gtm_mex']}/erase", headers=h),
               403, "person.erase", "person", _person("gtm_mex")),
        Denial("hnd_head", lambda c, s, h: c.post(f"/api/v1/people/{s.people['gtm_mex']}/erase", headers=h),
               404, "person.erase", "person", _person("gtm_mex")),
    ],
    ("POST", "/api/v1/cases"): [
        Denial("gtm_officer", lambda c, s, h: c.post("/api/v1/cases", json={
            "case_type": "detention", "person_id": s.people["hnd_mex"]}, headers=h),
            404, "case.create", "person", _person("hnd_mex")),
        Denial("gtm_officer", lambda c, s, h: c.post("/api/v1/cases", json={
            "case_type": "detention", "person_id": s.people["gtm_mex"], "trafficking_details": "x"}, headers=h),
            403, "case.create", "organisation", _org("gtm_consulate_mex"), ("trafficking_details",)),
    ],
    ("GET", "/api/v1/cases"): [
        Denial("auditor", lambda c, s, h: c.get("/api/v1/cases", headers=h), 200, "case.list", "case", None),
    ],
    ("GET", "/api/v1/cases/{case_id}"): [
        Denial("hnd_officer", lambda c, s, h: c.get(f"/api/v1/cases/{s.cases['gtm_mex']}", headers=h),
               404, "case.read", "case", _case("gtm_mex")),
        Denial("gtm_head", lambda c, s, h: c.get("/api/v1/cases/987654", headers=h),
               404, "case.read", "case", lambda s: 987654),
    ],
    ("PATCH", "/api/v1/cases/{case_id}"): [
        Denial("gtm_officer", lambda c, s, h: c.patch(
            f"/api/v1/cases/{s.cases['gtm_mex']}", json={"version": 1, "summary": "x"}, headers=h),
            403, "case.update", "case", _case("gtm_mex")),
        Denial("gtm_officer", lambda c, s, h: c.patch(
            f"/api/v1/cases/{s.cases['gtm_mex_own']}", json={"version": 1, "trafficking_details": "x"}, headers=h),
            403, "case.update", "case", _case("gtm_mex_own"), ("trafficking_details",)),
    ],
    ("POST", "/api/v1/cases/{case_id}/transition"): [
        Denial("gtm_officer", lambda c, s, h: c.post(
            f"/api/v1/cases/{s.cases['gtm_mex']}/transition", json={"version": 1, "to": "assessment"}, headers=h),
            403, "case.transition", "case", _case("gtm_mex")),
    ],
    ("POST", "/api/v1/cases/{case_id}/assign"): [
        Denial("gtm_officer", lambda c, s, h: c.post(
            f"/api/v1/cases/{s.cases['gtm_mex']}/assign",
            json={"version": 1, "officer_id": s.world.users["gtm_officer"]}, headers=h),
            403, "case.assign", "case", _case("gtm_mex")),
        Denial("gtm_head", lambda c, s, h: c.post(
            f"/api/v1/cases/{s.cases['gtm_mex']}/assign",
            json={"version": 1, "organisation_id": s.world.orgs["gtm_consulate_usa"]}, headers=h),
            403, "case.assign", "organisation", _org("gtm_consulate_usa")),
    ],
    ("POST", "/api/v1/cases/{case_id}/shares"): [
        Denial("gtm_officer", lambda c, s, h: c.post(
            f"/api/v1/cases/{s.cases['gtm_mex']}/shares", json={"organisation_id": s.world.orgs["gtm_child"]},
            headers=h), 403, "case.share", "case", _case("gtm_mex")),
    ],
    ("GET", "/api/v1/cases/{case_id}/notes"): [
        Denial("hnd_officer", lambda c, s, h: c.get(f"/api/v1/cases/{s.cases['gtm_mex']}/notes", headers=h),
               404, "case.notes.read", "case", _case("gtm_mex")),
    ],
    ("POST", "/api/v1/cases/{case_id}/notes"): [
        Denial("gtm_officer", lambda c, s, h: c.post(
            f"/api/v1/cases/{s.cases['gtm_mex_own']}/notes", json={"body": "x", "sensitivity": "trafficking"},
            headers=h), 403, "case.note", "case", _case("gtm_mex_own"), ("sensitivity:trafficking",)),
        Denial("hnd_officer", lambda c, s, h: c.post(
            f"/api/v1/cases/{s.cases['gtm_mex']}/notes", json={"body": "x"}, headers=h),
            404, "case.note", "case", _case("gtm_mex")),
    ],
    ("GET", "/api/v1/cases/{case_id}/tasks"): [
        Denial("hnd_officer", lambda c, s, h: c.get(f"/api/v1/cases/{s.cases['gtm_mex']}/tasks", headers=h),
               404, "case.tasks.read", "case", _case("gtm_mex")),
    ],
    ("POST", "/api/v1/cases/{case_id}/tasks"): [
        Denial("gtm_officer", lambda c, s, h: c.post(
            f"/api/v1/cases/{s.cases['gtm_mex']}/tasks", json={"title": "t"}, headers=h),
            403, "case.task", "case", _case("gtm_mex")),
    ],
    ("PATCH", "/api/v1/cases/{case_id}/tasks/{task_id}"): [
        Denial("gtm_officer", lambda c, s, h: c.patch(
            f"/api/v1/cases/{s.cases['gtm_mex']}/tasks/1", json={"done": True}, headers=h),
            403, "case.task", "case", _case("gtm_mex")),
    ],
    ("GET", "/api/v1/cases/{case_id}/services"): [
        Denial("hnd_officer", lambda c, s, h: c.get(f"/api/v1/cases/{s.cases['gtm_mex']}/services", headers=h),
               404, "case.services.read", "case", _case("gtm_mex")),
    ],
    ("POST", "/api/v1/cases/{case_id}/services"): [
        Denial("gtm_officer", lambda c, s, h: c.post(
            f"/api/v1/cases/{s.cases['gtm_mex']}/services", json={"service_type": "legal"}, headers=h),
            403, "case.service", "case", _case("gtm_mex")),
    ],
    ("GET", "/api/v1/audit"): [
        Denial("gtm_officer", lambda c, s, h: c.get("/api/v1/audit", params={"record_type": "case"}, headers=h),
               403, "audit.read", "audit", None, ("limit=100", "record_type=case")),
    ],
    ("GET", "/api/v1/audit/verify"): [
        Denial("gtm_officer", lambda c, s, h: c.get("/api/v1/audit/verify", headers=h),
               403, "audit.verify", "audit", None),
    ],
}
DENIAL_CASES = [(route, i) for route in sorted(DENIALS) for i in range(len(DENIALS[route]))]


def test_every_personal_route_has_a_denial() -> None:
    """A new personal-data route needs a refused request here as much as a granted one above."""
    assert set(_personal_routes()) | {("GET", "/api/v1/audit"), ("GET", "/api/v1/audit/verify")} == set(DENIALS)


@pytest.mark.parametrize(("route", "i"), DENIAL_CASES, ids=[f"{m} {p} #{i}" for (m, p), i in DENIAL_CASES])
def test_denied_route_is_audited(client, rt, seeded, route, i) -> None:
    d = DENIALS[route][i]
    h = login(client, d.user)
    with rt.sessions() as s:
        before = s.scalar(select(func.max(AuditEntry.id))) or 0
    r = d.call(client, seeded, h)
    assert r.status_code == d.status, r.text
    if d.status == 200:  # a list the role may not read: empty, as before
        body = r.json()
        assert (body["items"] if isinstance(body, dict) else body) == []
    with rt.sessions() as s:
        new = s.scalars(select(AuditEntry).where(AuditEntry.id > before)).all()
        assert len(new) == 1, [(e.action, e.outcome) for e in new]
        e = new[0]
        assert e.outcome == "denied"
        assert (e.actor, e.actor_id) == (d.user, seeded.world.users[d.user])
        assert e.action == d.action and e.record_type == d.record_type
        assert e.record_id == (None if d.record is None else str(d.record(seeded)))
        assert tuple(json.loads(e.fields)) == d.fields
        assert e.source_ip and e.ts
        # recorded under the actor's organisation, so their supervisors see it
        assert e.organisation_id == seeded.world.orgs[USERS[d.user][0]]
        assert audit.verify(s).ok


def test_missing_and_out_of_reach_are_indistinguishable(client, rt, seeded) -> None:
    """A record out of reach and a missing one: same status, same message shape, both audited."""
    h = login(client, "gtm_officer")
    hidden = seeded.cases["hnd_mex"]
    missing = 10_000 + hidden
    a = client.get(f"/api/v1/cases/{hidden}", headers=h)
    b = client.get(f"/api/v1/cases/{missing}", headers=h)
    assert a.status_code == b.status_code == 404
    assert a.json()["detail"]["en"].replace(str(hidden), "N") == b.json()["detail"]["en"].replace(str(missing), "N")
    assert set(a.json()["detail"]) == set(b.json()["detail"])
    with rt.sessions() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")
                         .order_by(AuditEntry.id)).all()
        assert [(e.record_id, e.action) for e in rows] == [(str(hidden), "case.read"), (str(missing), "case.read")]


def test_denial_discards_work_in_progress(client, rt, seeded) -> None:
    """A refusal part-way (the relative is out of reach) leaves no link and no granted entry."""
    h = login(client, "gtm_head")
    r = client.post(f"/api/v1/people/{seeded.people['gtm_mex']}/family-links",
                    json={"relative_id": seeded.people["hnd_mex"], "kind": "mother"}, headers=h)
    assert r.status_code == 404
    me = client.get(f"/api/v1/people/{seeded.people['gtm_mex']}", headers=h).json()
    assert me["family_links"] == []
    with rt.sessions() as s:
        last_two = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)).all()
        assert [(e.action, e.outcome) for e in last_two] == [("person.read", "granted"), ("person.update", "denied")]


def test_supervisors_filter_by_outcome(client, seeded) -> None:
    officer = login(client, "gtm_officer")
    client.get(f"/api/v1/cases/{seeded.cases['hnd_mex']}", headers=officer)  # out of reach
    client.get(f"/api/v1/cases/{seeded.cases['gtm_mex']}", headers=officer)  # granted
    client.get(f"/api/v1/people/{seeded.people['gtm_mex']}/export", headers=officer)  # 403
    hnd = login(client, "hnd_officer")
    client.get(f"/api/v1/cases/{seeded.cases['gtm_mex']}", headers=hnd)  # denied, in Honduras' scope
    gtm_org, hnd_org = seeded.world.orgs["gtm_consulate_mex"], seeded.world.orgs["hnd_consulate_mex"]
    officer_id = seeded.world.users["gtm_officer"]

    for sup in ("gtm_head", "gtm_supervisor"):
        h = login(client, sup)
        denied = client.get("/api/v1/audit", params={"outcome": "denied"}, headers=h).json()
        # their own users' refusals, and a foreign user's refused attempt on their own case
        assert [(e["actor"], e["action"], e["record_id"], e["organisation_id"]) for e in denied] == [
            ("gtm_officer", "case.read", str(seeded.cases["hnd_mex"]), gtm_org),
            ("gtm_officer", "person.export", str(seeded.people["gtm_mex"]), gtm_org),
            ("hnd_officer", "case.read", str(seeded.cases["gtm_mex"]), hnd_org),
        ]
        assert all(e["outcome"] == "denied" for e in denied)
        denied = [e for e in denied if e["actor"] == "gtm_officer"]
        granted = client.get("/api/v1/audit", params={"outcome": "granted", "actor_id": officer_id,
                                                      "limit": 1000}, headers=h).json()
        assert granted and all(e["outcome"] == "granted" for e in granted)
        both = client.get("/api/v1/audit", params={"actor_id": officer_id, "limit": 1000}, headers=h).json()
        assert len(both) == len(granted) + len(denied)

    h = login(client, "hnd_supervisor")
    denied = client.get("/api/v1/audit", params={"outcome": "denied"}, headers=h).json()
    assert [(e["actor"], e["organisation_id"]) for e in denied] == [("gtm_officer", gtm_org),
                                                                    ("hnd_officer", hnd_org)]
    auditor = login(client, "auditor")
    everything = client.get("/api/v1/audit", params={"outcome": "denied"}, headers=auditor).json()
    assert len(everything) == 3  # region scope: all three refusals
    assert client.get("/api/v1/audit", params={"outcome": "maybe"}, headers=auditor).status_code == 422


def test_entries_name_fields_never_values(client, rt, seeded) -> None:
    h = login(client, "gtm_head")
    client.get(f"/api/v1/cases/{seeded.cases['gtm_mex']}", headers=h)
    with rt.sessions() as s:
        e = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert e.action == "case.read" and e.record_id == str(seeded.cases["gtm_mex"])
        assert "trafficking_details" in json.loads(e.fields)
        dump = json.dumps([e.fields, e.record_id, e.action])
        assert "indicios" not in dump and "diabetes" not in dump


def test_hidden_fields_are_not_logged_as_read(client, rt, seeded) -> None:
    h = login(client, "gtm_officer")
    client.get(f"/api/v1/cases/{seeded.cases['gtm_mex']}", headers=h)
    with rt.sessions() as s:
        e = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert "trafficking_details" not in json.loads(e.fields)
        assert "health_details" in json.loads(e.fields)


def test_audit_api_scope_and_verify(client, seeded) -> None:
    head = login(client, "gtm_head")
    client.get(f"/api/v1/cases/{seeded.cases['gtm_mex']}", headers=head)
    rows = client.get("/api/v1/audit", params={"record_type": "case"}, headers=head).json()
    assert rows and {r["organisation_id"] for r in rows} == {seeded.world.orgs["gtm_consulate_mex"]}
    sup = login(client, "hnd_supervisor")
    rows = client.get("/api/v1/audit", headers=sup).json()
    assert seeded.world.orgs["gtm_consulate_mex"] not in {r["organisation_id"] for r in rows}
    officer = login(client, "gtm_officer")
    assert client.get("/api/v1/audit", headers=officer).status_code == 403
    assert client.get("/api/v1/audit/verify", headers=officer).status_code == 403
    auditor = login(client, "auditor")
    assert len(client.get("/api/v1/audit", params={"limit": 1000}, headers=auditor).json()) > len(rows)
    v = client.get("/api/v1/audit/verify", headers=auditor).json()
    assert v["ok"] is True and v["checked"] > 0


def _tamper(rt, sql: str) -> None:
    """Bypass the append-only triggers as a database owner would, then run ``sql``."""
    with rt.engine.connect() as conn:
        if rt.engine.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))  # disables triggers
            conn.execute(text(sql))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
            conn.execute(text(sql))
        conn.commit()


def test_append_only_triggers(rt, seeded) -> None:
    with rt.engine.connect() as conn:
        with pytest.raises(DBAPIError):
            conn.execute(text("UPDATE audit_log SET actor = 'x' WHERE id = 1"))
        conn.rollback()
        with pytest.raises(DBAPIError):
            conn.execute(text("DELETE FROM audit_log WHERE id = 1"))
        conn.rollback()


@pytest.mark.parametrize(
    ("sql", "broken_at"),
    [
        ("UPDATE audit_log SET actor = 'someone_else' WHERE id = 3", 3),
        ("UPDATE audit_log SET fields = '[]' WHERE id = 5", 5),
        ("UPDATE audit_log SET record_id = '999' WHERE id = 2", 2),
        ("UPDATE audit_log SET ts = '2020-01-01T00:00:00.000000Z' WHERE id = 6", 6),
        ("DELETE FROM audit_log WHERE id = 4", "next-in-chain"),
        ("DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)", None),
    ],
)
def test_tampering_is_detected(rt, seeded, sql, broken_at) -> None:
    with rt.sessions() as s:
        assert audit.verify(s).ok
        victim = s.get(AuditEntry, 4)
        assert victim is not None
        # the entry after id 4 in the same chain, if any (else the tip check catches it)
        after = s.scalar(select(AuditEntry.id).where(AuditEntry.chain == victim.chain,
                                                     AuditEntry.seq == victim.seq + 1))
    _tamper(rt, sql)
    with rt.sessions() as s:
        v = audit.verify(s)
    assert not v.ok
    assert v.reason_es and v.reason_en
    if broken_at == "next-in-chain":
        assert v.broken_at == after
    else:
        assert v.broken_at == broken_at


def test_rehashing_a_row_still_breaks_the_next_link(rt, seeded) -> None:
    """An attacker who recomputes the altered row's hash breaks its successor's prev_hash."""
    with rt.sessions() as s:
        e = s.get(AuditEntry, 3)
        assert e is not None
        nxt = s.scalar(select(AuditEntry.id).where(AuditEntry.chain == e.chain, AuditEntry.seq == e.seq + 1))
        e.actor = "forged"
        forged_hash = audit.entry_hash(e)
        s.rollback()
    assert all(ch in "0123456789abcdef" for ch in forged_hash)  # safe to inline below
    _tamper(rt, "UPDATE audit_log SET actor = 'forged', hash = '%s' WHERE id = 3" % forged_hash)  # noqa: S608, UP031
    with rt.sessions() as s:
        v = audit.verify(s)
    assert not v.ok and v.broken_at == nxt  # None when id 3 was its chain's last: then the tip check fires


@pytest.mark.parametrize("direction", ["denied_to_granted", "granted_to_denied"])
def test_tampering_with_the_outcome_is_detected(client, rt, seeded, direction) -> None:
    h = login(client, "gtm_officer")
    client.get(f"/api/v1/cases/{seeded.cases['hnd_mex']}", headers=h)  # leaves a "denied" entry
    with rt.sessions() as s:
        denied = s.scalar(select(AuditEntry.id).where(AuditEntry.outcome == "denied"))
        assert denied is not None and audit.verify(s).ok
    victim, value = (denied, "granted") if direction == "denied_to_granted" else (3, "denied")
    _tamper(rt, f"UPDATE audit_log SET outcome = '{value}' WHERE id = {victim}")
    with rt.sessions() as s:
        v = audit.verify(s)
    assert not v.ok and v.broken_at == victim


def test_one_append_of_thousands_of_entries(rt, seeded) -> None:
    """A retention run or a data migration appends thousands of entries at once: one VALUES list
    of 14 parameters a row passed SQLite's limit of parameters (32,766 in SQLite's own build: 2,340
    rows; 250,000 in Debian's: 17,857 rows)."""
    many = [audit.AccessEvent(action="case.retention", record_type="case", record_id=str(i))
            for i in range(20_000)]
    with rt.sessions() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
        audit.append(s, audit.Actor(user_id=None, username="system:test", source_ip=None), many)
        s.commit()
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before + 20_000
        assert audit.verify(s).ok
