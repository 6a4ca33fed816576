"""Every answer under ``/cases/`` carries the cases side's security headers, the router's own
answers too: an unknown path (404), a wrong method (405) and the sign-in redirect come back with
no-store, CSP, frame denial, no referrer and nosniff, as a bilingual error page (JSON under
``/cases/api/``), never FastAPI's English ``{"detail": ...}`` nor a stack trace. On the real
application (create_app), so the cases lane and the whole middleware stack are both crossed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from observatorio.cases import api, directory_api, referral_api
from observatorio.cases.api import CasesRoute
from observatorio.cases.config import CasesConfig
from observatorio.cases.db import upgrade
from observatorio.cases.http_errors import under_cases_api
from observatorio.cases.reception import api as reception_api
from observatorio.cases.reintegration import api as reintegration_api
from observatorio.cases.runtime import Runtime
from observatorio.i18n import t
from observatorio.publish.api import cases_publication
from observatorio.publish.api.app import create_app
from observatorio.publish.web.texts import Texts
from observatorio.settings import Settings

SECRET = "errors-test-secret-not-for-production-0123456789abcdefghijklmnopq"
SECURITY_HEADERS = {"cache-control": "no-store", "x-frame-options": "DENY", "referrer-policy": "no-referrer",
                    "x-content-type-options": "nosniff"}
BROWSER = {"Accept-Encoding": "gzip", "Origin": "https://elsewhere.example"}

#: (method, path, status): unknown paths and wrong methods, pages and the API's prefix alike
PAGES = [("GET", "/cases/no-such-page", 404), ("POST", "/cases/no/such/page", 404),
         ("PUT", "/cases/no-such-page", 404), ("DELETE", "/cases/login", 405), ("PUT", "/cases/login", 405),
         ("GET", "/cases/logout", 405), ("PATCH", "/cases/work", 405)]
API = [("GET", "/cases/api/no-such-thing", 404), ("POST", "/cases/api/v1/cases", 404),
       ("DELETE", "/cases/api/", 404)]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp("errors")
    url = f"sqlite:///{folder}/cases.sqlite"
    upgrade(url)
    settings = Settings(db=folder / "stats.duckdb", secret_key=SECRET)  # no store: not needed here
    rt = Runtime.from_url(url, settings, CasesConfig(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1))
    app = create_app(settings)
    app.state.cases_runtime = rt

    def failing() -> None:
        raise RuntimeError("a bug in a page")

    app.add_api_route("/cases/test-failure", failing)  # a page that fails half-way
    yield app
    rt.close()


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


def _assert_headers(r) -> None:  # type: ignore[no-untyped-def]
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (r.request.method, r.request.url.path, name, dict(r.headers))
    policy = r.headers.get("content-security-policy", "")
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, dict(r.headers)
    if r.request.method in ("GET", "POST"):  # the cases lane's methods: no CORS (cases_lane.py)
        assert "access-control-allow-origin" not in r.headers


def _assert_no_trace(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text and '"detail"' not in text, text[:500]


@pytest.mark.parametrize(("method", "path", "status"), PAGES)
def test_unknown_paths_and_wrong_methods_answer_an_error_page_with_the_headers(
        client: TestClient, method: str, path: str, status: int) -> None:
    key = "cases.page_not_found" if status == 404 else "cases.method_not_allowed"
    for lang in ("es", "en"):
        r = client.request(method, path, params={"lang": lang}, headers=BROWSER)
        assert r.status_code == status, (method, path, r.text[:300])
        _assert_headers(r)
        assert r.headers["content-type"].startswith("text/html")
        assert Texts(lang)(key) in r.text and f'<html lang="{lang}">' in r.text
        _assert_no_trace(r.text)
    if status == 405:
        assert r.headers.get("allow"), "a wrong method still says which ones are allowed"


@pytest.mark.parametrize(("method", "path", "status"), API)
def test_unknown_paths_under_the_api_prefix_answer_bilingual_json_with_the_headers(
        client: TestClient, method: str, path: str, status: int) -> None:
    r = client.request(method, path, headers=BROWSER)
    assert r.status_code == status, (method, path, r.text[:300])
    _assert_headers(r)
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert error["code"] == "not_found"
    assert error["message"] == {"es": Texts("es")("cases.page_not_found"), "en": Texts("en")("cases.page_not_found")}
    _assert_no_trace(r.text)


def test_head_of_an_unknown_page_and_the_sign_in_redirect_carry_the_headers(client: TestClient) -> None:
    head = client.head("/cases/no-such-page")
    assert head.status_code == 404 and head.content == b""
    _assert_headers(head)
    redirect = client.get("/cases/work")  # not signed in: the officer dependency's 303
    assert redirect.status_code == 303 and redirect.headers["location"] == "/cases/login"
    _assert_headers(redirect)
    _assert_no_trace(redirect.text)


def test_other_paths_keep_their_own_answers(client: TestClient) -> None:
    """Outside /cases/ nothing changes: the statistics side's 404 is its own."""
    r = client.get("/api/v1/no-such-route")
    assert r.status_code == 404
    assert "content-security-policy" not in r.headers


def test_a_failing_page_answers_the_bilingual_500_with_the_headers(client: TestClient) -> None:
    r = client.get("/cases/test-failure")
    assert r.status_code == 500
    _assert_headers(r)
    assert set(r.json()["error"]["message"]) == {"es", "en"}
    _assert_no_trace(r.text)
    assert "a bug in a page" not in r.text


def test_a_failing_page_is_still_logged_for_the_operators(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    """The handler that adds the headers wraps the last resort's, which logs the traceback: the
    operators still see the failure (the client sees none of it)."""
    with caplog.at_level("ERROR", logger="observatorio.api"):
        r = client.get("/cases/test-failure", params={"name": "x"})
    assert r.status_code == 500
    [record] = [rec for rec in caplog.records if rec.name == "observatorio.api"]
    assert record.exc_info is not None and "a bug in a page" in str(record.exc_info[1])
    assert "/cases/test-failure" in record.getMessage() and "name=x" not in record.getMessage()


#: (method, path, status, allowed): the cases JSON API's unknown paths and wrong methods
CASES_API = [("GET", "/api/v1/cases/1/no-such-thing", 404, None), ("GET", "/api/v1/people/x/y/z", 404, None),
             ("POST", "/api/v1/referrals/1/nothing", 404, None), ("GET", "/api/v1/directory/nothing", 404, None),
             ("GET", "/api/v1/reception/nothing/here", 404, None), ("PATCH", "/api/v1/auth/token", 405, "POST"),
             ("DELETE", "/api/v1/practices", 405, "GET"), ("PUT", "/api/v1/notifications", 405, "GET")]


@pytest.mark.parametrize(("method", "path", "status", "allowed"), CASES_API)
def test_the_cases_api_answers_its_unknown_paths_and_wrong_methods_as_its_own_errors(
        client: TestClient, method: str, path: str, status: int, allowed: str | None) -> None:
    """The cases API's error body (errors.CasesError: {"detail": {"es", "en"}}), bilingual, never
    cached nor sniffed, the path not echoed; a wrong method still says which ones are allowed."""
    r = client.request(method, path, headers={"Origin": "https://elsewhere.example"})
    assert r.status_code == status, (method, path, r.text[:300])
    assert r.headers["cache-control"] == "no-store" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-type"].startswith("application/json")
    detail = r.json()["detail"]
    assert set(detail) == {"es", "en"} and detail["es"] != detail["en"], detail
    key = "cases.refusal.no_such_endpoint" if status == 404 else "cases.refusal.method_not_allowed"
    values = {} if status == 404 else {"method": method, "allowed": allowed}
    assert detail == {lang: t(key, lang, **values) for lang in ("es", "en")}
    assert path not in r.text
    if allowed is not None:
        assert r.headers["allow"] == allowed


def test_the_statistics_api_and_a_look_alike_prefix_keep_fastapis_answer(client: TestClient) -> None:
    for path in ("/api/v1/no-such-route", "/api/v1/casesx", "/api/v1/observations/x/y/z"):
        r = client.get(path)
        assert r.status_code == 404
        assert "es" not in r.json().get("detail", {}), (path, r.text)


def test_every_cases_api_route_lies_under_a_cases_api_prefix() -> None:
    """API_V1 is typed by hand: a new cases API prefix must be added there."""
    modules = (api, referral_api, directory_api, reception_api, reintegration_api, cases_publication)
    paths = [route.path for module in modules for route in module.router.routes
             if isinstance(route, CasesRoute) and route.path.startswith("/api/")]
    assert paths and all(under_cases_api(p) for p in paths), [p for p in paths if not under_cases_api(p)]
    assert not under_cases_api("/api/v1/observations") and not under_cases_api("/api/v1/casesx")
