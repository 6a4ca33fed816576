"""The browser forms of the registry and the directory: an organisation submits a practice in
Spanish, an editor adds English and publishes it from the moderation queue; editors maintain
organisations and joint mechanisms; others get 403 (audited); CSRF is required; every stored
text is escaped on the pages that show it."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from observatorio.cases import practices
from observatorio.cases.directory_models import Practice
from observatorio.cases.models import AuditEntry
from observatorio.cases.policy import get_policy

from .conftest import make_app
from .test_practices import ENGLISH, SPANISH_ONLY, THEME, editor  # noqa: F401  (fixture)
from .test_web import _csrf, _web_login

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture
def web(rt) -> Iterator[TestClient]:
    from observatorio.cases.directory_web import router as directory_router
    from observatorio.cases.practice_web import router
    from observatorio.publish.web.directory_pages import router as public_router

    app = make_app(rt)
    app.include_router(router)
    app.include_router(directory_router)
    app.include_router(public_router)
    with TestClient(app) as client:
        yield client


def _login(client: TestClient, user: str) -> None:
    client.cookies.clear()
    assert _web_login(client, user).status_code == 303


def _submit(client: TestClient, **fields: str) -> object:
    form = client.get("/cases/practices/new")
    assert form.status_code == 200
    data = {k: v for k, v in SPANISH_ONLY.items() if isinstance(v, str)} | fields
    return client.post("/cases/practices/new", data={**data, "populations": ["returnees", "children"],
                                                     "csrf_token": _csrf(form.text)})


def test_submit_translate_publish_through_the_forms(web: TestClient, rt, world, editor: str) -> None:  # noqa: F811
    _login(web, "gtm_supervisor")
    sent = _submit(web)
    assert sent.status_code == 201 and "enviada" in sent.text  # type: ignore[attr-defined]
    with rt.sessions() as s:
        [practice] = s.scalars(select(Practice)).all()
        assert practice.status == "submitted" and practice.populations == ["returnees", "children"]
    bad = _submit(web, period_start="20x9")
    assert bad.status_code == 422 and "period_start" in bad.text  # type: ignore[attr-defined]
    _login(web, editor)
    queue = web.get("/cases/practices/queue")
    assert queue.status_code == 200 and SPANISH_ONLY["title_es"] in queue.text
    done = web.post(f"/cases/practices/{practice.id}/moderate", follow_redirects=False, data={
        **ENGLISH, "version": str(practice.version), "decision": "publish", "csrf_token": _csrf(queue.text),
        "confirmed": "yes"})
    assert done.status_code == 303, done.text
    with rt.sessions() as s:
        assert [p.id for p in practices.search(s, "returned children", theme=THEME)] == [practice.id]


def test_forms_refuse_others_and_forged_csrf(web: TestClient, rt, world, editor: str) -> None:  # noqa: F811
    _login(web, "gtm_supervisor")
    _submit(web)
    with rt.sessions() as s:
        practice = s.scalars(select(Practice)).one()
    for user in ("gtm_head", "gtm_officer", "auditor"):
        _login(web, user)
        assert web.get("/cases/practices/queue").status_code == 403
        page = web.get("/cases/practices/new")
        refused = web.post(f"/cases/practices/{practice.id}/moderate", data={
            "decision": "publish", "csrf_token": _csrf(page.text)})
        assert refused.status_code == 403
    with rt.sessions() as s:
        denied = s.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
        assert sorted({(e.actor, e.action) for e in denied}) == sorted(
            (u, "practice.moderate") for u in ("gtm_head", "gtm_officer", "auditor"))
    _login(web, "gtm_officer")  # a consular officer may not submit either: no form, and a sent one is refused
    assert web.get("/cases/practices/new").status_code == 403
    data = {k: v for k, v in SPANISH_ONLY.items() if isinstance(v, str)}
    sent = web.post("/cases/practices/new", data={**data, "populations": ["returnees"],
                                                  "csrf_token": _csrf(web.get("/cases/work").text)})
    assert sent.status_code == 403
    _login(web, editor)
    forged = web.post(f"/cases/practices/{practice.id}/moderate", data={"decision": "publish", "csrf_token": "0" * 64})
    assert forged.status_code == 403
    web.cookies.clear()
    assert web.get("/cases/practices/new", follow_redirects=False).status_code == 303  # to the login


def test_stored_xss_is_escaped_on_every_form_and_page(web: TestClient, rt, world, editor: str) -> None:  # noqa: F811
    _login(web, editor)
    fields = {k: XSS for k in ("title_es", "summary_es", "title_en", "summary_en", "description", "results",
                               "contact")}
    sent = _submit(web, **fields)
    assert sent.status_code == 201  # type: ignore[attr-defined]
    echoed = _submit(web, **fields, period_start="bad")  # a refused form shows the values again
    queue = web.get("/cases/practices/queue")
    with rt.sessions() as s:
        practice = s.scalars(select(Practice)).one()
    web.post(f"/cases/practices/{practice.id}/moderate", follow_redirects=False, data={
        "version": str(practice.version), "decision": "publish", "csrf_token": _csrf(queue.text),
        "confirmed": "yes"})
    public = web.get(f"/es/buenas-practicas/{practice.id}/")
    for html in (echoed.text, queue.text, public.text):  # type: ignore[attr-defined]
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_editors_maintain_the_directory_through_forms_others_are_refused(
        web: TestClient, rt, world, editor: str) -> None:  # noqa: F811
    org = {"slug": "casa-migrante", "kind": "civil_society", "country": "MEX", "name_es": XSS, "name_en": XSS,
           "description_es": XSS, "description_en": XSS, "sources": "iom_*", "data_contact": "datos@casa.example"}
    mechanism = {"slug": "mesa-gtm", "kind": "national_roundtable", "country": "GTM", "name_es": "Mesa " + XSS,
                 "name_en": "Roundtable " + XSS, "members": "casa-migrante\nGTM\n"}
    for user in ("gtm_head", "admin"):
        _login(web, user)
        assert web.get("/cases/directory").status_code == 403
        token = _csrf(web.get("/cases/practices/new").text)
        assert web.post("/cases/directory/organisation", data={**org, "csrf_token": token}).status_code == 403
    with rt.sessions() as s:
        denied = s.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
        assert sorted((e.actor, e.action) for e in denied) == [("admin", "directory.edit"),
                                                               ("gtm_head", "directory.edit")]
    _login(web, editor)
    form = web.get("/cases/directory/organisation")
    assert web.post("/cases/directory/organisation", data={**org, "csrf_token": "0" * 64}).status_code == 403
    saved = web.post("/cases/directory/organisation", data={**org, "csrf_token": _csrf(form.text)},
                     follow_redirects=False)
    assert saved.status_code == 303, saved.text
    bad = web.post("/cases/directory/organisation", data={**org, "website": "javascript:alert(1)",
                                                           "csrf_token": _csrf(form.text)})
    assert bad.status_code == 422 and "website" in bad.text
    form = web.get("/cases/directory/mechanism")
    assert web.post("/cases/directory/mechanism", data={**mechanism, "csrf_token": _csrf(form.text)},
                    follow_redirects=False).status_code == 303
    edit = web.get("/cases/directory/organisation", params={"slug": "casa-migrante"})
    pages = [bad.text, edit.text, web.get("/cases/directory").text,
             web.get("/cases/directory/mechanism", params={"slug": "mesa-gtm"}).text,
             web.get("/es/directorio/").text, web.get("/en/directory/casa-migrante/").text]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html
    assert "datos@casa.example" in edit.text  # the editor sees the mailbox …
    assert all("datos@casa.example" not in html for html in pages[-2:])  # … the public never
    assert "Guatemala" in pages[-2]  # the roundtable's member state



def test_a_refusal_names_the_action_in_words(web: TestClient, world) -> None:
    """The 403 page says what was refused as policy.yaml labels it, in the page's language, and
    whom to ask; the readers saw the code «practice.moderate»."""
    _login(web, "gtm_officer")
    for lang, quoted, ask in (("es", "«{}»", "pida acceso"), ("en", "'{}'", "ask your head of office")):
        page = web.get(f"/cases/practices/queue?lang={lang}")
        assert page.status_code == 403
        text = unescape(page.text)
        words = get_policy().actions["practice.moderate"][lang]
        assert quoted.format(words) in text and ask in text and "practice.moderate" not in text, lang
