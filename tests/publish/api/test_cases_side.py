"""The cases side loaded on the first request that needs it (publish/api/cases_side.py): every
route it registers is one of the paths that load it (cases_paths.py, so a new router cannot be
forgotten), its routes are matched where they were included (the directory pages before the
portal's catch-all), the first request of a fresh app is answered by them, with the cases side's
error answers, two first loads load it once, the OpenAPI document lists its operations, and a
statistics-only app never has it. That a worker serving only the statistics side never imports
it: tests/publish/web/test_statistics_only.py."""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from observatorio.publish.api.app import create_app
from observatorio.publish.api.cases_paths import needs_cases_side
from observatorio.publish.api.cases_side import CasesSide, _routers, load_cases_side
from observatorio.publish.web.cases_database import surely_absent
from observatorio.settings import Settings

from ..app_routes import flat_routes

PARAMETER = re.compile(r"\{[a-z_]+(:[a-z]+)?\}")
SECURITY_HEADERS = {"cache-control": "no-store", "x-frame-options": "DENY", "referrer-policy": "no-referrer"}


def _side(app: FastAPI) -> CasesSide:
    side = app.state.cases_side
    assert isinstance(side, CasesSide)
    return side


def _example(path: str) -> str:
    """A request path the route matches: each parameter given a value (``1``, or ``x/y`` for a
    path)."""
    return PARAMETER.sub(lambda m: "x/y" if m.group(1) == ":path" else "1", path)


@pytest.fixture
def fresh(tmp_path: Path) -> FastAPI:
    """A new app of the default kind (cases_web true), no store nor application database."""
    return create_app(Settings(db=tmp_path / "stats.duckdb", cases_db=f"sqlite:///{tmp_path}/cases.sqlite"))


def test_every_route_of_the_side_loads_it(fresh: FastAPI) -> None:
    side = _side(fresh)
    assert not side.loaded and side.router.routes == []
    load_cases_side(fresh)
    assert side.loaded
    paths = [route.path for route in flat_routes(side.router.routes) if hasattr(route, "path")]
    assert len(paths) > 100  # a positive control: pages, API, submissions, the directory pages
    assert {"/cases/login", "/api/v1/cases", "/es/directorio/", "/en/good-practices/{item}/"} <= set(paths)
    forgotten = [p for p in paths if not needs_cases_side(_example(p))]
    assert not forgotten, f"routes of the cases side that would not load it (cases_paths.py): {forgotten}"


def test_no_statistics_route_loads_it(fresh: FastAPI) -> None:
    statistics = [r.path for r in flat_routes(fresh.routes) if isinstance(r, APIRoute)]
    assert "/api/v1/observations" in statistics and "/es/{path:path}" in statistics
    assert not [p for p in statistics if needs_cases_side(_example(p))]


def test_the_side_is_matched_where_it_was_included(fresh: FastAPI) -> None:
    """Loaded after the portal's routes, the directory pages still come before its catch-all."""
    load_cases_side(fresh)
    order = [getattr(r, "path", None) for r in flat_routes(fresh.routes)]
    for lang, slug in (("es", "directorio"), ("en", "good-practices")):
        assert order.index(f"/{lang}/{slug}/{{item}}/") < order.index(f"/{lang}/{{path:path}}")
    assert order.index("/sdmx/dataflow") < order.index("/api/v1/cases") < order.index("/es/calendario/")


@pytest.mark.parametrize("path", ["/es/directorio/no-such-organisation/", "/en/good-practices/12345/"])
def test_a_directory_page_as_the_first_request(fresh: FastAPI, path: str) -> None:
    with TestClient(fresh) as client:
        r = client.get(path)
    assert r.status_code == 404
    # the directory's own not-found page (the portal's catch-all sends neither header)
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-cache"
    assert _side(fresh).loaded


def test_a_directory_listing_as_the_first_request(fresh: FastAPI) -> None:
    with TestClient(fresh, follow_redirects=False) as client:
        assert client.get("/en/directory").headers["location"] == "/en/directory/"
        r = client.get("/es/directorio/")
    assert r.status_code == 200 and r.headers["x-frame-options"] == "DENY"


def test_a_cases_page_as_the_first_request(fresh: FastAPI) -> None:
    with TestClient(fresh, follow_redirects=False) as client:
        r = client.get("/cases/login", headers={"Accept-Encoding": "gzip", "Origin": "https://elsewhere.example"})
    assert r.status_code == 200 and "csrf_token" in r.text
    for name, value in SECURITY_HEADERS.items():
        assert r.headers[name] == value
    assert "content-encoding" not in r.headers and "access-control-allow-origin" not in r.headers  # the lane


def test_the_cases_api_as_the_first_request(fresh: FastAPI) -> None:
    with TestClient(fresh) as client:
        r = client.get("/api/v1/cases", headers={"Origin": "https://elsewhere.example"})
    assert r.status_code == 401  # a route of the side answered: not signed in
    assert set(r.json()["detail"]) == {"es", "en"}
    assert not [h for h in r.headers if h.startswith("access-control-")]


@pytest.mark.parametrize(("path", "json"), [("/cases/no-such-page", False), ("/api/v1/cases/1/no-such-thing", True)])
def test_the_router_refusals_of_the_first_request_are_the_cases_sides(fresh: FastAPI, path: str, json: bool) -> None:
    """The handler is in effect from the first request (Starlette captures them then)."""
    with TestClient(fresh) as client:
        r = client.get(path)
    assert r.status_code == 404
    if json:
        assert set(r.json()["detail"]) == {"es", "en"} and r.headers["cache-control"] == "no-store"
    else:
        for name, value in SECURITY_HEADERS.items():
            assert r.headers[name] == value


def test_a_failing_page_as_the_first_request_answers_with_the_headers(fresh: FastAPI) -> None:
    def failing() -> None:
        raise RuntimeError("a bug in a page")

    fresh.add_api_route("/cases/test-failure", failing)
    with TestClient(fresh, raise_server_exceptions=False) as client:
        r = client.get("/cases/test-failure")
    assert r.status_code == 500 and set(r.json()["error"]["message"]) == {"es", "en"}
    for name, value in SECURITY_HEADERS.items():
        assert r.headers[name] == value


def test_statistics_requests_leave_it_unloaded(fresh: FastAPI) -> None:
    with TestClient(fresh) as client:
        for path in ("/api/v1/no-such-route", "/api/v1/casesx", "/es/directorios/", "/api/docs", "/sdmx/nothing"):
            r = client.get(path)
            assert r.status_code in (200, 404), (path, r.status_code)
            assert "content-security-policy" not in r.headers  # FastAPI's or the portal's answer
        assert client.get("/api/v1/no-such-route").json() == {"detail": "Not Found"}
    assert not _side(fresh).loaded


def test_two_first_loads_load_it_once(fresh: FastAPI) -> None:
    side = _side(fresh)
    start = threading.Barrier(4)

    def load() -> None:
        start.wait()
        side.load()

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(side.router.routes) == 1  # the side, included once
    assert len(side.router.routes[0].original_router.routes) == len(_routers())  # each router once


def test_concurrent_first_requests_to_a_served_app(fresh: FastAPI) -> None:
    """A real server's first requests, all at once: each answered by the side, loaded once."""
    import urllib.error
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from ..live_server import serving

    expected = {"/cases/login": 200, "/api/v1/cases": 401, "/es/directorio/": 200, "/en/good-practices/": 200,
                "/cases/no-such-page": 404, "/api/v1/people": 401, "/api/v1/sources": 503}
    start = threading.Barrier(len(expected))

    def get(url: str) -> int:
        start.wait()
        try:
            with urllib.request.urlopen(url, timeout=120) as response:
                return int(response.status)
        except urllib.error.HTTPError as refused:
            return int(refused.code)

    with serving(fresh) as base, ThreadPoolExecutor(len(expected)) as pool:
        found = dict(zip(expected, pool.map(get, [base + path for path in expected]), strict=True))
    assert found == expected
    side = _side(fresh)
    assert len(side.router.routes) == 1 and len(side.router.routes[0].original_router.routes) == len(_routers())


def test_the_openapi_document_lists_the_cases_operations(fresh: FastAPI) -> None:
    with TestClient(fresh) as client:
        document = client.get("/api/openapi.json").json()
    assert "/api/v1/cases" in document["paths"] and "/api/v1/observations" in document["paths"]
    assert "/api/v1/directory/organisations" in document["paths"]
    assert _side(fresh).loaded


def test_a_statistics_only_app_never_has_it(tmp_path: Path) -> None:
    app = create_app(Settings(db=tmp_path / "stats.duckdb", cases_web=False))
    assert app.state.cases_side is None
    load_cases_side(app)  # nothing to load
    assert "/api/v1/cases" not in app.openapi()["paths"]
    assert not [r for r in flat_routes(app.routes) if needs_cases_side(_example(getattr(r, "path", "") or "/"))]


@pytest.mark.parametrize("url", ["sqlite:///{folder}/there.sqlite", "sqlite:///{folder}/absent.sqlite",
                                 "sqlite+pysqlite:///{folder}/there.sqlite?mode=ro", "sqlite://", "sqlite:///:memory:",
                                 "sqlite:///{folder}/a%20space.sqlite", "postgresql+psycopg://u:p@db.example/cases"])
def test_surely_absent_agrees_with_database_exists(tmp_path: Path, url: str) -> None:
    from observatorio.cases.db import database_exists

    (tmp_path / "there.sqlite").write_bytes(b"")
    (tmp_path / "a space.sqlite").write_bytes(b"")
    url = url.format(folder=tmp_path)
    assert surely_absent(url) is (not database_exists(url))


def test_a_side_that_cannot_be_imported_fails_its_pages_with_their_headers(
        fresh: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    # a broken deployment (a module of the side that fails to import): the statistics side keeps
    # answering; the cases page gets a 500 that still forbids caching and framing
    def broken() -> list[Any]:
        raise ImportError("a broken module of the cases side")

    monkeypatch.setattr("observatorio.publish.api.cases_side._routers", broken)
    monkeypatch.setitem(sys.modules, "observatorio.cases.http_errors", None)
    with TestClient(fresh, raise_server_exceptions=False) as client:
        answer = client.get("/cases/work")
        assert answer.status_code == 500
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value
        assert client.get("/api/v1/sources").status_code in (200, 503)  # no store here: 503
    assert not _side(fresh).loaded
