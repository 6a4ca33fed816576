"""Review of issue #10's fixes: every answer that carries a case's personal data is audited,
also when a write changes nothing (a PATCH, assignment or transition that only echoes the case)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from observatorio.cases.models import AuditEntry

from .conftest import login


def _entries_about(rt, case_id: int) -> list[tuple[str, list[str]]]:
    import json

    with rt.sessions() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.record_type == "case",
                                                  AuditEntry.record_id == str(case_id))
                         .order_by(AuditEntry.id)).all()
        return [(e.action, json.loads(e.fields)) for e in rows]


@pytest.mark.parametrize(("path", "body"), [
    ("", {}),  # PATCH with only the version
    ("/assign", {}),  # assignment to the current holder
])
def test_a_write_that_changes_nothing_still_audits_the_case_it_returns(client, rt, seeded, path, body) -> None:
    case_id = seeded.cases["gtm_mex"]
    h = login(client, "gtm_head")
    version = client.get(f"/api/v1/cases/{case_id}", headers=h).json()["version"]
    before = _entries_about(rt, case_id)
    send = client.patch if path == "" else client.post
    r = send(f"/api/v1/cases/{case_id}{path}", json={"version": version, **body}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["health_details"] == "diabetes"  # the answer carries sensitive data...
    after = _entries_about(rt, case_id)
    new = after[len(before):]
    assert new, "a case returned with its personal data must leave an audit entry"
    assert any("health_details" in fields for _, fields in new)


def _denied(rt, case_id: int) -> list[str]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.record_type == "case", AuditEntry.record_id == str(case_id),
            AuditEntry.outcome == "denied")))


def test_refusals_inside_a_readable_case_are_audited(client, rt, seeded) -> None:
    """Another case's task, or sharing with a missing organisation, is refused and on record."""
    h = login(client, "gtm_head")
    mine, other = seeded.cases["gtm_mex"], seeded.cases["gtm_mex_own"]
    r = client.post(f"/api/v1/cases/{other}/tasks", json={"title": "t"}, headers=h)
    assert r.status_code == 201, r.text
    r = client.patch(f"/api/v1/cases/{mine}/tasks/{r.json()['id']}", json={"done": True}, headers=h)
    assert r.status_code == 404
    r = client.post(f"/api/v1/cases/{mine}/shares", json={"organisation_id": 999999}, headers=h)
    assert r.status_code == 404
    assert sorted(_denied(rt, mine)) == ["case.share", "case.task"]
