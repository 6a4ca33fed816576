"""Regression tests for issue #10 items 1, 2, 10, 11 and 14: what a share grants, what an
export or erasure touches, erased records, audit paging and organisation existence."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from observatorio.cases import audit
from observatorio.cases.models import AuditEntry, Case, CaseNote, CaseService, CaseTask, Person

from .conftest import login


@pytest.fixture
def foreign_case_on_shared_person(client, seeded):
    """Issue #10 item 1: Guatemala shares a case with Honduras' consulate; the Honduran officer
    then opens a case of their own about the same person, with health details, a note, a task
    and a service. Returns (person id, Guatemala's case id, Honduras' case id)."""
    gtm_case, person = seeded.cases["gtm_mex"], seeded.people["gtm_mex"]
    r = client.post(f"/api/v1/cases/{gtm_case}/shares",
                    json={"organisation_id": seeded.world.orgs["hnd_consulate_mex"]},
                    headers=login(client, "gtm_head"))
    assert r.status_code == 200, r.text
    hnd = login(client, "hnd_officer")
    r = client.post("/api/v1/cases", json={"case_type": "detention", "person_id": person,
                                           "summary": "caso hondureño", "health_details": "VIH"},
                    headers=hnd)
    assert r.status_code == 201, r.text
    hnd_case = r.json()["id"]
    assert client.post(f"/api/v1/cases/{hnd_case}/notes", json={"body": "nota hondureña"},
                       headers=hnd).status_code == 201
    assert client.post(f"/api/v1/cases/{hnd_case}/tasks", json={"title": "tarea hondureña"},
                       headers=hnd).status_code == 201
    assert client.post(f"/api/v1/cases/{hnd_case}/services",
                       json={"service_type": "medical", "description": "servicio hondureño"},
                       headers=hnd).status_code == 201
    return person, gtm_case, hnd_case


@pytest.mark.parametrize("user", ["gtm_head", "gtm_supervisor"])
def test_export_holds_only_cases_the_user_may_export(client, foreign_case_on_shared_person, user) -> None:
    person, gtm_case, hnd_case = foreign_case_on_shared_person
    h = login(client, user)
    assert client.get(f"/api/v1/cases/{hnd_case}", headers=h).status_code == 404
    r = client.get(f"/api/v1/people/{person}/export", headers=h)
    assert r.status_code == 200, r.text
    export = r.json()
    assert [c["id"] for c in export["cases"]] == [gtm_case]
    assert {n["case_id"] for n in export["notes"]} <= {gtm_case}
    assert {t["case_id"] for t in export["tasks"]} <= {gtm_case}
    assert {s["case_id"] for s in export["services"]} <= {gtm_case}
    for text in ("VIH", "hondureñ"):
        assert text not in r.text


def test_erasure_leaves_other_organisations_cases(client, rt, foreign_case_on_shared_person) -> None:
    person, gtm_case, hnd_case = foreign_case_on_shared_person
    r = client.post(f"/api/v1/people/{person}/erase", headers=login(client, "gtm_head"))
    assert r.status_code == 200, r.text
    # Honduras still holds a case about the person: identity kept, only Guatemala's case erased
    assert r.json()["cases"] == 1 and r.json()["person_erased"] is False
    with rt.sessions() as s:
        hnd = s.get(Case, hnd_case)
        assert hnd is not None and hnd.erased_at is None
        assert (hnd.summary, hnd.health_details) == ("caso hondureño", "VIH")
        assert s.scalar(select(CaseNote.body).where(CaseNote.case_id == hnd_case)) == "nota hondureña"
        assert s.scalar(select(CaseTask.title).where(CaseTask.case_id == hnd_case)) == "tarea hondureña"
        assert s.scalar(select(CaseService.description).where(CaseService.case_id == hnd_case)) == \
            "servicio hondureño"
        gtm = s.get(Case, gtm_case)
        assert gtm is not None and gtm.erased_at is not None and gtm.summary is None
        p = s.get(Person, person)
        assert p is not None and p.given_names == "Persona gtm_mex"
        assert audit.verify(s).ok


def test_erasure_of_a_sole_holder_erases_the_identity(client, seeded) -> None:
    person = seeded.people["gtm_mex"]
    r = client.post(f"/api/v1/people/{person}/erase", headers=login(client, "gtm_head"))
    assert r.status_code == 200 and r.json()["person_erased"] is True and r.json()["cases"] == 1


# ---------------------------------------------------------------- item 2: a share grants reading

def _receiver_attempts(client, seeded, h):
    case = seeded.cases["hnd_shared"]
    person = seeded.people["hnd_shared"]
    cur = client.get(f"/api/v1/cases/{case}", headers=h)
    assert cur.status_code == 200  # the share does grant reading
    v = cur.json()["version"]
    pv = client.get(f"/api/v1/people/{person}", headers=h).json()["version"]
    return {
        "edit sensitive": client.patch(f"/api/v1/cases/{case}",
                                       json={"version": v, "trafficking_details": "x"}, headers=h),
        "edit summary": client.patch(f"/api/v1/cases/{case}", json={"version": v, "summary": "x"}, headers=h),
        "status": client.post(f"/api/v1/cases/{case}/transition",
                              json={"version": v, "to": "assessment"}, headers=h),
        "reassign": client.post(f"/api/v1/cases/{case}/assign",
                                json={"version": v, "officer_id": seeded.world.users["gtm_officer"]}, headers=h),
        "rename": client.patch(f"/api/v1/people/{person}", json={"version": pv, "given_names": "X"}, headers=h),
        "re-share": client.post(f"/api/v1/cases/{case}/shares",
                                json={"organisation_id": seeded.world.orgs["mex_ngo"]}, headers=h),
        "note": client.post(f"/api/v1/cases/{case}/notes", json={"body": "x"}, headers=h),
        "task": client.post(f"/api/v1/cases/{case}/tasks", json={"title": "x"}, headers=h),
        "service": client.post(f"/api/v1/cases/{case}/services", json={"service_type": "legal"}, headers=h),
        "export": client.get(f"/api/v1/people/{person}/export", headers=h),
        "erase": client.post(f"/api/v1/people/{person}/erase", headers=h),
    }


@pytest.mark.parametrize("user", ["gtm_head", "gtm_officer", "gtm_supervisor"])
def test_share_grants_reading_only(client, rt, seeded, user) -> None:
    h = login(client, user)
    answers = _receiver_attempts(client, seeded, h)
    assert {k: r.status_code for k, r in answers.items()} == dict.fromkeys(answers, 403)
    assert all(r.json()["detail"]["es"] and r.json()["detail"]["en"] for r in answers.values())
    with rt.sessions() as s:
        case = s.get(Case, seeded.cases["hnd_shared"])
        assert case is not None and case.version == 1 and case.erased_at is None
        assert [sh.organisation_id for sh in case.shares] == [seeded.world.orgs["gtm_consulate_mex"]]
    # the third organisation never gained access
    assert client.get(f"/api/v1/cases/{seeded.cases['hnd_shared']}",
                      headers=login(client, "mex_caseworker")).status_code == 404


def test_share_receiver_does_not_learn_the_other_receivers(client, seeded) -> None:
    case = seeded.cases["hnd_shared"]
    owner = login(client, "hnd_head")
    third = seeded.world.orgs["mex_ngo"]
    assert client.post(f"/api/v1/cases/{case}/shares", json={"organisation_id": third},
                       headers=owner).status_code == 200
    gtm_org = seeded.world.orgs["gtm_consulate_mex"]
    assert client.get(f"/api/v1/cases/{case}", headers=owner).json()["shared_with"] == sorted([gtm_org, third])
    assert client.get(f"/api/v1/cases/{case}", headers=login(client, "gtm_head")).json()["shared_with"] == [gtm_org]


def test_owner_audit_shows_actions_of_the_share_receiver(client, seeded) -> None:
    case, person = seeded.cases["hnd_shared"], seeded.people["hnd_shared"]
    gtm = login(client, "gtm_head")
    assert client.get(f"/api/v1/cases/{case}", headers=gtm).status_code == 200
    assert client.get(f"/api/v1/people/{person}", headers=gtm).status_code == 200
    assert client.post(f"/api/v1/cases/{case}/transition", json={"version": 1, "to": "assessment"},
                       headers=gtm).status_code == 403
    actor = seeded.world.users["gtm_head"]
    for owner in ("hnd_head", "hnd_supervisor"):
        rows = client.get("/api/v1/audit", params={"actor_id": actor, "limit": 1000},
                          headers=login(client, owner)).json()
        seen = {(e["action"], e["record_type"], e["record_id"], e["outcome"]) for e in rows}
        assert {("case.read", "case", str(case), "granted"), ("person.read", "person", str(person), "granted"),
                ("case.transition", "case", str(case), "denied")} <= seen, owner
        # only entries about Honduras' records, not the rest of Guatemala's activity
        assert all((e["record_type"], e["record_id"]) in {("case", str(case)), ("person", str(person))}
                   for e in rows)


# ---------------------------------------------------------------- item 10: erased records, bounds

def test_erased_case_and_person_refuse_edits(client, seeded) -> None:
    h = login(client, "gtm_head")
    case, person = seeded.cases["gtm_mex"], seeded.people["gtm_mex"]
    assert client.post(f"/api/v1/people/{person}/erase", headers=h).status_code == 200
    v = client.get(f"/api/v1/cases/{case}", headers=h).json()["version"]
    attempts = [
        client.patch(f"/api/v1/cases/{case}", json={"version": v, "summary": "de nuevo"}, headers=h),
        client.post(f"/api/v1/cases/{case}/notes", json={"body": "de nuevo"}, headers=h),
        client.post(f"/api/v1/cases/{case}/tasks", json={"title": "de nuevo"}, headers=h),
        client.post(f"/api/v1/cases/{case}/services", json={"service_type": "legal"}, headers=h),
    ]
    for r in attempts:
        assert r.status_code == 409, r.text
        detail = r.json()["detail"]
        assert "borrado" in detail["es"] and "erased" in detail["en"]
    assert client.get(f"/api/v1/cases/{case}", headers=h).json()["summary"] is None
    pv = client.get(f"/api/v1/people/{person}", headers=h).json()["version"]
    assert client.patch(f"/api/v1/people/{person}", json={"version": pv, "given_names": "X"},
                        headers=h).status_code == 409


@pytest.mark.parametrize("body", [
    {"date_of_birth": (dt.date.today() + dt.timedelta(days=1)).isoformat()},
    {"date_of_birth": "1850-01-01"},
    {"documents": [{"kind": "passport", "number": str(i)} for i in range(21)]},
    {"contacts": [{"kind": "phone", "value": str(i)} for i in range(21)]},
    {"documents": [{"kind": "", "number": ""}]},
])
def test_person_bounds(client, seeded, body) -> None:
    h = login(client, "gtm_head")
    r = client.post("/api/v1/people", json={"given_names": "Ana", **body}, headers=h)
    assert r.status_code == 422, r.text
    pv = client.get(f"/api/v1/people/{seeded.people['gtm_mex']}", headers=h).json()["version"]
    r = client.patch(f"/api/v1/people/{seeded.people['gtm_mex']}", json={"version": pv, **body}, headers=h)
    assert r.status_code == 422, r.text


def test_task_and_service_dates_bounded(client, seeded) -> None:
    h = login(client, "gtm_head")
    case = seeded.cases["gtm_mex"]
    assert client.post(f"/api/v1/cases/{case}/tasks", json={"title": "t", "due_date": "9999-12-31"},
                       headers=h).status_code == 422
    assert client.post(f"/api/v1/cases/{case}/services",
                       json={"service_type": "legal", "delivered_on": "0001-01-01"}, headers=h).status_code == 422


# ---------------------------------------------------------------- item 11: audit paging ends

def test_audit_paging_ends(client, seeded) -> None:
    h = login(client, "gtm_supervisor")
    first = client.get("/api/v1/audit", params={"limit": 1000}, headers=h)
    upto = int(first.headers["X-Audit-Upto"])
    expected = [e["id"] for e in first.json()]
    assert expected and expected[-1] <= upto
    seen: list[int] = []
    url: str | None = f"/api/v1/audit?limit=3&upto_id={upto}"
    for _ in range(len(expected) + 2):  # each page read adds an entry in scope; the bound holds
        if url is None:
            break
        r = client.get(url, headers=h)
        assert r.status_code == 200
        seen += [e["id"] for e in r.json()]
        link = r.headers.get("Link")
        url = re.match(r'<([^>]+)>; rel="next"', link).group(1) if link else None
    assert url is None
    assert seen == expected


def test_the_audit_bound_says_nothing_of_other_countries(client, seeded, rt) -> None:
    # X-Audit-Upto is the newest entry the reader may see: the newest of the whole audit told a
    # country's supervisor how busy every other country was
    h = login(client, "gtm_supervisor")
    first = client.get("/api/v1/audit", params={"limit": 1000}, headers=h)
    hnd = login(client, "hnd_head")  # activity elsewhere after the reader's last visible entry
    assert client.get(f"/api/v1/cases/{seeded.cases['hnd_mex']}", headers=hnd).status_code == 200
    again = client.get("/api/v1/audit", params={"limit": 1000}, headers=h)
    visible = [e["id"] for e in again.json()]
    assert int(again.headers["X-Audit-Upto"]) == visible[-1]
    with rt.sessions() as s:
        newest = s.scalar(select(func.max(AuditEntry.id)))
    assert newest > visible[-1] >= int(first.headers["X-Audit-Upto"])


# ---------------------------------------------------------------- item 14: no existence oracle

@pytest.mark.parametrize("path", ["/api/v1/people", "/api/v1/cases"])
def test_missing_and_foreign_organisation_answer_alike(client, seeded, path) -> None:
    h = login(client, "gtm_head")
    foreign = seeded.world.orgs["hnd_consulate_mex"]
    body = ({"given_names": "Ana"} if path == "/api/v1/people"
            else {"case_type": "detention", "person_id": seeded.people["gtm_mex"]})
    answers = [client.post(path, json={**body, "organisation_id": org}, headers=h)
               for org in (foreign, 987_654)]
    assert [r.status_code for r in answers] == [403, 403]
    details = [r.json()["detail"] for r in answers]
    assert details[0]["en"].replace(str(foreign), "X") == details[1]["en"].replace("987654", "X")
    assert details[0]["es"].replace(str(foreign), "X") == details[1]["es"].replace("987654", "X")


def test_family_links_name_only_readable_relatives(client, seeded) -> None:
    """Same class as item 1: a person read through a share must not reveal relatives the
    reader cannot read (their id and the relation)."""
    head = login(client, "gtm_head")
    child, mother = seeded.people["gtm_mex"], seeded.people["gtm_mex_own"]
    assert client.post(f"/api/v1/people/{child}/family-links", json={"relative_id": mother, "kind": "mother"},
                       headers=head).status_code == 200
    assert client.post(f"/api/v1/cases/{seeded.cases['gtm_mex']}/shares",
                       json={"organisation_id": seeded.world.orgs["hnd_consulate_mex"]}, headers=head).status_code == 200
    assert client.get(f"/api/v1/people/{child}", headers=head).json()["family_links"] == [
        {"relative_id": mother, "kind": "mother"}]
    hnd = login(client, "hnd_officer")
    assert client.get(f"/api/v1/people/{mother}", headers=hnd).status_code == 404
    r = client.get(f"/api/v1/people/{child}", headers=hnd)
    assert r.status_code == 200 and r.json()["family_links"] == []


def test_cli_export_holds_only_cases_the_user_may_export(client, db_url, monkeypatch,
                                                         foreign_case_on_shared_person) -> None:
    """Item 1 through ``observatorio cases person export``: the same case-by-case decision."""
    import json

    from typer.testing import CliRunner

    from observatorio.cases.cli import PASSWORD_ENV, app
    from observatorio.settings import get_settings

    from .conftest import PASSWORD

    person, gtm_case, _ = foreign_case_on_shared_person
    monkeypatch.setenv("OBSERVATORIO_SECRET_KEY", "cli-test-secret-cli-test-secret-cli-test")
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(app, ["person", "export", str(person), "--url", db_url, "--user", "gtm_head"])
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 0, r.output
    export = json.loads(r.stdout)
    assert [c["id"] for c in export["cases"]] == [gtm_case]
    assert "VIH" not in r.stdout and "hondureñ" not in r.stdout


def test_policy_document_names_what_a_share_grants(client) -> None:
    assert client.get("/api/v1/cases/policy").json()["share_grants"] == ["case.read", "person.read"]
