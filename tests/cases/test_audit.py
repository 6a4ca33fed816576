"""Audit: every route touching personal data appends entries; the chain detects tampering."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from observatorio.cases import audit
from observatorio.cases.api import router
from observatorio.cases.models import AuditEntry

from .conftest import login

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
        assert audit.verify(s).ok


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
