"""Odd input to the cases API is a bilingual 4xx, never a 500 (#10 items 7, 12)."""

from __future__ import annotations

import pytest

from .conftest import login

HUGE = 2**63
BEYOND_INT32 = 2**31


def _assert_bilingual_4xx(r, status: int | None = None) -> None:
    assert r.status_code < 500, r.text
    if status is not None:
        assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, dict) and detail["es"] and detail["en"] and detail["es"] != detail["en"]


@pytest.mark.parametrize("number", [HUGE, BEYOND_INT32, 2**64 + 5])
def test_huge_ids_in_path_query_and_body(client, seeded, number: int) -> None:
    h = login(client, "gtm_head")
    case = seeded.cases["gtm_mex"]
    for method, url, body in [
        ("GET", f"/api/v1/people/{number}", None),
        ("GET", f"/api/v1/cases/{number}", None),
        ("GET", f"/api/v1/cases/{number}/notes", None),
        ("PATCH", f"/api/v1/cases/{case}/tasks/{number}", {"done": True}),
        ("GET", f"/api/v1/cases?offset={number}", None),
        ("GET", f"/api/v1/cases?organisation_id={number}", None),
        ("GET", f"/api/v1/cases?officer_id={number}", None),
        ("GET", f"/api/v1/people?offset={number}", None),
        ("POST", "/api/v1/cases", {"case_type": "detention", "person_id": number}),
        ("POST", f"/api/v1/people/{seeded.people['gtm_mex']}/family-links",
         {"relative_id": number, "kind": "child"}),
        ("POST", f"/api/v1/cases/{case}/shares", {"organisation_id": number}),
        ("POST", f"/api/v1/cases/{case}/tasks", {"title": "t", "assignee_id": number}),
        ("POST", f"/api/v1/cases/{case}/services", {"service_type": "legal",
                                                      "provider_organisation_id": number}),
        ("PATCH", f"/api/v1/cases/{case}", {"version": number, "summary": "x"}),
    ]:
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code in (404, 422), (method, url, r.status_code, r.text)
        _assert_bilingual_4xx(r)


def test_huge_audit_ids(client, seeded) -> None:
    h = login(client, "auditor")
    for query in (f"after_id={HUGE}", f"actor_id={HUGE}", f"after_id={BEYOND_INT32}"):
        r = client.get(f"/api/v1/audit?{query}", headers=h)
        assert r.status_code == 422, (query, r.text)
        _assert_bilingual_4xx(r)


def test_duplicate_family_link_is_a_conflict(client, seeded) -> None:
    h = login(client, "gtm_head")
    person, relative = seeded.people["gtm_mex"], seeded.people["gtm_mex_own"]
    link = {"relative_id": relative, "kind": "child"}
    assert client.post(f"/api/v1/people/{person}/family-links", json=link, headers=h).status_code == 200
    again = client.post(f"/api/v1/people/{person}/family-links", json=link, headers=h)
    _assert_bilingual_4xx(again, 409)
    # The first link is still there, once.
    links = client.get(f"/api/v1/people/{person}", headers=h).json()["family_links"]
    assert links == [link]


def test_service_with_a_nonexistent_provider(client, seeded) -> None:
    h = login(client, "gtm_head")
    r = client.post(f"/api/v1/cases/{seeded.cases['gtm_mex']}/services",
                    json={"service_type": "legal", "provider_organisation_id": 999_999}, headers=h)
    _assert_bilingual_4xx(r, 422)


@pytest.mark.parametrize("body", [
    '{"case_type": "detention", "person_id": 1, "summary": "\\ud800"}',
    '{"case_type": "detention", "person_id": 1, "summary": "a\\udfffb"}',
    '{"case_type": "detention", "person_id": "\\ud800"}',
    '{"\\ud800": 1}',
])
def test_lone_surrogates_are_a_422(client, seeded, body: str) -> None:
    h = {**login(client, "gtm_head"), "Content-Type": "application/json"}
    r = client.post("/api/v1/cases", content=body.encode(), headers=h)
    _assert_bilingual_4xx(r, 422)


def test_validation_errors_are_bilingual_spanish_first(client, seeded) -> None:
    h = login(client, "gtm_head")
    r = client.post("/api/v1/cases", json={"case_type": "nope", "person_id": "x", "colour": 1}, headers=h)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert list(detail)[:2] == ["es", "en"]
    fields = {e["field"] for e in detail["errors"]}
    assert {"case_type", "person_id", "colour"} <= fields
    by_field = {e["field"]: e for e in detail["errors"]}
    assert by_field["person_id"]["es"] == "debe ser un número entero"
    assert by_field["person_id"]["en"] == "must be a whole number"
    assert "no existe" in by_field["colour"]["es"]
    r = client.get("/api/v1/cases?limit=0", headers=h)
    assert r.status_code == 422
    assert r.json()["detail"]["errors"][0]["es"] == "debe ser mayor o igual que 1"
    r = client.post("/api/v1/cases", content=b"{not json", headers={**h, "Content-Type": "application/json"})
    _assert_bilingual_4xx(r, 422)
