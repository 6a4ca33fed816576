"""Officer forms beyond registering and opening: edit (a stale edit shows what changed),
lifecycle transitions, tasks, services, the case list's filters and CSV export, and possible
duplicates when registering a person — within what the officer may see, never beyond."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from observatorio.cases import (
    audit_queries,
    case_records,
    case_writes,
    person_records,
    person_rights,
)
from observatorio.cases.models import AuditEntry, Case, CaseService, CaseTask, Person
from observatorio.cases.schemas import CaseCreate, CaseUpdate, PersonCreate
from observatorio.cases.vocab import CaseType

from .conftest import SENSITIVE_ALL, ctx_for
from .test_officer_web import XSS, _login
from .test_web import _csrf


def _token(client, cid: int) -> str:
    return _csrf(client.get(f"/cases/c/{cid}").text)


def _version(rt, cid: int) -> int:
    with rt.sessions() as s:
        return s.get(Case, cid).version


# ---------------------------------------------------------------- edit


def test_edit_saves_and_a_stale_edit_shows_what_changed(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex"]
    _login(client, "gtm_head")
    form = client.get(f"/cases/c/{cid}/edit")
    assert form.status_code == 200 and 'name="version" value="1"' in form.text
    assert SENSITIVE_ALL["trafficking_details"] in form.text  # the head holds every group
    token = _csrf(form.text)
    # meanwhile a colleague changes the summary (version 1 -> 2)
    with rt.sessions() as s:
        case_writes.update_case(ctx_for(s, seeded.world, "gtm_head"), cid,
                                CaseUpdate(version=1, summary="cambio de la colega"))
    r = client.post(f"/cases/c/{cid}/edit", data={"csrf_token": token, "version": "1", "risk_level": "high",
                                                   "summary": "mi resumen", "location": "Tapachula"})
    assert r.status_code == 409
    assert "Cambios de otras personas" in r.text and "cambio de la colega" in r.text and "<td>gtm_head</td>" in r.text
    assert "mi resumen" in r.text and 'name="version" value="2"' in r.text  # what I typed is kept
    assert _version(rt, cid) == 2  # nothing of the stale edit was written
    # sending it again on the current version is a deliberate overwrite
    r = client.post(f"/cases/c/{cid}/edit", data={"csrf_token": token, "version": "2", "risk_level": "high",
                                                   "summary": "mi resumen", "location": "Tapachula"},
                    follow_redirects=False)
    assert r.status_code == 303
    with rt.sessions() as s:
        case = s.get(Case, cid)
        assert (case.summary, case.risk_level, case.location, case.version) == ("mi resumen", "high", "Tapachula", 3)
        assert case.trafficking_details == SENSITIVE_ALL["trafficking_details"]  # sent unchanged, kept


def test_edit_form_omits_sensitive_fields_and_refuses_them_when_forged(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]  # created by gtm_officer, who holds health only
    _login(client, "gtm_officer")
    form = client.get(f"/cases/c/{cid}/edit").text
    assert 'name="health_details"' in form and 'name="trafficking_details"' not in form
    r = client.post(f"/cases/c/{cid}/edit", data={"csrf_token": _csrf(form), "version": "1",
                                                   "trafficking_details": "escrito sin permiso"})
    assert r.status_code == 403 and "campos sensibles" in r.text
    assert "escrito sin permiso" not in r.text  # nor echoed back into a field the role lacks
    with rt.sessions() as s:
        assert s.get(Case, cid).trafficking_details is None
        denied = s.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied",
                                                    AuditEntry.action == "case.update")).all()
        assert denied


def test_edit_refused_to_a_role_without_the_grant(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex"]  # consular officers edit only their own cases
    _login(client, "gtm_officer")
    assert client.get(f"/cases/c/{cid}/edit").status_code == 403
    assert "Modificar el caso" not in client.get(f"/cases/c/{cid}").text  # no link to a refused form
    _login(client, "hnd_officer")  # another country: as if missing
    assert client.get(f"/cases/c/{cid}/edit").status_code == 404


def test_edit_rejects_bad_values_with_a_named_field(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex"]
    _login(client, "gtm_head")
    token = _token(client, cid)
    r = client.post(f"/cases/c/{cid}/edit", data={"csrf_token": token, "version": "1", "risk_level": "extreme",
                                                   "summary": "queda"})
    assert r.status_code == 422 and "risk_level" in r.text and "queda" in r.text
    assert _version(rt, cid) == 1


# ---------------------------------------------------------------- transitions


def test_lifecycle_transitions(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]
    _login(client, "gtm_officer")
    page = client.get(f"/cases/c/{cid}").text
    assert 'name="to"' in page and 'value="assessment"' in page and 'value="plan"' not in page
    token = _csrf(page)
    r = client.post(f"/cases/c/{cid}/transition", data={"csrf_token": token, "version": "1", "to": "assessment"},
                    follow_redirects=False)
    assert r.status_code == 303
    # a step the lifecycle does not allow is refused with the allowed ones named
    r = client.post(f"/cases/c/{cid}/transition", data={"csrf_token": token, "version": "2", "to": "in_progress"})
    assert r.status_code == 422 and "No se puede pasar" in r.text
    # a stale version is a conflict, not a silent move
    r = client.post(f"/cases/c/{cid}/transition", data={"csrf_token": token, "version": "1", "to": "closed"})
    assert r.status_code == 409
    with rt.sessions() as s:
        assert s.get(Case, cid).status == "assessment"
    _login(client, "gtm_officer2")  # a colleague may read but not move another officer's case
    assert 'name="to"' not in client.get(f"/cases/c/{cid}").text
    r = client.post(f"/cases/c/{cid}/transition", data={"csrf_token": _token(client, cid), "version": "2",
                                                         "to": "closed"})
    assert r.status_code == 403
    with rt.sessions() as s:
        assert s.get(Case, cid).status == "assessment"


# ---------------------------------------------------------------- tasks and services


def test_tasks_added_completed_and_overdue_in_my_work(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]
    _login(client, "gtm_officer")
    token = _token(client, cid)
    due = dt.date(2030, 1, 10)
    r = client.post(f"/cases/c/{cid}/tasks", data={"csrf_token": token, "title": "Llamar a la familia",
                                                    "due_date": due.isoformat(),
                                                    "assignee_id": str(seeded.world.users["gtm_officer"])},
                    follow_redirects=False)
    assert r.status_code == 303
    client.app.state.cases_clock = lambda: dt.datetime(2030, 1, 9, 12, tzinfo=dt.UTC)
    assert "Vencida el" not in client.get("/cases/work").text
    client.app.state.cases_clock = lambda: dt.datetime(2030, 1, 11, 12, tzinfo=dt.UTC)
    work = client.get("/cases/work").text
    assert "Llamar a la familia" in work and "Vencida el: 2030-01-10" in work
    with rt.sessions() as s:
        tid = s.scalar(select(CaseTask.id).where(CaseTask.case_id == cid))
    assert client.post(f"/cases/c/{cid}/tasks/{tid}", data={"csrf_token": token, "done": "1"},
                       follow_redirects=False).status_code == 303
    assert "Llamar a la familia" not in client.get("/cases/work").text
    # an assignee outside the case's organisation, a bad date and another case's task are refused
    r = client.post(f"/cases/c/{cid}/tasks", data={"csrf_token": token, "title": "x",
                                                    "assignee_id": str(seeded.world.users["hnd_officer"])})
    assert r.status_code == 422 and "no pertenece" in r.text
    r = client.post(f"/cases/c/{cid}/tasks", data={"csrf_token": token, "title": "x", "due_date": "31/12/2030"})
    assert r.status_code == 422 and "due_date" in r.text
    r = client.post(f"/cases/c/{seeded.cases['gtm_mex']}/tasks/{tid}", data={"csrf_token": token})
    assert r.status_code in (403, 404)
    with rt.sessions() as s:
        assert s.scalars(select(CaseTask.title)).all() == ["Llamar a la familia"]


def test_services_recorded(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]
    _login(client, "gtm_officer")
    token = _token(client, cid)
    r = client.post(f"/cases/c/{cid}/services", data={"csrf_token": token, "service_type": "legal",
                                                       "status": "delivered", "delivered_on": "2025-08-01",
                                                       "description": "Audiencia acompañada"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/cases/c/{cid}").text
    assert "Asistencia jurídica — Prestado (2025-08-01): Audiencia acompañada" in page
    assert "Legal assistance — Delivered" in client.get(f"/cases/c/{cid}?lang=en").text
    r = client.post(f"/cases/c/{cid}/services", data={"csrf_token": token, "service_type": "legal",
                                                       "status": "teleported"})
    assert r.status_code == 422 and "status" in r.text
    with rt.sessions() as s:
        assert len(s.scalars(select(CaseService)).all()) == 1


# ---------------------------------------------------------------- list, export


def test_list_filters_country_organisation_assigned_and_dates(client, rt, seeded) -> None:
    _login(client, "gtm_supervisor")  # country scope: several organisations of Guatemala
    page = client.get("/cases/").text
    assert "caso gtm_mex" in page and "caso gtm_usa" in page and "caso hnd_mex" not in page
    org = seeded.world.orgs["gtm_consulate_usa"]
    assert f'<option value="{org}">' in page and "Casa del Migrante" not in page  # choices within reach
    only_usa = client.get(f"/cases/?organisation_id={org}").text
    assert "caso gtm_usa" in only_usa and "caso gtm_mex<" not in only_usa
    officer = seeded.world.users["gtm_protection"]
    assigned = client.get(f"/cases/?officer={officer}").text
    assert "caso gtm_child" in assigned and "caso gtm_usa" not in assigned
    today = dt.datetime.now(dt.UTC).date()
    assert "caso gtm_mex" in client.get(f"/cases/?opened_from={today}&opened_to={today}").text
    assert "Ningún caso" in client.get(f"/cases/?opened_to={today - dt.timedelta(days=2)}").text
    assert "Ningún caso" in client.get("/cases/?country=SLV").text
    assert "caso hnd_shared" in client.get("/cases/?country=hnd").text  # shared with a Guatemalan consulate
    r = client.get("/cases/?opened_from=2025-02-30")
    assert r.status_code == 422 and "Filtro «opened_from»" in r.text and "AAAA-MM-DD" in r.text
    r = client.get(f"/cases/?opened_from={today}&opened_to=2000-01-01&lang=en")
    assert r.status_code == 422 and "Filter &#39;opened_to&#39;: the end date is before" in r.text
    _login(client, "gtm_officer")
    mine = client.get("/cases/?officer=me").text
    assert "caso gtm_mex_own" in mine and "caso gtm_mex<" not in mine


def test_search_reads_summary_and_pages_keep_filters(client, rt, seeded) -> None:
    with rt.sessions() as s:
        ctx = ctx_for(s, seeded.world, "gtm_head")
        for i in range(27):
            p = person_records.create_person(ctx, PersonCreate(given_names=f"Lote {i}"))
            case_records.create_case(ctx, CaseCreate(case_type=CaseType.DETENTION, person_id=p.id,
                                                        summary=f"retenido en estación migratoria {i}"))
    _login(client, "gtm_head")
    first = client.get("/cases/?q=estaci%C3%B3n+migratoria&status=open").text
    assert "(27)" in first and "Página 1 de 2" in first
    nxt = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "status=open" in nxt and "q=estaci" in nxt
    assert "Página 2 de 2" in client.get(nxt).text


def test_csv_export_is_filtered_scoped_and_formula_safe(client, rt, seeded) -> None:
    with rt.sessions() as s:
        case_writes.update_case(ctx_for(s, seeded.world, "gtm_head"), seeded.cases["gtm_mex"],
                                CaseUpdate(version=1, summary="=HYPERLINK(\"http://x\",\"y\")", location="@SUM(A1)"))
    _login(client, "gtm_head")
    r = client.get("/cases/export.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0][0] == "Referencia"
    cells = [c for row in rows[1:] for c in row]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells and "'@SUM(A1)" in cells
    assert not any(c[:1] in "=+-@" for c in cells if c and not re.fullmatch(r"[+-]?\d+(\.\d+)?", c))
    text = r.text
    assert "caso hnd_shared" in text and "caso hnd_mex" not in text  # shared yes, out of reach no
    assert all(v not in text for v in SENSITIVE_ALL.values())  # sensitive fields are never exported
    assert client.get("/cases/export.csv?status=closed").text.count("\n") == 1  # header only
    assert client.get("/cases/export.csv?opened_from=yesterday").status_code == 422


# ---------------------------------------------------------------- possible duplicates


def _register(client, **fields):
    token = _csrf(client.get("/cases/people/new").text)
    return client.post("/cases/people/new", data={"csrf_token": token, **fields}, follow_redirects=False)


def test_possible_duplicates_within_reach_only(client, rt, seeded) -> None:
    with rt.sessions() as s:
        for user, org in (("gtm_officer", "gtm_consulate_mex"), ("hnd_officer", "hnd_consulate_mex")):
            person_records.create_person(ctx_for(s, seeded.world, user),
                                         PersonCreate(given_names="José Luis", family_names=f"Pérez López {user}",
                                               date_of_birth=dt.date(2010, 3, 4),
                                               organisation_id=seeded.world.orgs[org]))
    _login(client, "gtm_officer2")
    r = _register(client, given_names="Jose Luis", family_names="Perez Lopez gtm_officer",
                  date_of_birth="2010-04-03")  # no accents, day and month swapped
    assert r.status_code == 200 and "Posibles duplicados" in r.text
    assert "Pérez López gtm_officer" in r.text and "fecha de nacimiento parecida" in r.text
    assert "hnd_officer" not in r.text  # a person of another country's consulate is never shown
    assert 'name="confirm_new" value="1"' in r.text and "Jose Luis" in r.text  # typed values kept
    with rt.sessions() as s:
        assert s.scalar(select(Person.id).where(Person.family_names == "Perez Lopez gtm_officer")) is None
        shown = s.scalars(select(AuditEntry.record_id).where(AuditEntry.action == "person.duplicates")).all()
        gtm = s.scalar(select(Person.id).where(Person.family_names == "Pérez López gtm_officer"))
        assert shown == [str(gtm)]
    # the officer says it is someone else: registered, then on to opening a case
    r = _register(client, given_names="Jose Luis", family_names="Perez Lopez gtm_officer",
                  date_of_birth="2010-04-03", confirm_new="1")
    assert r.status_code == 303 and "/cases/c/new?person_id=" in r.headers["location"]
    # a different person (other name, other date) is registered straight away
    assert _register(client, given_names="Ana", family_names="Ramírez", date_of_birth="1990-01-01").status_code == 303


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("2010-03-04", "2010-03-04", "same"), ("2010-03-04", "2010-04-03", "similar"),
    ("2010-03-04", "2011-03-04", "similar"), ("2010-03-04", "2012-05-04", None), (None, "2010-03-04", "unknown")])
def test_date_of_birth_relation(a, b, expected) -> None:
    from observatorio.cases.duplicates import dob_relation

    def day(v):
        return dt.date.fromisoformat(v) if v else None

    assert dob_relation(day(a), day(b)) == expected


# ---------------------------------------------------------------- CSRF and stored XSS on the new forms


def _new_forms(cid: int, tid: int) -> list[tuple[str, dict[str, str]]]:
    return [(f"/cases/c/{cid}/edit", {"version": "1", "summary": "forjado"}),
            (f"/cases/c/{cid}/transition", {"version": "1", "to": "closed"}),
            (f"/cases/c/{cid}/tasks", {"title": "forjado"}),
            (f"/cases/c/{cid}/tasks/{tid}", {"done": "1"}),
            (f"/cases/c/{cid}/services", {"service_type": "forjado"})]


def test_new_forms_refuse_missing_or_forged_csrf(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]
    _login(client, "gtm_officer")
    token = _token(client, cid)
    client.post(f"/cases/c/{cid}/tasks", data={"csrf_token": token, "title": "real"})
    with rt.sessions() as s:
        tid = s.scalar(select(CaseTask.id))
    for url, data in _new_forms(cid, tid):
        for forged in (None, "f" * 64):
            body = dict(data) | ({"csrf_token": forged} if forged else {})
            assert client.post(url, data=body, follow_redirects=False).status_code == 403, url
    with rt.sessions() as s:
        case = s.get(Case, cid)
        assert (case.version, case.status, case.summary) == (1, "open", "caso gtm_mex_own")
        assert s.scalars(select(CaseTask.title)).all() == ["real"] and not s.scalar(select(CaseTask.done))
        assert s.scalar(select(CaseService.id)) is None


def test_stored_xss_is_escaped_on_the_new_forms(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]
    _login(client, "gtm_officer")
    token = _token(client, cid)
    for url, data in ((f"/cases/c/{cid}/edit", {"version": "1", "summary": XSS, "location": XSS[:200],
                                                "health_details": XSS}),
                      (f"/cases/c/{cid}/tasks", {"title": XSS[:200]}),
                      (f"/cases/c/{cid}/services", {"service_type": XSS[:60], "description": XSS})):
        assert client.post(url, data={"csrf_token": token, **data}, follow_redirects=False).status_code == 303, url
    with rt.sessions() as s:  # a stale edit's table of changes shows stored markup too
        case_writes.update_case(ctx_for(s, seeded.world, "gtm_officer"), cid, CaseUpdate(version=2, summary=XSS + "2"))
    conflict = client.post(f"/cases/c/{cid}/edit", data={"csrf_token": token, "version": "1", "summary": XSS})
    assert conflict.status_code == 409
    _register(client, given_names=XSS[:200], family_names="Duplicada")
    dup = _register(client, given_names=XSS[:200], family_names="Duplicada")
    assert "Posibles duplicados" in dup.text
    for html in (client.get(f"/cases/c/{cid}").text, client.get(f"/cases/c/{cid}/edit").text, conflict.text,
                 client.get("/cases/work").text, client.get("/cases/").text, dup.text):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_case_page_audits_every_read_in_one_transaction(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex"]
    _login(client, "gtm_head")
    with rt.sessions() as s:
        before = s.scalar(select(func.max(AuditEntry.id)))
    assert client.get(f"/cases/c/{cid}").status_code == 200
    with rt.sessions() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.id > before)).all()
        assert {(e.action, e.record_id) for e in rows} >= {
            ("case.read", str(cid)), ("person.read", str(seeded.people["gtm_mex"])), ("case.protocol.read", str(cid)),
            ("case.notes.read", str(cid)), ("case.tasks.read", str(cid)), ("case.services.read", str(cid)),
            ("case.history.read", str(cid))}
        assert all(e.outcome != "denied" for e in rows)
    _login(client, "hnd_officer")  # out of reach: the refusal is on record too
    assert client.get(f"/cases/c/{cid}").status_code == 404
    with rt.sessions() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert (last.action, last.outcome, last.actor) == ("case.read", "denied", "hnd_officer")
        assert audit_queries.verify_audit(ctx_for(s, seeded.world, "auditor")).ok


def test_audit_trail_on_the_case_page_only_for_audit_readers(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]
    _login(client, "hnd_officer")
    client.get(f"/cases/c/{cid}")  # a refused look from another country
    _login(client, "gtm_officer")
    assert "/trail" not in client.get(f"/cases/c/{cid}").text  # consular officers hold no audit.read
    assert client.get(f"/cases/c/{cid}/trail").status_code == 403
    _login(client, "gtm_head")
    assert f"/cases/c/{cid}/trail" in client.get(f"/cases/c/{cid}").text
    page = client.get(f"/cases/c/{cid}/trail").text
    read = '<span title="case.read">Lectura del caso</span> <code class="cases-audit-code">case.<wbr>read</code>'
    row = '<td data-label="Quién">{}</td><td data-label="Acción">{}</td><td data-label="Resultado">{}</td>'
    assert row.format("gtm_officer", read, "permitido") in page
    assert row.format("hnd_officer", read, "denegado") in page
    with rt.sessions() as s:
        reads = s.scalars(select(AuditEntry).where(AuditEntry.action == "audit.read")).all()
        assert [(e.actor, e.outcome) for e in reads] == [("gtm_officer", "denied"), ("gtm_head", "granted")]
        assert f"record_id={cid}" in reads[-1].fields


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64 + 5])
def test_huge_numbers_in_the_new_forms_are_not_found_not_500(client, seeded, number) -> None:
    cid = seeded.cases["gtm_mex_own"]
    _login(client, "gtm_officer")
    token = _token(client, cid)
    assert client.get(f"/cases/c/{number}/edit").status_code == 404
    for url, data in _new_forms(number, 1) + [(f"/cases/c/{cid}/tasks/{number}", {"done": "1"})]:
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 404, url
    for url, data in ((f"/cases/c/{cid}/tasks", {"title": "t", "assignee_id": str(number)}),
                      (f"/cases/c/{cid}/edit", {"version": str(number), "summary": "s"}),
                      (f"/cases/c/{cid}/transition", {"version": str(number), "to": "closed"})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 422, url
    for q in (f"organisation_id={number}", f"officer={number}", "page=" + str(number)):
        assert client.get(f"/cases/?{q}").status_code in (200, 422), q


def test_batched_page_reads_keep_earlier_reads_when_a_later_one_is_refused(rt, seeded) -> None:
    from observatorio.cases.errors import NotFound
    from observatorio.cases.page_ctx import BatchedCtx

    with rt.sessions() as s:
        before = s.scalar(select(func.max(AuditEntry.id)))
        ctx = BatchedCtx.of(ctx_for(s, seeded.world, "gtm_officer"))
        case_records.get_case(ctx, seeded.cases["gtm_mex_own"])  # held, not yet appended
        with pytest.raises(NotFound):
            person_records.get_person(ctx, seeded.people["hnd_mex"])  # another country's person
        rows = s.scalars(select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id)).all()
        assert [(e.action, e.outcome) for e in rows] == [("case.read", "granted"), ("person.read", "denied")]
        assert audit_queries.verify_audit(ctx_for(s, seeded.world, "auditor")).ok


def test_injection_in_the_list_and_export_filters(client, rt, seeded) -> None:
    from .test_injection import PAYLOADS

    _login(client, "gtm_supervisor")
    baseline = client.get("/cases/export.csv").text.count("\n")
    for param in ("q", "country", "organisation_id", "officer", "opened_from", "status"):
        for payload in PAYLOADS:
            for path in ("/cases/", "/cases/export.csv"):
                r = client.get(path, params={param: payload})
                assert r.status_code in (200, 422), (path, param, payload, r.status_code)
                if path.endswith(".csv") and r.status_code == 200:
                    assert r.text.count("\n") <= baseline, (param, payload)  # a filter never widens
    with rt.sessions() as s:
        assert len(s.scalars(select(Case)).unique().all()) == len(seeded.cases)


def test_an_erased_case_offers_no_edit(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]
    with rt.sessions() as s:
        person_rights.erase_person(ctx_for(s, seeded.world, "gtm_head"), seeded.people["gtm_mex_own"])
    _login(client, "gtm_head")
    assert "/edit" not in client.get(f"/cases/c/{cid}").text
    r = client.get(f"/cases/c/{cid}/edit")
    assert r.status_code == 409 and "borrado" in r.text
