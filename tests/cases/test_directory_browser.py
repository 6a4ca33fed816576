"""Chromium (Playwright) on SQLite, 390 px wide: the directory and the good-practice search in
both languages fit the screen, and a search typed in the form finds a practice without accents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from observatorio.cases import directory
from publish.live_server import serving  # tests/ is on sys.path (root conftest)

from .conftest import ctx_for
from .test_practices import SPANISH_ONLY, _publish_bilingual, directory_app, editor  # noqa: F401  (fixture)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
pytestmark = pytest.mark.browser


@pytest.fixture
def server(rt) -> Iterator[str]:
    from observatorio.publish.web.routes import router as portal_router  # serves /static/portal.css

    app = directory_app(rt, with_login=False)
    app.include_router(portal_router)
    with serving(app) as url:
        yield url


@pytest.mark.parametrize("backend", ["sqlite"])
def test_directory_and_practices_fit_a_phone_in_both_languages(rt, world, editor, server,  # noqa: F811
                                                                browser) -> None:
    with rt.sessions() as s:
        directory.load_seed(ctx_for(s, world, editor))
    _publish_bilingual(rt, world, editor, organisations=["gtm-igm"])
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        for lang, path in (("es", "/es/directorio/"), ("en", "/en/directory/"), ("es", "/es/directorio/gtm-igm/"),
                           ("en", "/en/directory/us-cbp/"), ("en", "/en/good-practices/")):
            page.goto(server + path)
            assert page.get_attribute("html", "lang") == lang
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
            page.screenshot(path=str(ARTIFACTS / f"390-{path.strip('/').replace('/', '-')}.png"), full_page=True)
        page.goto(server + "/es/buenas-practicas/")
        page.get_by_label("Palabras").fill("ninez retornada")
        with page.expect_navigation():
            page.get_by_role("button", name="Buscar").click()
        assert page.get_by_role("link", name=SPANISH_ONLY["title_es"]).count() == 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / "390-es-buenas-practicas-search.png"), full_page=True)
    finally:
        context.close()
