"""The person's data export (right of access) holds the reasons given for the status transitions
of the cases the account may export, and only of those (review: they were left out). The API and
``observatorio cases person export`` both call ``person_rights.export_person``. SQLite and
PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import select

from observatorio.cases.models import AuditEntry

from .conftest import login

GTM_REASON = "Trasladada a la estación migratoria; la familia pidió no contactar al empleador"
HND_REASON = "Atendida por el consulado hondureño; caso propio"


def test_the_export_holds_the_transition_reasons_of_the_exported_cases_only(client, rt, seeded) -> None:
    gtm_case, person = seeded.cases["gtm_mex"], seeded.people["gtm_mex"]
    gtm = login(client, "gtm_head")
    assert client.post(f"/api/v1/cases/{gtm_case}/shares", json={"organisation_id": seeded.world.orgs[
        "hnd_consulate_mex"]}, headers=gtm).status_code == 200
    hnd = login(client, "hnd_officer")
    r = client.post("/api/v1/cases", json={"case_type": "detention", "person_id": person}, headers=hnd)
    assert r.status_code == 201, r.text
    hnd_case = r.json()["id"]
    for case_id, head, reason in ((gtm_case, gtm, GTM_REASON), (hnd_case, hnd, HND_REASON)):
        moved = client.post(f"/api/v1/cases/{case_id}/transition",
                            json={"version": 1, "to": "assessment", "reason": reason}, headers=head)
        assert moved.status_code == 200, moved.text
    assert client.post(f"/api/v1/cases/{gtm_case}/transition", json={"version": 2, "to": "plan"},
                       headers=gtm).status_code == 200  # a transition without a reason has no entry

    export = client.get(f"/api/v1/people/{person}/export", headers=gtm)
    assert export.status_code == 200, export.text
    body = export.json()
    assert [c["id"] for c in body["cases"]] == [gtm_case]
    assert [(t["case_id"], t["version"], t["to"], t["reason"]) for t in body["transitions"]] == [
        (gtm_case, 2, "assessment", GTM_REASON)]
    assert HND_REASON not in export.text  # Honduras' case is not Guatemala's to export

    other = client.get(f"/api/v1/people/{person}/export", headers=login(client, "hnd_head")).json()
    assert [(t["case_id"], t["reason"]) for t in other["transitions"]] == [(hnd_case, HND_REASON)]
    assert GTM_REASON not in json.dumps(other)

    with rt.sessions() as s:  # named in the case's export entry, never the text
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "person.export",
                                                   AuditEntry.record_type == "case",
                                                   AuditEntry.record_id == str(gtm_case))).one()
    assert "transition_reasons" in json.loads(entry.fields) and GTM_REASON not in entry.fields
