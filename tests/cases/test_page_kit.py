"""The officer pages' menu (``cases_base.html`` through ``page_kit.Officer.holds``): every role
sees only links to pages its grants can use — a menu link answering 403 was a dead end for
every consular officer (the directory editor's page) — and the editor finds the moderation
queue from the menu; the arrival form is offered only to whoever may record arrivals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import observatorio.cases
import observatorio.submissions
from observatorio.cases.policy import get_policy

from .conftest import USERS, make_app
from .test_web import _web_login

NAV = re.compile(r'<nav class="wrap site-nav"[^>]*>(.*?)</nav>', re.S)


@pytest.fixture
def web(rt) -> Iterator[TestClient]:
    from observatorio.cases.admin_web import router as admin_router
    from observatorio.cases.directory_web import router as directory_router
    from observatorio.cases.practice_web import router as practice_router
    from observatorio.submissions.web import router as submissions_router

    app = make_app(rt)
    for router in (practice_router, directory_router, submissions_router, admin_router):
        app.include_router(router)
    with TestClient(app) as client:
        yield client


def _menu(client: TestClient, user: str, lang: str) -> list[str]:
    client.cookies.clear()
    assert _web_login(client, user).status_code == 303
    page = client.get(f"/cases/work?lang={lang}")
    assert page.status_code == 200
    nav = NAV.search(page.text)
    assert nav, user
    return re.findall(r'href="([^"]+)"', nav.group(1))


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_menu_link_opens_for_every_role(web, world, lang) -> None:
    for user in USERS:
        for href in _menu(web, user, lang):
            href = href.replace("&amp;", "&")
            assert web.get(href).status_code == 200, (user, href)
            assert f"lang={lang}" in href, (user, href)  # the menu keeps the page's language


def test_menu_offers_what_the_role_holds(web, world) -> None:
    officer = _menu(web, "gtm_officer", "es")
    assert "/cases/?lang=es" in officer and "/cases/people/new?lang=es" in officer
    assert not any(h.startswith(("/cases/directory", "/cases/practices", "/cases/reception", "/cases/submissions"))
                   for h in officer)
    assert "/cases/practices/queue?lang=es" in _menu(web, "editor", "es")
    assert "/cases/directory?lang=es" in _menu(web, "editor", "es")
    assert "/cases/reception?lang=es" in _menu(web, "hnd_reception", "es")
    assert "/cases/submissions/?lang=es" in _menu(web, "stats_provider", "es")
    assert "/cases/admin/users?lang=es" in _menu(web, "admin", "es")
    assert not any(h.startswith("/cases/admin") for user in USERS if USERS[user][1] != "admin"
                   for h in _menu(web, user, "es"))


def test_arrival_form_only_for_who_records_arrivals(web, world) -> None:
    form = 'action="/cases/reception/arrivals'
    _menu(web, "hnd_reception", "es")
    assert form in web.get("/cases/reception").text
    _menu(web, "hnd_supervisor", "es")  # reads arrivals of the country, records none
    page = web.get("/cases/reception")
    assert page.status_code == 200 and form not in page.text


@pytest.mark.parametrize(("lang", "label", "field"), [("es", "Población atendida", "«Población atendida»"),
                                                       ("en", "Population served", "'Population served'")])
def test_a_refused_form_names_each_field_by_its_label_once(web, world, lang, label, field) -> None:
    """The page said "Invalid data in 'populations' … see 'errors'" (a code, and the API's JSON
    field), twice: the registry's and the directory's templates repeated the base's alert."""
    _menu(web, "gtm_head", lang)
    form = web.get(f"/cases/practices/new?lang={lang}")
    token = re.search(r"name='csrf_token' value='([^']+)'", form.text).group(1)
    page = web.post(f"/cases/practices/new?lang={lang}", data={  # no population ticked
        "csrf_token": token, "country": "GTM", "theme": re.search(r'name="theme"[^>]*><option value="([^"]+)"',
                                                                  form.text).group(1),
        "title_es": "Práctica", "description": "Descripción"})
    assert page.status_code == 422
    alerts = re.findall(r'role="alert">(.*?)</p>', unescape(page.text), re.S)
    assert len(alerts) == 1 and field in alerts[0], alerts
    assert "errors" not in alerts[0] and "populations" not in alerts[0]
    assert label in page.text


def test_only_the_base_template_shows_the_page_error() -> None:
    """cases_base.html shows ``error`` as the page's one alert; a template that shows it again
    says every refusal twice (the registry, directory and reintegration pages did)."""
    folders = [Path(m.__file__).parent / "templates" for m in (observatorio.cases, observatorio.submissions)]
    repeating = [t.name for folder in folders for t in folder.glob("*.html")
                 if t.name != "cases_base.html" and re.search(r"\{\{\s*error\s*\}\}", t.read_text("utf-8"))]
    assert repeating == []


def test_the_way_to_sign_in_keeps_the_language(web, world) -> None:
    """An English reader of the public protocols followed "Officer login" to the Spanish form,
    and a refused sign-in answered in Spanish. (After a successful sign-in the redirect to "my
    work" still drops the language: that is cases/web.py's, reported, not changed here.)"""
    web.cookies.clear()
    assert 'href="/cases/login?lang=en"' in web.get("/cases/protocols?lang=en").text
    form = web.get("/cases/login?lang=en").text
    assert 'action="/cases/login?lang=en"' in form
    token = re.search(r"name='csrf_token' value='([^']+)'", form).group(1)
    refused = web.post("/cases/login?lang=en", data={"username": "gtm_officer", "password": "not it",
                                                      "csrf_token": token})
    assert refused.status_code == 401 and '<html lang="en">' in refused.text and "Log in" in refused.text
    _menu(web, "gtm_officer", "en")
    assert 'action="/cases/logout?lang=en"' in web.get("/cases/work?lang=en").text


@pytest.mark.parametrize(("user", "path", "action"), [
    ("auditor", "/cases/people/new", "person.create"), ("stats_provider", "/cases/c/new", "case.create"),
    ("gtm_officer", "/cases/practices/new", "practice.submit")])
def test_a_form_the_role_can_never_send_is_refused_before_typing(web, world, user, path, action) -> None:
    """The form was shown, typed in full, and refused only when sent (403 after the work)."""
    _menu(web, user, "es")
    page = web.get(path)
    assert page.status_code == 403 and page.text.count("<form") == 1  # the logout form only
    assert f"«{get_policy().actions[action]['es']}»" in unescape(page.text)


def test_forms_the_role_may_send_still_open(web, world) -> None:
    _menu(web, "gtm_head", "es")
    for path in ("/cases/people/new", "/cases/c/new", "/cases/practices/new"):
        assert web.get(path).status_code == 200, path
