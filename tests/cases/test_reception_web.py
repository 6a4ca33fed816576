"""Reception officer pages and API (issue #15 item 1): arrival, manifest upload with bad rows
listed by row, the keyboard intake form, and the API routes."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from observatorio.cases.models import AuditEntry, CaseTask
from observatorio.cases.reception.geography import load_municipalities
from observatorio.cases.runtime import Runtime

from .conftest import World, login
from .reception_files import csv_bytes, people, with_bad_rows
from .test_web import _csrf, _web_login


def _arrival(client: TestClient) -> str:
    home = client.get("/cases/reception")
    assert home.status_code == 200 and "autofocus" in home.text
    r = client.post("/cases/reception/arrivals", data={
        "csrf_token": _csrf(home.text), "mode": "bus", "arrival_date": "2025-08-14", "arriving_from": "mex",
        "expected_count": "4"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(r.headers["location"]).split("?")[0]


def test_officer_imports_a_manifest_and_receives_people_by_keyboard(client: TestClient, rt: Runtime,
                                                                    world: World, tmp_path: Path) -> None:
    assert _web_login(client, "hnd_reception").status_code == 303
    arrival = _arrival(client)
    page = client.get(arrival)
    # the arrival states where people were returned from, not the form's input hint
    assert "Retornadas desde MEX" in page.text and "p. ej." not in page.text.split("<h2")[0]
    rows = people(40, children=2)
    bad = client.post(f"{arrival}/manifest", data={"csrf_token": _csrf(page.text)},
                      files={"file": ("vuelo.csv", csv_bytes(with_bad_rows(rows)), "text/csv")})
    assert bad.status_code == 422
    problems = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td>", bad.text.split('id="manifest-problems"')[1])
    assert problems == [("6", "sex"), ("13", "date_of_birth"), ("31", "given_names")]
    assert 'id="on-manifest">0<' in bad.text, "nothing imported"
    ok = client.post(f"{arrival}/manifest", data={"csrf_token": _csrf(page.text)},
                     files={"file": ("vuelo.csv", csv_bytes(rows), "text/csv")}, follow_redirects=True)
    assert ok.status_code == 200 and 'id="on-manifest">40<' in ok.text
    first = re.search(r'href="(/cases/reception/a/\d+/intake\?entry=\d+[^"]*)"', ok.text)
    assert first
    form = client.get(first.group(1).replace("&amp;", "&"))
    assert form.status_code == 200 and "autofocus" in form.text and "texto libre" in form.text
    entry = re.search(r'name="manifest_entry_id" value="(\d+)"', form.text)
    assert entry
    done = client.post(first.group(1).split("?")[0], data={
        "csrf_token": _csrf(form.text), "manifest_entry_id": entry.group(1), "given_names": rows[0][0],
        "family_names": rows[0][1], "date_of_birth": rows[0][2], "sex": "female" if rows[0][3] == "F" else "male",
        "department": "HN-CR", "municipality_text": "San Pedro Sula", "accompaniment": "UNACCOMPANIED",
        "vulnerabilities": ["unaccompanied_child"], "services": ["food"]}, follow_redirects=True)
    assert done.status_code == 200 and 'id="last-intake"' in done.text
    assert "Autoridad de protección de la niñez" in done.text and "notify_child_protection" in done.text
    with rt.sessions() as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "reception.intake.read")), \
            "showing the last intake's screening is an audited read"
    nxt = re.search(r'name="manifest_entry_id" value="(\d+)"', done.text)
    assert nxt and int(nxt.group(1)) == int(entry.group(1)) + 1, "the next person on the manifest opens"
    wrong = client.post(first.group(1).split("?")[0], data={
        "csrf_token": _csrf(form.text), "manifest_entry_id": nxt.group(1), "department": "XX-99"})
    assert wrong.status_code == 422 and "ISO 3166-2" in wrong.text
    with rt.sessions() as s:
        tasks = s.scalars(select(CaseTask.title)).all()
        assert len(tasks) == 1 and "child_protection_agency" in tasks[0]
        listed = tmp_path / "municipios.csv"  # test codes, no real list ships with the project
        listed.write_text("code,name,department\nT-0101,Municipio de prueba,HN-CR\n")
        load_municipalities(s, listed)
    with_list = client.get(first.group(1).replace("&amp;", "&"))
    assert 'list="municipalities"' in with_list.text and '<option value="T-0101">' in with_list.text
    assert "texto libre" not in with_list.text


def test_reception_api(client: TestClient, rt: Runtime, world: World) -> None:
    headers = login(client, "hnd_reception")
    created = client.post("/api/v1/reception/arrivals", headers=headers, json={
        "mode": "flight", "arrival_date": "2025-08-14", "arriving_from": "USA", "expected_count": 3})
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    bad = client.post(f"/api/v1/reception/arrivals/{aid}/manifest", headers=headers,
                      files={"file": ("m.csv", csv_bytes(with_bad_rows(people(40))), "text/csv")})
    assert bad.status_code == 422
    assert [(e["row"], e["column"]) for e in bad.json()["detail"]["errors"]] == [
        (6, "sex"), (13, "date_of_birth"), (31, "given_names")]
    good = client.post(f"/api/v1/reception/arrivals/{aid}/manifest", headers=headers,
                       files={"file": ("m.csv", csv_bytes(people(3)), "text/csv")})
    assert good.status_code == 200 and good.json()["imported"] == 3
    detail = client.get(f"/api/v1/reception/arrivals/{aid}", headers=headers).json()
    entry = detail["manifest"][0]["id"]
    received = client.post(f"/api/v1/reception/arrivals/{aid}/intakes", headers=headers, json={
        "manifest_entry_id": entry, "department": "HN-CR", "accompaniment": "SINGLE_ADULT",
        "vulnerabilities": ["trafficking_victim"]})
    assert received.status_code == 201, received.text
    assert [r["organisation_kind"] for r in received.json()["required_referrals"]] == ["international_organisation"]
    assert client.get("/api/v1/reception/arrivals", headers=headers).json()[0]["received"] == 1
    other = login(client, "gtm_officer")
    assert client.get(f"/api/v1/reception/arrivals/{aid}", headers=other).status_code == 404
    assert client.post("/api/v1/reception/arrivals", headers=other, json={
        "mode": "bus", "arrival_date": "2025-08-14", "arriving_from": "MEX", "expected_count": 3}).status_code == 403
    nonsense = client.post("/api/v1/reception/arrivals", headers=headers, json={
        "mode": "boat", "arrival_date": "2025-08-14", "arriving_from": "QQQ", "expected_count": 0})
    assert nonsense.status_code == 422 and nonsense.json()["detail"]["es"]
