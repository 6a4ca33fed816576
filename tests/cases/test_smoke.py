from __future__ import annotations

from .conftest import login


def test_create_and_read(client, world):
    h = login(client, "gtm_officer")
    p = client.post("/api/v1/people", json={"given_names": "Ana", "family_names": "López", "nationality": "GTM"}, headers=h)
    assert p.status_code == 201, p.text
    c = client.post("/api/v1/cases", json={"case_type": "detention", "person_id": p.json()["id"], "health_details": "asma"}, headers=h)
    assert c.status_code == 201, c.text
    r = client.get(f"/api/v1/cases/{c.json()['id']}", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["health_details"] == "asma"
    h2 = login(client, "hnd_officer")
    assert client.get(f"/api/v1/cases/{c.json()['id']}", headers=h2).status_code == 404
