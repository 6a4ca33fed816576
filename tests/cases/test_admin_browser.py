"""Chromium (Playwright) on SQLite: the account administration pages fit a phone (390 px) and a
laptop (1366 px) in both languages, and an account created through the form signs in, in another
browser, with the password the page showed once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from publish.live_server import serving  # tests/ is on sys.path (root conftest)

from .browser_login import sign_in
from .conftest import make_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
pytestmark = pytest.mark.browser


@pytest.fixture
def server(rt) -> Iterator[str]:
    from observatorio.cases.admin_web import router as admin_router
    from observatorio.publish.web.routes import router as portal_router  # serves /static/portal.css

    app = make_app(rt)
    app.include_router(admin_router)
    app.include_router(portal_router)
    with serving(app) as url:
        yield url


def _fits(page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_admin_pages_fit_and_a_created_account_signs_in(rt, world, server, browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    admin = world.users["admin"]
    for width in (390, 1366):
        context = browser.new_context(viewport={"width": width, "height": 844})
        page = context.new_page()
        try:
            sign_in(page, server, "admin")
            for lang in ("es", "en"):
                for path in ("/cases/admin/users", "/cases/admin/users/new", f"/cases/admin/users/{admin}",
                             "/cases/admin/organisations"):
                    page.goto(f"{server}{path}?lang={lang}")
                    assert page.get_attribute("html", "lang") == lang
                    assert _fits(page), (width, lang, path)
                    name = path.strip("/").replace("/", "-")
                    page.screenshot(path=str(ARTIFACTS / f"{width}-{lang}-{name}.png"), full_page=True)
        finally:
            context.close()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, server, "admin")
        page.goto(f"{server}/cases/admin/users/new?lang=es")
        page.get_by_label("Usuario", exact=True).fill("nueva.cuenta")
        page.get_by_label("Nombre completo").fill("Nueva Cuenta")
        page.locator("select[name=organisation_id]").select_option(str(world.orgs["gtm_consulate_mex"]))
        page.get_by_label("Rol").select_option("consular_officer")
        with page.expect_navigation():
            page.get_by_role("button", name="Crear la cuenta").click()
        password = page.locator("code.cases-secret").inner_text()
        assert len(password) == 24 and _fits(page)
    finally:
        context.close()
    fresh = browser.new_context(viewport={"width": 390, "height": 844})
    page = fresh.new_page()
    try:
        page.goto(f"{server}/cases/login")
        page.get_by_label("Usuario").fill("nueva.cuenta")
        page.get_by_label("Contraseña").fill(password)
        page.get_by_role("button", name="Entrar").click()
        page.wait_for_url("**/cases/work?lang=*")
        assert "/cases/admin" not in page.content()  # no menu link for a consular officer
    finally:
        fresh.close()
