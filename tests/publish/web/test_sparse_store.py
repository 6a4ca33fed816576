"""Every portal page degrades gracefully on a sparse store: no store yet, only the example
mapping (one country, no forecast series, no roles), or only the population table. Each page
the app's public routes serve, in both languages, answers without a server error, and so does
every portal link those pages show (chart CSVs, downloads, filters)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from observatorio.loading import load_bundled_files, load_file
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.publish.api.app import create_app
from observatorio.publish.api.cases_side import load_cases_side
from observatorio.publish.web.pages import PAGES, page_url
from observatorio.settings import Settings
from observatorio.sources.base import get_adapter
from observatorio.store import Store
from publish.app_routes import flat_routes  # tests/ is on sys.path (root conftest)
from publish.snapshot_example import FILE, adapter

LANGS = ("es", "en")
STORES = ("absent", "example", "population")
#: A value for a route's path parameter that names nothing (the answer must be 404, not 500).
UNKNOWN = "no-such-item"
HREF = re.compile(r'href="(/(?:es|en)/[^"#]*)"')


def portal_paths() -> list[str]:
    """An address for every public page route the app registers under /es/ and /en/: each
    section and each member's country page for the catch-all routes, an unknown item for the
    other routes with a parameter."""
    app = create_app(Settings(db=Path("unused.duckdb")))
    load_cases_side(app)  # the directory and practice pages: loaded on first use otherwise
    paths: list[str] = []
    for route in flat_routes(app.router.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        lang = route.path.split("/")[1]
        if lang not in LANGS:
            continue
        if route.path == f"/{lang}/{{path:path}}":
            paths += [page_url(lang, p.id) for p in PAGES]
            paths += [page_url(lang, "country", iso) for iso in CRM_MEMBERS]
        else:
            paths.append(route.path.format(**dict.fromkeys(route.param_convertors, UNKNOWN)))
    return sorted(set(paths))


PATHS = portal_paths()


def _build(kind: str, path: Path, data_dir: Path) -> None:
    if kind == "example":
        with Store.open(path) as store:
            load_file(store, adapter(), FILE)
    elif kind == "population":
        with Store.open(path) as store:
            outcomes = list(load_bundled_files(store, [get_adapter("worldbank_population")], data_dir))
            assert [o.error for o in outcomes] == [None]


@pytest.fixture(scope="module", params=STORES)
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           data_dir: Path) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp(f"sparse-{request.param}") / "observatorio.duckdb"
    _build(request.param, path, data_dir)
    # the app's start-up runs too: the warm-up that computes the forecast release
    # the application database beside the store, never the checkout's var/ (a bench run from the
    # checkout would then measure with one)
    settings = Settings(db=path, cases_db=f"sqlite:///{path.parent / 'cases.sqlite'}")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _no_server_error(client: TestClient, path: str) -> str:
    response = client.get(path)
    # 503 is "no data yet" or "no application database": an answer, not a fault
    assert response.status_code < 500 or response.status_code == 503, (
        f"{path}: {response.status_code} {response.text[:300]}")
    return response.text if response.headers.get("content-type", "").startswith("text/html") else ""


def test_the_walk_covers_every_section_and_member() -> None:
    assert len(PATHS) >= 2 * (len(PAGES) + len(CRM_MEMBERS))
    assert "/es/" in PATHS and "/en/countries/HND/" in PATHS


@pytest.mark.parametrize("path", PATHS)
def test_page_answers_on_a_sparse_store(client: TestClient, path: str) -> None:
    _no_server_error(client, path)


def test_every_link_of_the_pages_answers_on_a_sparse_store(client: TestClient) -> None:
    """Chart CSVs, source downloads and filter links drawn by the pages themselves."""
    links = {link.replace("&amp;", "&") for path in PATHS
             for link in HREF.findall(_no_server_error(client, path))} - set(PATHS)
    for link in sorted(links):
        _no_server_error(client, link)


def test_every_api_read_answers_on_a_sparse_store(client: TestClient) -> None:
    """The open API's GET routes without a path parameter, and a country's profile: a sparse
    store is "no data yet" (503 with the reason) or an answer, never a server fault."""
    spec = client.get("/api/openapi.json").json()
    paths = [p for p, item in spec["paths"].items() if "get" in item and "{" not in p]
    assert "/api/v1/roles" in paths
    for path in [*paths, "/api/v1/profiles/HND"]:
        _no_server_error(client, path)


def test_country_page_says_why_the_roles_are_missing(client: TestClient) -> None:
    """Without population figures the roles analysis cannot run: the page says what to load."""
    html = client.get("/en/countries/HND/").text
    sources = client.get("/api/v1/sources")
    if sources.status_code == 200 and "worldbank_population" not in sources.text:
        assert "load the worldbank_population source" in html
        assert "cargue la fuente worldbank_population" in client.get("/es/paises/HND/").text


def test_home_page_says_there_is_no_forecast_yet(client: TestClient) -> None:
    """Not "no alert of the current forecast": a sparse store has no forecast at all."""
    sources = client.get("/api/v1/sources")
    if sources.status_code == 200:  # a store is open (none: the portal says "no data yet")
        assert "There is no forecast and no alert yet" in client.get("/en/").text
        assert "No hay pronóstico ni alertas todavía" in client.get("/es/").text


def test_digits_of_other_kinds_are_refused_not_a_fault(client: TestClient) -> None:
    """"²" passes str.isdigit() but int() refuses it: a practice id or a forecast horizon
    written so was a 500 (the code now asks str.isdecimal(), what int() accepts)."""
    assert client.get("/es/buenas-practicas/%C2%B2/").status_code == 404
    assert client.get("/api/v1/forecasts?horizon=%C2%B2").status_code in (400, 503)
    assert client.get("/api/v1/forecasts?horizon=" + "9" * 5000).status_code in (400, 503)
