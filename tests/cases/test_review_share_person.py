"""Review of issue #10 item 2 (a share grants reading only): a share cannot be turned into the
right to edit the person by opening a case of one's own about them."""

from __future__ import annotations

from .conftest import login


def test_a_case_opened_on_a_shared_person_does_not_grant_editing_them(client, seeded) -> None:
    gtm_case, person, hnd_person = seeded.cases["gtm_mex"], seeded.people["gtm_mex"], seeded.people["hnd_mex"]
    assert client.post(f"/api/v1/cases/{gtm_case}/shares",
                       json={"organisation_id": seeded.world.orgs["hnd_consulate_mex"]},
                       headers=login(client, "gtm_head")).status_code == 200
    hnd = login(client, "hnd_officer")
    # Honduras may open a case of its own about the person it reads through the share...
    r = client.post("/api/v1/cases", json={"case_type": "detention", "person_id": person, "summary": "s"},
                    headers=hnd)
    assert r.status_code == 201, r.text
    # ...and still reads them, but may neither rename them nor link them as a relative.
    v = client.get(f"/api/v1/people/{person}", headers=hnd).json()["version"]
    r = client.patch(f"/api/v1/people/{person}", json={"version": v, "given_names": "Renamed"}, headers=hnd)
    assert r.status_code == 403, r.text
    r = client.post(f"/api/v1/people/{hnd_person}/family-links", json={"relative_id": person, "kind": "parent"},
                    headers=login(client, "hnd_head"))
    assert r.status_code == 403, r.text
    gtm = login(client, "gtm_head")
    assert client.get(f"/api/v1/people/{person}", headers=gtm).json()["given_names"] == "Persona gtm_mex"
    # the registering organisation still edits its person
    v = client.get(f"/api/v1/people/{person}", headers=gtm).json()["version"]
    assert client.patch(f"/api/v1/people/{person}", json={"version": v, "family_names": "Pérez"},
                        headers=gtm).status_code == 200


def test_identity_is_erased_once_every_other_organisations_case_is_erased(client, seeded) -> None:
    """Right to erasure must be able to finish: once the other organisation has erased its own
    case, an erased case holds no personal data and no longer keeps the identity alive."""
    gtm_case, person = seeded.cases["gtm_mex"], seeded.people["gtm_mex"]
    assert client.post(f"/api/v1/cases/{gtm_case}/shares",
                       json={"organisation_id": seeded.world.orgs["hnd_consulate_mex"]},
                       headers=login(client, "gtm_head")).status_code == 200
    r = client.post("/api/v1/cases", json={"case_type": "detention", "person_id": person, "summary": "s"},
                    headers=login(client, "hnd_officer"))
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/people/{person}/erase", headers=login(client, "hnd_head"))
    assert r.status_code == 200 and r.json()["person_erased"] is False, r.text
    r = client.post(f"/api/v1/people/{person}/erase", headers=login(client, "gtm_head"))
    assert r.status_code == 200, r.text
    assert r.json()["person_erased"] is True
    assert client.get(f"/api/v1/people/{person}", headers=login(client, "gtm_head")).json()["given_names"] is None
