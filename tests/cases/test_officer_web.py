"""Officer web pages: every case page for every role shows no field outside the role's grants;
stored XSS and CSRF on every form; overdue steps with an injected clock; the public protocols."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from observatorio.cases import case_work
from observatorio.cases.auth import principal_of
from observatorio.cases.models import AuditEntry, Case, CaseNote, CaseStep, Person
from observatorio.cases.policy import authorize, case_resource, get_policy, person_resource
from observatorio.cases.schemas import NoteIn

from .conftest import SEED_CASES, SENSITIVE_ALL, USERS, ctx_for
from .test_web import _csrf, _web_login

# a label of each sensitive field as rendered (Spanish first) — absent too when not granted
FIELD_LABELS = {"health_details": "<dt>Salud</dt>", "trafficking_details": "<dt>Trata de personas</dt>",
                "child_protection_details": "<dt>Protección de la niñez</dt>"}


def _login(client, user: str) -> None:
    client.cookies.clear()
    assert _web_login(client, user).status_code == 303


SECRET_NOTES = {"trafficking": "nota reservada de trata", "child_protection": "nota reservada de niñez"}


def test_every_case_page_for_every_role_shows_only_granted_fields(client, rt, seeded) -> None:
    with rt.sessions() as s:  # sensitive notes on a case many roles reach (held and shared)
        for key in ("gtm_mex", "hnd_shared"):
            user = SEED_CASES[key][0]
            for group, body in SECRET_NOTES.items():
                case_work.add_note(ctx_for(s, seeded.world, user), seeded.cases[key],
                                   NoteIn(body=f"{body} {key}", sensitivity=group))
    roles_seen = set()
    for user, (_org, role) in USERS.items():
        roles_seen.add(role)
        _login(client, user)
        with rt.sessions() as s:
            principal = principal_of(s, seeded.world.users[user])
            expected = {}
            for key, cid in seeded.cases.items():
                case = s.get(Case, cid)
                person = s.get(Person, case.person_id)
                cases_of_person = s.scalars(select(Case).where(Case.person_id == person.id)).unique().all()
                expected[key] = (authorize(principal, "case.read", case_resource(case)),
                                 authorize(principal, "person.read", person_resource(person, cases_of_person)))
        for page in ("/cases/work", "/cases/", "/cases/?lang=en", "/cases/export.csv", "/cases/people/new"):
            html = client.get(page).text
            assert all(v not in html for v in SENSITIVE_ALL.values()), (user, page)
        for key, cid in seeded.cases.items():
            read, person_read = expected[key]
            r = client.get(f"/cases/c/{cid}")
            if not read.allowed:
                assert r.status_code == 404 and f"caso {key}" not in r.text and f"Persona {key}" not in r.text
                continue
            assert r.status_code == 200 and f"caso {key}" in r.text, (user, key)
            for f, value in SENSITIVE_ALL.items():
                if f in read.hidden_fields:
                    assert value not in r.text and FIELD_LABELS[f] not in r.text, (user, key, f)
                elif f in SEED_CASES[key][2]:  # positive control: a granted field is shown
                    assert SEED_CASES[key][2][f] in r.text, (user, key, f)
            for group, body in SECRET_NOTES.items():
                if key in ("gtm_mex", "hnd_shared"):
                    shown = f"{body} {key}" in r.text
                    assert shown == (group in read.field_groups), (user, key, group)
            if not person_read.allowed:
                assert f"Persona {key}" not in r.text, (user, key)
            trail = client.get(f"/cases/c/{cid}/trail")  # the audit trail: who did what, never values
            assert trail.status_code in (200, 403) and all(v not in trail.text for v in SENSITIVE_ALL.values())
            edit = client.get(f"/cases/c/{cid}/edit")  # the edit form: only granted fields, as inputs too
            assert edit.status_code in (200, 403), (user, key)
            assert ("/edit" in r.text) == (edit.status_code == 200), (user, key)
            for f, value in SENSITIVE_ALL.items():
                if f in read.hidden_fields:
                    assert value not in edit.text and f'name="{f}"' not in edit.text, (user, key, f)
    assert roles_seen == set(get_policy().roles)  # the matrix covers every role of the policy


def _case_page(client, cid: int) -> str:
    r = client.get(f"/cases/c/{cid}")
    assert r.status_code == 200
    return r.text


def test_forms_refuse_missing_or_forged_csrf(client, rt, seeded) -> None:
    _login(client, "gtm_officer")
    cid = seeded.cases["gtm_mex_own"]
    forms = [(f"/cases/c/{cid}/notes", {"body": "hola"}),
             (f"/cases/c/{cid}/steps/identify", {"record_age_basis": "doc"}),
             ("/cases/people/new", {"given_names": "Forjado"}),
             ("/cases/c/new", {"person_id": str(seeded.people["gtm_mex_own"]), "case_type": "detention"})]
    for url, data in forms:
        for token in (None, "f" * 64):
            body = dict(data) | ({"csrf_token": token} if token else {})
            r = client.post(url, data=body, follow_redirects=False)
            assert r.status_code == 403, url
    with rt.sessions() as s:
        assert s.scalar(select(CaseNote.id)) is None
        assert s.scalar(select(Person.id).where(Person.given_names == "Forjado")) is None
        assert len(s.scalars(select(Case)).unique().all()) == len(seeded.cases)
    # a token of another session is refused too
    other = _csrf(_case_page(client, cid))
    _login(client, "gtm_officer2")
    assert client.post(f"/cases/c/{cid}/notes", data={"body": "x", "csrf_token": other},
                       follow_redirects=False).status_code == 403


XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_stored_xss_is_escaped_on_every_form(client, rt, world) -> None:
    _login(client, "gtm_officer")
    token = _csrf(client.get("/cases/people/new").text)
    r = client.post("/cases/people/new", data={"given_names": XSS, "family_names": XSS, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    pid = int(re.search(r"person_id=(\d+)", r.headers["location"]).group(1))
    r = client.post("/cases/c/new", data={"person_id": str(pid), "case_type": "unaccompanied_child",
                                          "summary": XSS, "location": XSS, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    cid = int(r.headers["location"].split("/")[-1].split("?")[0])
    assert client.post(f"/cases/c/{cid}/notes", data={"body": XSS, "csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert client.post(f"/cases/c/{cid}/steps/identify", data={"record_age_basis": XSS, "csrf_token": token},
                       follow_redirects=False).status_code == 303
    for page in (f"/cases/c/{cid}", "/cases/", "/cases/work", f"/cases/?q={XSS}"):
        html = client.get(page).text
        assert "<script>alert" not in html and "<img src=x" not in html, page
        assert "&lt;script&gt;" in html, page
    # a refused form shows the error without echoing markup either
    r = client.post("/cases/people/new", data={"given_names": XSS, "date_of_birth": "2999-01-01",
                                               "csrf_token": token})
    assert r.status_code == 422 and "<script>alert" not in r.text
    with rt.sessions() as s:
        assert s.scalar(select(CaseStep.record).where(CaseStep.case_id == cid)) == {"age_basis": XSS}


def test_overdue_step_appears_in_my_work_with_injected_clock(client, rt, world) -> None:
    _login(client, "gtm_officer")
    token = _csrf(client.get("/cases/people/new").text)
    r = client.post("/cases/people/new", data={"given_names": "Niña", "csrf_token": token}, follow_redirects=False)
    pid = int(re.search(r"person_id=(\d+)", r.headers["location"]).group(1))
    r = client.post("/cases/c/new", data={"person_id": str(pid), "case_type": "unaccompanied_child",
                                          "csrf_token": token}, follow_redirects=False)
    cid = int(r.headers["location"].split("/")[-1].split("?")[0])
    with rt.sessions() as s:
        opened = s.get(Case, cid).opened_at.replace(tzinfo=dt.UTC)
    client.app.state.cases_clock = lambda: opened + dt.timedelta(hours=11)
    work = client.get("/cases/work").text
    assert "Ningún paso vencido" in work
    client.app.state.cases_clock = lambda: opened + dt.timedelta(hours=13)  # MEX variant: 12 h
    work = client.get("/cases/work").text
    assert "Identificar y registrar a la persona menor de edad" in work and "Vencido desde" in work
    assert "Vencido desde" in client.get(f"/cases/c/{cid}").text
    english = client.get("/cases/work?lang=en").text
    assert "Overdue since" in english and 'lang="en"' in english
    # the head of the consulate sees it under supervision; a colleague does not see it at all
    _login(client, "gtm_head")
    work = client.get("/cases/work").text
    assert "Pasos vencidos bajo mi supervisión (1)" in work and "Identificar y registrar" in work
    _login(client, "gtm_officer2")
    work = client.get("/cases/work").text
    assert "Identificar y registrar" not in work and "bajo mi supervisión" not in work


def test_protocols_page_is_public_and_shows_variant_differences(client) -> None:
    r = client.get("/cases/protocols")
    assert r.status_code == 200 and 'lang="es"' in r.text
    assert "paso añadido por el país" in r.text and "difiere de la base" in r.text and "plazo" in r.text
    assert "Solicitar audiencia ante la PGN" in r.text and "Variante de México" in r.text
    en = client.get("/cases/protocols?lang=en").text
    assert "step added by the country" in en and "differs from the base" in en


def test_pages_require_a_session(client) -> None:
    for page in ("/cases/work", "/cases/"):
        r = client.get(page, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/cases/login"
    for page in ("/cases/c/1", "/cases/people/new"):  # signing in comes back to them (test_sign_in_next.py)
        r = client.get(page, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/cases/login?{urlencode({'lang': 'es', 'next': page})}"


@pytest.mark.parametrize("bad", ["0", "99999999999999999999", "-1"])
def test_bad_case_ids_are_clear_not_500(client, seeded, bad) -> None:
    _login(client, "gtm_officer")
    assert client.get(f"/cases/c/{bad}").status_code in (404, 422)


def test_every_text_of_the_case_pages_exists() -> None:
    from pathlib import Path

    from observatorio.cases.vocab import CaseStatus, CaseType, OrgKind, RiskLevel, Sex
    from observatorio.publish.web.texts import catalogue

    used: set[str] = set()
    for path in (Path(__file__).resolve().parents[2] / "src/observatorio/cases/templates").glob("*.html"):
        used |= set(re.findall(r"tx\('([a-z_.]+)'\s*[,)]", path.read_text(encoding="utf-8")))
    for prefix, vocab in (("type", CaseType), ("status", CaseStatus), ("risk", RiskLevel), ("sex", Sex),
                          ("org", OrgKind)):
        used |= {f"cases.{prefix}.{v.value}" for v in vocab}
    used |= {f"cases.group.{g}" for g in get_policy().field_groups}
    used |= {f"cases.f.{f}" for fields in get_policy().field_groups.values() for f in fields}
    assert sorted(k for k in used if k not in catalogue()) == []


def _relative_luminance(hex_colour: str) -> float:
    # WCAG 2.1 relative luminance (the portal's test in tests/publish uses relative imports,
    # so it cannot be loaded from here)
    c = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_case_page_colours_meet_wcag_aa() -> None:
    for fg, bg in (("#8a0000", "#fff0f0"), ("#8a0000", "#ffffff"), ("#1a1a1a", "#fff7e0"), ("#0b5d1e", "#ffffff")):
        hi, lo = sorted((_relative_luminance(fg), _relative_luminance(bg)), reverse=True)
        assert (hi + 0.05) / (lo + 0.05) >= 4.5, (fg, bg)


@pytest.mark.parametrize("url", ["/cases/?page=0", "/cases/?page=99999", "/cases/?q=%00",
                                 "/cases/c/new?person_id=abc", "/cases/c/new?person_id=99999999999999",
                                 # "²" passes str.isdigit() but int() refuses it: was a 500
                                 "/cases/?page=%C2%B2"])
def test_odd_query_strings_answer_a_page(client, seeded, url) -> None:
    _login(client, "gtm_officer")
    assert client.get(url).status_code == 200


def test_a_malformed_filter_is_named_not_dropped(client, seeded) -> None:
    # before: an unknown status was silently ignored, listing every case as if unfiltered
    _login(client, "gtm_officer")
    for odd in ("organisation_id=%C2%B2", "officer=%C2%B2"):  # "²": was a 500 (isdigit, then int)
        assert client.get(f"/cases/?{odd}").status_code == 422
    r = client.get("/cases/?status=nonsense&q=%00")
    assert r.status_code == 422 and "Filtro «status»" in r.text and "caso gtm_mex" not in r.text


def test_my_work_of_a_role_without_cases_writes_no_denial(client, rt, world) -> None:
    """Every sign-in lands on "my work": for a provider, a reviewer, an editor or the admin it
    listed cases anyway and wrote a "denied case.list" entry on the audit chain each time."""
    for user in ("stats_provider", "stats_reviewer", "editor", "admin"):
        _login(client, user)
        for lang, words in (("es", "Su rol no trabaja con casos"), ("en", "Your role does not work with cases")):
            page = client.get(f"/cases/work?lang={lang}")
            assert page.status_code == 200 and words in page.text and 'id="mine"' not in page.text, (user, lang)
    with rt.sessions() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")).all() == []
    _login(client, "gtm_officer")  # an officer's work is unchanged
    assert 'id="mine"' in client.get("/cases/work").text and 'id="no-cases"' not in client.get("/cases/work").text
