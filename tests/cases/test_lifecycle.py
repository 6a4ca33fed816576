"""Case lifecycle, tasks, services, people and family links through the API."""

from __future__ import annotations

import pytest

from observatorio.cases.vocab import TRANSITIONS, CaseStatus

from .conftest import login


def test_full_lifecycle_and_reopen(client, seeded) -> None:
    h = login(client, "gtm_head")
    case = seeded.cases["gtm_mex"]
    version = 1
    for to in ("assessment", "plan", "in_progress", "closed"):
        r = client.post(f"/api/v1/cases/{case}/transition", json={"version": version, "to": to}, headers=h)
        assert r.status_code == 200, r.text
        version = r.json()["version"]
    assert r.json()["closed_at"] is not None
    r = client.post(f"/api/v1/cases/{case}/transition", json={"version": version, "to": "assessment"}, headers=h)
    assert r.status_code == 200 and r.json()["closed_at"] is None and r.json()["status"] == "assessment"


@pytest.mark.parametrize("frm", list(CaseStatus))
def test_transition_table_is_closed(frm) -> None:
    """Every status can reach 'closed' and every non-terminal move is declared."""
    reachable = {frm}
    frontier = [frm]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert CaseStatus.CLOSED in reachable


def test_invalid_transition(client, seeded) -> None:
    h = login(client, "gtm_head")
    r = client.post(f"/api/v1/cases/{seeded.cases['gtm_mex']}/transition",
                    json={"version": 1, "to": "in_progress"}, headers=h)
    assert r.status_code == 422
    assert r.json()["detail"]["allowed"] == ["assessment", "closed"]


def test_tasks_and_services(client, seeded) -> None:
    h = login(client, "gtm_officer")
    case = seeded.cases["gtm_mex_own"]
    t = client.post(f"/api/v1/cases/{case}/tasks", json={"title": "Visita al centro de detención",
                                                        "due_date": "2030-05-01"}, headers=h)
    assert t.status_code == 201
    client.post(f"/api/v1/cases/{case}/tasks", json={"title": "Llamar a la familia", "due_date": "2030-04-01"},
                headers=h)
    tasks = client.get(f"/api/v1/cases/{case}/tasks", headers=h).json()
    assert [x["due_date"] for x in tasks] == ["2030-04-01", "2030-05-01"]
    done = client.patch(f"/api/v1/cases/{case}/tasks/{t.json()['id']}", json={"done": True}, headers=h)
    assert done.json()["done"] is True
    s = client.post(f"/api/v1/cases/{case}/services", json={"service_type": "legal", "status": "delivered",
                                                           "delivered_on": "2030-01-02"}, headers=h)
    assert s.status_code == 201
    assert client.get(f"/api/v1/cases/{case}/services", headers=h).json()[0]["service_type"] == "legal"
    # an assignee from another organisation is refused
    r = client.post(f"/api/v1/cases/{case}/tasks", json={"title": "x", "assignee_id": seeded.world.users["hnd_officer"]},
                    headers=h)
    assert r.status_code == 422


def test_assign_within_country_only(client, seeded) -> None:
    head = login(client, "gtm_head")
    case = seeded.cases["gtm_mex"]
    r = client.post(f"/api/v1/cases/{case}/assign",
                    json={"version": 1, "officer_id": seeded.world.users["gtm_officer2"]}, headers=head)
    assert r.status_code == 200 and r.json()["officer_id"] == seeded.world.users["gtm_officer2"]
    sup = login(client, "gtm_supervisor")
    r = client.post(f"/api/v1/cases/{case}/assign",
                    json={"version": 2, "organisation_id": seeded.world.orgs["hnd_consulate_mex"]}, headers=sup)
    # another country: a referral, not an assignment; refused like a missing organisation
    assert r.status_code == 403 and "referral" in r.json()["detail"]["en"]
    missing = client.post(f"/api/v1/cases/{case}/assign",
                          json={"version": 2, "organisation_id": 999_999}, headers=sup)
    assert missing.status_code == 403
    assert missing.json()["detail"]["en"].replace("999999", "X") == \
        r.json()["detail"]["en"].replace(str(seeded.world.orgs["hnd_consulate_mex"]), "X")
    r = client.post(f"/api/v1/cases/{case}/assign",
                    json={"version": 2, "organisation_id": seeded.world.orgs["gtm_consulate_usa"],
                          "officer_id": seeded.world.users["gtm_usa_officer"]}, headers=sup)
    assert r.status_code == 200 and r.json()["organisation_id"] == seeded.world.orgs["gtm_consulate_usa"]
    # the Tapachula consulate no longer sees it; Houston does
    assert client.get(f"/api/v1/cases/{case}", headers=head).status_code == 404
    assert client.get(f"/api/v1/cases/{case}", headers=login(client, "gtm_usa_officer")).status_code == 200


def test_people_search_update_and_links(client, seeded) -> None:
    h = login(client, "gtm_head")
    created = client.post("/api/v1/people", json={
        "given_names": "María José", "family_names": "Pérez Ajú", "date_of_birth": "2010-03-04", "sex": "female",
        "nationality": "GTM", "documents": [{"kind": "birth_certificate", "number": "CUI-123"}],
        "contacts": [{"kind": "phone", "value": "+502 5555 0000"}]}, headers=h).json()
    found = client.get("/api/v1/people", params={"q": "maría josé"}, headers=h).json()
    assert [p["id"] for p in found["items"]] == [created["id"]]
    assert client.get("/api/v1/people", params={"document": "cui-123"}, headers=h).json()["total"] == 1
    assert client.get("/api/v1/people", params={"date_of_birth": "2010-03-04"}, headers=h).json()["total"] == 1
    r = client.patch(f"/api/v1/people/{created['id']}", json={"version": 1, "family_names": "Pérez"}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 2
    assert client.patch(f"/api/v1/people/{created['id']}", json={"version": 1, "sex": "male"},
                        headers=h).status_code == 409
    r = client.post(f"/api/v1/people/{created['id']}/family-links",
                    json={"relative_id": seeded.people["gtm_mex"], "kind": "mother"}, headers=h)
    assert r.json()["family_links"] == [{"relative_id": seeded.people["gtm_mex"], "kind": "mother"}]
    # a relative in another country cannot be linked by this consulate
    r = client.post(f"/api/v1/people/{created['id']}/family-links",
                    json={"relative_id": seeded.people["hnd_mex"], "kind": "mother"}, headers=h)
    assert r.status_code == 404


def test_errors_are_bilingual(client, seeded) -> None:
    h = login(client, "gtm_head")
    for r in (client.get("/api/v1/cases/999999", headers=h),
              client.post(f"/api/v1/cases/{seeded.cases['gtm_mex']}/transition",
                          json={"version": 1, "to": "plan"}, headers=h)):
        d = r.json()["detail"]
        assert d["es"] != d["en"] and d["es"] and d["en"]
